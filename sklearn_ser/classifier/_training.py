"""How SERClassifier trains a Keras model: seeding, standardisation statistics, the learning
rate schedule, and the batches of training views an epoch is made of.

Nothing here knows about scikit-learn; :mod:`sklearn_ser.classifier` validates the input and
calls these pieces in order.
"""

from __future__ import annotations

import math
import random
import threading
import warnings
from contextlib import contextmanager

import keras
import numpy as np
import tensorflow as tf

try:  # TensorFlow's global seed has no public getter; scikeras reads it the same way
    from tensorflow.python.eager.context import global_seed as _tf_global_seed
except ImportError:  # pragma: no cover - without it the TensorFlow seed stays set after fit
    _tf_global_seed = None

__all__ = [
    "ViewBatches",
    "assemble_model",
    "compile_arguments",
    "cosine_schedule",
    "feature_stats",
    "history_summary",
    "schedule_callbacks",
    "seeded",
    "training_data",
]

try:  # every Keras initializer, Dropout and SeedGenerator made without a seed draws one
    # with ``python_random.randint`` in this module, from Python's process-wide generator
    from keras.src.random import seed_generator as _keras_seed_generator
except ImportError:  # pragma: no cover - _install_thread_seeds warns
    _keras_seed_generator = None


class _FitSeeds(threading.local):
    rng = None  # the generator of the seeded fit running in this thread, if any


_FIT_SEEDS = _FitSeeds()


class _ThreadSeededRandom:
    """Python's ``random`` module as Keras's seed_generator sees it: inside :func:`seeded`,
    the calling thread's own generator; everywhere else, the module itself."""

    def __getattr__(self, name):
        rng = _FIT_SEEDS.rng
        return getattr(random if rng is None else rng, name)


def _install_thread_seeds():
    """Point Keras's default-seed draws at :class:`_ThreadSeededRandom` (once).

    Another thread of the process may draw from the global generator between
    ``keras.utils.set_random_seed`` and the draws of the model being built, and so change
    its weights and dropout masks: a dask worker's event loop does (``dask.sizeof`` samples
    lists with ``random.sample``, the comms sample frames with ``random.randint``) while a
    task trains. A fit's draws come from a generator of its own thread instead; it is
    seeded as ``set_random_seed`` seeds the global one, so a fit's numbers are those of a
    quiet process.
    """
    current = getattr(_keras_seed_generator, "python_random", None)
    if isinstance(current, _ThreadSeededRandom):
        return
    if current is not random:  # pragma: no cover - a Keras that draws its seeds elsewhere
        warnings.warn(
            "This Keras version does not draw default seeds from Python's random module "
            "in keras.src.random.seed_generator, so a seeded SERClassifier fit is "
            "reproducible only while no other thread of the process uses that module.",
            RuntimeWarning, stacklevel=4)
        return
    _keras_seed_generator.python_random = _ThreadSeededRandom()


@contextmanager
def seeded(seed):
    """Seed Python, NumPy, TensorFlow and Keras inside the block.

    ``keras.utils.set_random_seed`` seeds all of them (Keras layers draw their initialiser
    and dropout seeds from Python's generator when they are built); afterwards the Python and
    NumPy generators and TensorFlow's global seed are put back, so a fit does not change the
    random streams of the code around it. None leaves everything untouched.

    The seeds Keras draws for the layers built inside the block come from a generator of
    the calling thread (see :func:`_install_thread_seeds`), so other threads drawing from
    Python's global generator at the same time, as a dask worker's event loop does, do not
    change the model.

    TensorFlow op determinism is not needed on the CPU (the tests check that two fits with one
    seed predict identically) and is not used: scikeras's seeding context switches it on
    through the TF_DETERMINISTIC_OPS variable, which TensorFlow may cache for the whole
    process, after which every unseeded fit fails.
    """
    if seed is None:
        yield
        return
    # the legacy global NumPy generator is what Keras seeds, so it is what must be restored
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    tf_seed = _tf_global_seed() if _tf_global_seed else None
    _install_thread_seeds()
    outer_rng = _FIT_SEEDS.rng
    keras.utils.set_random_seed(seed)
    _FIT_SEEDS.rng = random.Random(seed)
    try:
        yield
    finally:
        _FIT_SEEDS.rng = outer_rng
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002
        if _tf_global_seed:
            tf.random.set_seed(tf_seed)


def feature_stats(X, clips, chunk=64, *, center_clips=False):
    """Mean and variance of every feature (last axis) over the given clips, all views and frames.

    ``X`` is ``(n_clips, n_views, n_frames, n_features)``, possibly a disk-backed array;
    ``clips`` are the indices of the clips to use. With ``center_clips`` the statistics are
    those of each view after its mean over frames is removed, which is what the
    standardisation layer sees behind :class:`~sklearn_ser.models.ClipCentering`. Two passes
    in float64 over chunks of clips keep memory at one chunk and the variance exact.
    """
    n = len(clips) * math.prod(X.shape[1:-1])

    def chunks():
        for start in range(0, len(clips), chunk):
            part = np.asarray(X[np.sort(clips[start:start + chunk])], dtype=np.float64)
            yield part - part.mean(axis=-2, keepdims=True) if center_clips else part

    axes = (0, 1, 2)
    total = np.zeros(X.shape[-1])
    for part in chunks():
        total += part.sum(axis=axes)
    mean = total / n
    squares = np.zeros(X.shape[-1])
    for part in chunks():
        squares += ((part - mean) ** 2).sum(axis=axes)
    return mean, squares / n


def cosine_schedule(peak, n_steps):
    """Warm up linearly from peak / 10 to peak over the first tenth of the steps, then follow
    a cosine (floor peak / 100) that has come down to about peak / 30 at the last step.

    Keras counts ``decay_steps`` after the warm-up; ending training at 90 % of the cosine
    rather than at its floor is what was tuned in ``benchmarks/accuracy/``.
    """
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / 10, decay_steps=max(n_steps, 1), alpha=0.01,
        warmup_target=peak, warmup_steps=n_steps // 10,
    )


class ViewBatches(keras.utils.PyDataset):
    """The training batches of one epoch: ``views_per_epoch`` views of every training clip.

    Each epoch draws, for every clip, that many distinct views out of the ``n_views`` it has
    (all of them when ``views_per_epoch >= n_views``), shuffles the resulting (clip, view)
    rows and serves them in batches, gathered from ``X`` as they are needed: the unrolled
    training set is never built, so a disk-backed ``X`` is read batch by batch. The draws
    depend only on ``seed`` and the epoch number.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_views, n_frames, n_features)
        Features of all clips; a numpy array or ``numpy.memmap``.
    clips : ndarray of int
        Indices of the training clips in ``X``.
    targets : ndarray
        Encoded targets of the training clips, aligned with ``clips``.
    weights : ndarray or None
        Weight of each training clip, aligned with ``clips``.
    views_per_epoch : int
        Views of each clip per epoch.
    batch_size : int
        Rows per batch.
    seed : int or None
        Seed of the view draws and the shuffling; None draws from fresh entropy.
    shuffle : bool, default=True
        Shuffle the rows each epoch; False serves them in clip order.
    mixup : float, default=0.0
        With ``mixup > 0``, every row of a batch is mixed with another row of the same batch
        (Zhang et al., 2018): features, one-hot targets and weights alike, as
        ``lam * a + (1 - lam) * b`` with ``lam`` drawn from Beta(mixup, mixup) and folded
        onto [0.5, 1] so that each row stays closest to its own clip. The draws depend only
        on ``seed``, the epoch and the batch. ``targets`` must then be one-hot (2-D).
    """

    def __init__(self, X, clips, targets, weights, *, views_per_epoch, batch_size, seed,
                 shuffle=True, mixup=0.0):
        super().__init__()
        self.X = X
        self.clips = np.asarray(clips)
        self.targets = targets
        self.weights = weights
        self.n_views = X.shape[1]
        self.views_per_epoch = min(int(views_per_epoch), self.n_views)
        self.batch_size = int(batch_size)
        self.seed = np.random.SeedSequence().entropy if seed is None else seed
        self.shuffle = shuffle
        self.mixup = float(mixup)
        if self.mixup > 0 and (np.ndim(targets) != 2 or np.shape(targets)[1] < 2):
            raise ValueError(
                f"mixup={self.mixup!r} blends the targets of two clips, which needs one-hot "
                f"targets (one column per class), not targets of shape {np.shape(targets)}: "
                "train with loss='categorical_crossentropy' (or a "
                "keras.losses.CategoricalCrossentropy).")
        self.epoch = 0
        self._draw()

    @property
    def n_rows(self) -> int:
        """Training rows per epoch."""
        return self.clips.size * self.views_per_epoch

    def _draw(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        n, k = self.clips.size, self.views_per_epoch
        if k == self.n_views:
            views = np.broadcast_to(np.arange(k), (n, k))
        else:  # k distinct views of each clip, uniformly
            views = np.argsort(rng.random((n, self.n_views)), axis=1)[:, :k]
        row_clip = np.repeat(np.arange(n), k)
        row_view = views.reshape(-1)
        if self.shuffle:
            order = rng.permutation(row_clip.size)
            row_clip, row_view = row_clip[order], row_view[order]
        self._rows = row_clip, row_view

    def __len__(self):
        return math.ceil(self.n_rows / self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        row_clip, row_view = self._rows[0][part], self._rows[1][part]
        # the order of rows inside a batch does not change its gradient; sorted, a
        # disk-backed X is read front to back
        order = np.lexsort((row_view, row_clip))
        row_clip, row_view = row_clip[order], row_view[order]
        x = np.asarray(self.X[self.clips[row_clip], row_view], dtype=np.float32)
        y = self.targets[row_clip]
        w = None if self.weights is None else self.weights[row_clip]
        if self.mixup > 0:
            x, y, w = self._mix(index, x, y, w)
        return (x, y) if w is None else (x, y, w)

    def _mix(self, index, x, y, w):
        rng = np.random.default_rng([self.seed, self.epoch, index, 1])
        lam = rng.beta(self.mixup, self.mixup, size=len(x)).astype(np.float32)
        lam = np.maximum(lam, 1 - lam)
        other = rng.permutation(len(x))
        per_x = lam.reshape((-1,) + (1,) * (x.ndim - 1))
        mixed_x = per_x * x + (1 - per_x) * x[other]
        mixed_y = lam[:, None] * y + (1 - lam[:, None]) * y[other]
        mixed_w = None if w is None else lam * w + (1 - lam) * w[other]
        return mixed_x.astype(np.float32), mixed_y.astype(np.float32), mixed_w

    def on_epoch_end(self):
        self.epoch += 1
        self._draw()

    # ``with batches: model.fit(batches)`` lets go of X when the fit ends. Keras keeps the
    # dataset of a finished fit reachable (neither ``del`` of the classifier, gc nor
    # ``keras.backend.clear_session()`` frees it), so without this every fit kept its
    # training features: 178 MB a fit of 3,000 clips of 25 x 512, 10.8 GB at the end of
    # the 25 fits of ``compare`` on CREMA-D.
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.X = None
        return False


def training_data(X, rows, targets, weights, train, val, *, views_per_epoch, batch_size, seed,
                  shuffle=True, mixup=0.0):
    """The epochs' batches of training views, and the validation data (or None).

    ``rows`` index the clips of ``X`` that ``targets`` and ``weights`` describe; ``train``
    and ``val`` are positions in ``rows`` (``val`` None: no validation set). Validation
    clips are judged as test clips are, on their clean view 0 only.
    """
    batches = ViewBatches(
        X, rows[train], targets[train], None if weights is None else weights[train],
        views_per_epoch=views_per_epoch, batch_size=batch_size, seed=seed, shuffle=shuffle,
        mixup=mixup,
    )
    if val is None:
        return batches, None
    X_val = np.asarray(X[rows[val], 0], dtype=np.float32)
    return batches, (X_val, targets[val], *([] if weights is None else [weights[val]]))


def compile_arguments(kwargs: dict, lr_schedule: str, n_steps: int, *,
                      default_learning_rate=None) -> dict:
    """``Model.compile`` arguments: accuracy always among the metrics, and the optimizer
    given the cosine schedule over ``n_steps`` (a new instance: the user's is never changed).

    ``kwargs`` are scikeras's resolved compile arguments (optimizer, loss, metrics and any
    ``compile__`` parameter). ``default_learning_rate``, when given, replaces the optimizer
    class's own default rate (the caller knows the user set none).
    """
    kwargs = dict(kwargs)
    metrics = list(kwargs.get("metrics") or [])
    if not any(m in ("accuracy", "acc") for m in metrics):
        metrics.insert(0, "accuracy")
    kwargs["metrics"] = metrics
    optimizer = keras.optimizers.get(kwargs["optimizer"])
    config = optimizer.get_config()
    if default_learning_rate is not None:
        config["learning_rate"] = float(default_learning_rate)
        optimizer = type(optimizer).from_config(config)
    if lr_schedule != "constant" and not isinstance(config["learning_rate"], (int, float)):
        # a serialised LearningRateSchedule (or a callable): the optimizer already adapts it
        raise ValueError(
            f"lr_schedule={lr_schedule!r} adapts the learning rate itself, but the optimizer "
            f"already has a schedule ({config['learning_rate']!r:.80}). Pass "
            "lr_schedule='constant' to use your schedule."
        )
    if lr_schedule == "cosine":
        config["learning_rate"] = cosine_schedule(float(config["learning_rate"]), n_steps)
        optimizer = type(optimizer).from_config(config)
    kwargs["optimizer"] = optimizer
    return kwargs


def assemble_model(builder, hyper, input_shape, n_classes, *, clip_centering, mean,
                   variance) -> keras.Model:
    """Input -> [ClipCentering] -> Normalization(mean, variance) -> architecture (uncompiled)."""
    from ..models import ClipCentering

    name = getattr(builder, "__name__", builder)
    body = builder(input_shape, n_classes, **hyper)
    if not isinstance(body, keras.Model):
        raise TypeError(f"The architecture builder {name!r} returned {type(body).__name__}, "
                        "not a keras.Model.")
    if tuple(body.output_shape) != (None, n_classes):
        raise ValueError(
            f"The architecture builder {name!r} returned a model with output shape "
            f"{body.output_shape}; expected (None, {n_classes}): softmax probabilities over "
            f"the {n_classes} classes."
        )
    inputs = keras.Input(shape=input_shape, name="features")
    x = ClipCentering(name="clip_centering")(inputs) if clip_centering else inputs
    x = keras.layers.Normalization(axis=-1, mean=mean, variance=variance,
                                   name="standardize")(x)
    return keras.Model(inputs, body(x), name=f"ser_{body.name}")


def history_summary(history, stopper):
    """``history_``, ``best_epoch_`` and ``final_metrics_`` of a finished ``Model.fit``.

    The best epoch is the one early stopping restored (``stopper``), else the last; the final
    metrics are those of that epoch, NaN for a metric that was not recorded.
    """
    summary = {key: [float(v) for v in values] for key, values in history.history.items()}
    n_epochs = len(summary["loss"])
    best = int(stopper.best_epoch) if stopper is not None else n_epochs - 1
    final = {key: summary[key][best] if key in summary else math.nan
             for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
    return summary, best, final


DEFAULT_PATIENCE = 10
_MIN_LEARNING_RATE = 1e-6


def schedule_callbacks(monitor, *, early_stopping, lr_schedule, reduce_lr_factor,
                       reduce_lr_patience, verbose):
    """Early stopping (or None) and the callbacks that carry it and the plateau schedule."""
    callbacks, stopper = [], None
    if early_stopping:
        patience = DEFAULT_PATIENCE if early_stopping is True else int(early_stopping)
        stopper = keras.callbacks.EarlyStopping(
            monitor=monitor, patience=patience, restore_best_weights=True,
            verbose=int(bool(verbose)),
        )
        callbacks.append(stopper)
    if lr_schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=reduce_lr_factor, patience=reduce_lr_patience,
            min_lr=_MIN_LEARNING_RATE, verbose=int(bool(verbose)),
        ))
    return callbacks, stopper
