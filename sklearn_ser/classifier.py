"""SERClassifier: the Keras architectures as scikit-learn classifiers, via scikeras."""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import keras
import numpy as np
from scikeras.wrappers import KerasClassifier
from sklearn.base import BaseEstimator, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._tags import ClassifierTags
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from .models import (
    ARCHITECTURES,
    HYPERPARAMETERS,
    ClipCentering,
    builder_hyperparameters,
    get_builder,
)
from .training import ViewBatches, cosine_schedule, feature_stats, seeded

__all__ = ["SERClassifier"]

# Routing prefixes a SERClassifier understands (scikeras's ``<prefix>__<name>`` parameters).
_ROUTING_PREFIXES = ("model", "optimizer", "loss", "metrics", "callbacks", "compile", "fit",
                     "predict")
# ``fit__<name>`` parameters passed on to keras.Model.fit; the others are set by fit itself.
_ROUTED_FIT_ARGS = frozenset({"batch_size", "shuffle", "validation_batch_size"})
_DEFAULT_PATIENCE = 10
_MIN_LEARNING_RATE = 1e-6
# Rows per call of the compiled predict function (``predict__batch_size`` overrides it).
_PREDICT_CHUNK = 1024


def _no_partial_fit(estimator):
    raise AttributeError(
        f"{type(estimator).__name__} has no partial_fit: training needs all training clips at "
        "once, because the feature standardisation is learned from them and the validation "
        "clips are split off by clip before augmented views are unrolled. Use fit."
    )


def _no_initialize(estimator):
    raise AttributeError(
        f"{type(estimator).__name__} has no initialize: the model is built by fit, from the "
        "standardisation statistics of the training clips."
    )


@contextmanager
def _single_frame_quiet(n_frames):
    """Silence Keras's warning about a softmax over a one-frame axis.

    2-D input is a sequence of one frame; self-attention over it is well defined (weight 1),
    but keras.ops.softmax warns whenever the axis has size 1.
    """
    with warnings.catch_warnings():
        if n_frames == 1:
            warnings.filterwarnings("ignore", message="You are using a softmax over axis",
                                    category=UserWarning)
        yield


class SERClassifier(KerasClassifier):
    """Speech emotion classifier: a Keras architecture trained the scikit-learn way.

    Takes frame-level feature sequences, such as the output of
    :class:`~sklearn_ser.AudioFeatureTransformer`, and trains one of the registered
    architectures (see :mod:`sklearn_ser.models`) or your own. It is a real scikit-learn
    classifier (``is_classifier`` is True, so ``cross_val_score(cv=5)`` stratifies, and
    :class:`~sklearn.ensemble.VotingClassifier` accepts it) built on scikeras's
    ``KerasClassifier``: architecture hyperparameters and optimizer settings are routed
    parameters such as ``model__dropout=0.2`` or ``optimizer__learning_rate=3e-4``, so they
    can be grid-searched.

    .. note::
        **Training views.** ``fit`` accepts ``(n_samples, n_views, n_frames, n_features)``,
        what ``AudioFeatureTransformer.fit_transform`` returns with augmentation (view 0 is
        the clean clip). The validation clips are split off first, by clip and stratified by
        label; then the views of the training clips are unrolled into training rows, with
        ``y`` and ``sample_weight`` repeated. Copies of one clip therefore never sit on both
        sides of the split, and validation uses the clean view only. ``predict`` takes clean
        ``(n_samples, n_frames, n_features)`` sequences, what ``transform`` returns; a 4-D
        array there raises an error, because views are a training-time device.

    Parameters
    ----------
    arch : str or callable, default="cnn_gru"
        Architecture: a name from :data:`sklearn_ser.models.ARCHITECTURES`
        (``"cnn_bilstm_bigru_attention"``, ``"cnn"``, ``"cnn_bilstm"``, ``"cnn_gru"``,
        ``"cnn_mha_bilstm_bigru"``) or a builder ``(input_shape, n_classes,
        **hyperparameters) -> keras.Model`` that returns an uncompiled model ending in a
        softmax over ``n_classes``. Hyperparameters are passed as ``model__<name>``; the
        built-in architectures share one vocabulary (``filters``, ``kernel_size``,
        ``pool_size``, ``dropout``, ``units``, ``heads``, ``key_dim``, ``dense_units``) and,
        like ``degree`` in :class:`~sklearn.svm.SVC`, a name that the chosen architecture has
        no layer for is ignored (``model__units`` with ``arch="cnn"``). Any other name is an
        error.
    epochs : int, default=25
        Number of passes over the training rows (the maximum, with ``early_stopping``).
    batch_size : int, default=64
        Training rows per gradient step.
    views_per_epoch : int or None, default=None
        With 4-D training input (augmented views), how many views of each clip an epoch
        trains on: each epoch draws that many distinct views of every clip anew (from
        ``random_state``), so an epoch is a pass over clips rather than over every copy.
        None trains on all views in every epoch.
    optimizer : str, keras.optimizers.Optimizer or its class, default="adam"
        Keras optimizer; configure it with routed parameters such as
        ``optimizer__learning_rate`` (Adam's default is 1e-3), which is the peak rate of
        the ``"cosine"`` schedule.
    loss : str or keras loss, default="sparse_categorical_crossentropy"
        Training loss. ``"categorical_crossentropy"`` one-hot encodes the targets, which
        allows ``loss__label_smoothing=0.1``.
    metrics : list or None, default=None
        Extra Keras metrics to record in ``history_``; accuracy is always recorded.
    early_stopping : bool or int, default=False
        Stop when the validation loss (the training loss without a validation set) has not
        improved for this many epochs (True: 10) and restore the weights of the best epoch.
        False trains for all ``epochs``, which the default schedule is made for.
    validation_fraction : float in [0, 1) or None, default=None
        Fraction of the clips held out, stratified by label, to compute ``val_loss`` and
        ``val_accuracy`` each epoch (and to drive early stopping and the ``"plateau"``
        schedule). At least one clip per class is held out and every class needs two clips.
        None or 0 trains on all clips: on small corpora every clip counts, and
        cross-validation measures generalisation better than one validation split.
    class_weight : dict, "balanced" or None, default="balanced"
        Weights of the classes in the loss, multiplied into ``sample_weight``; ``"balanced"``
        uses ``n_samples / (n_classes * np.bincount(y))`` over the clips, so rare emotions
        count as much as common ones (emotion corpora are rarely balanced, and balanced
        accuracy is how they are scored). None weighs every clip equally.
    lr_schedule : {"cosine", "plateau", "constant"}, default="cosine"
        Learning rate over training. ``"cosine"``: linear warm-up from a tenth of the peak
        rate (the optimizer's ``learning_rate``) to the peak over the first tenth of the
        gradient steps, then cosine decay to about a thirtieth of it at the last step.
        ``"plateau"``: the optimizer's rate, multiplied by ``reduce_lr_factor`` whenever the
        monitored loss has not improved for ``reduce_lr_patience`` epochs. ``"constant"``:
        the optimizer's rate throughout (also what a ``LearningRateSchedule`` passed as
        ``optimizer__learning_rate`` needs).
    reduce_lr_patience : int, default=5
        Patience of the ``"plateau"`` schedule, in epochs (the rate stops at 1e-6).
    reduce_lr_factor : float in (0, 1), default=0.5
        Factor of the ``"plateau"`` schedule.
    clip_centering : bool, default=True
        Subtract each clip's mean over time from every feature before the standardisation
        (a :class:`~sklearn_ser.models.ClipCentering` layer; cepstral mean normalisation).
        It removes what is constant through a clip, such as the microphone, the room and the
        speaker's timbre, and helps most with held-out speakers and corpora. It needs
        sequences: for one-frame (2-D) input it is not applied (see ``clip_centering_``).
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra Keras callbacks for training.
    verbose : int, default=0
        Keras progress output: 0 silent, 1 progress bar, 2 one line per epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the weight initialisation, dropout and the shuffling of
        the training rows, through ``keras.utils.set_random_seed`` (Python, NumPy,
        TensorFlow and Keras generators); the Python and NumPy generators and TensorFlow's
        global seed are restored after ``fit``. With an int, fitting twice on the same data
        gives identical predictions on the CPU, without TensorFlow's op determinism mode.
        None: not reproducible.
    **kwargs
        Routed parameters: ``model__<name>`` (architecture hyperparameters),
        ``optimizer__<name>``, ``loss__<name>``, ``metrics__<name>``, ``callbacks__<name>``,
        ``compile__<name>`` (e.g. ``compile__run_eagerly=True``), ``fit__<name>`` for
        ``batch_size``, ``shuffle`` and ``validation_batch_size``, and
        ``predict__batch_size`` (rows per inference call, default 1024).

    Attributes
    ----------
    model_ : keras.Model
        The trained network: a ``ClipCentering`` layer (with ``clip_centering``), a
        ``Normalization`` layer holding the feature standardisation learned in ``fit``, then
        the architecture.
    clip_centering_ : bool
        Whether ``model_`` centres each clip (``clip_centering`` and more than one frame).
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the ``predict_proba`` columns.
    n_classes_ : int
        Number of classes.
    n_features_in_ : int
        Features per frame (the last axis of ``X``).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` was a 2-D DataFrame with string column names.
    input_shape_ : tuple of (int, int)
        ``(n_frames, n_features)`` of one sample as the network sees it; 2-D input is one
        frame, ``(1, n_features)``.
    n_views_ : int
        Views per clip in the training data (1 for 3-D input).
    history_ : dict of str to list of float
        Per-epoch ``loss``, ``accuracy`` and, with a validation set, ``val_loss`` and
        ``val_accuracy`` (plus ``learning_rate`` and any extra metrics).
    best_epoch_ : int
        Index into the ``history_`` lists of the epoch whose weights the model holds: the best
        epoch when early stopping restored it, else the last.
    final_metrics_ : dict of str to float
        ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy`` at ``best_epoch_`` (NaN
        without a validation set). :meth:`summary_metrics` labels them as the seed recipe did.

    See Also
    --------
    sklearn_ser.AudioFeatureTransformer : Audio clips to the feature sequences this model
        takes.
    sklearn_ser.models.get_builder : The registered architectures.

    Notes
    -----
    **Standardisation.** After the optional per-clip centring, ``model_`` has a
    ``keras.layers.Normalization`` layer set, in ``fit``, to the mean and variance of every
    (centred) feature over the frames of all training rows (validation clips excluded), so a
    Pipeline needs no separate scaler and saves the statistics with the model.

    **Defaults.** The training defaults (25 epochs of batches of 64 under a cosine schedule,
    balanced class weights, per-clip centring, no validation split or early stopping) and
    the ``cnn_gru`` architecture were chosen by speaker-independent cross-validation on
    EmoDB and checked on the synthetic demo corpus; ``benchmarks/accuracy/`` has the
    experiments and the figures.

    **2-D input.** ``(n_samples, n_features)`` (for example clip-level statistics) is treated
    as sequences of one frame, which every architecture handles (pooling pads instead of
    shrinking below one frame).

    **Small inputs.** Inference calls the compiled Keras predict function on chunks of rows
    (``predict_on_batch``) rather than ``Model.predict``, whose per-call set-up (data
    adapter, callbacks) costs tens of milliseconds; predicting one clip then takes about a
    millisecond for ``cnn`` and ten for the recurrent models. Calling the model eagerly is
    no alternative: an eager recurrent layer steps through time in Python.

    **Sample weights.** Clips with zero weight are removed before anything else, which is
    what zero weight means in scikit-learn.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import SERClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 30, 8)).astype("float32")   # 40 clips, 30 frames, 8 features
    >>> y = np.repeat(["angry", "calm"], 20)
    >>> X[y == "angry"] += np.linspace(-2, 2, 30)[:, np.newaxis]   # rising over time
    >>> clf = SERClassifier(arch="cnn", epochs=10, batch_size=4, random_state=0,
    ...                     optimizer__learning_rate=0.01, model__filters=(8,),
    ...                     model__dense_units=None)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    >>> clf.predict(X[:2]).tolist()
    ['angry', 'angry']
    >>> clf.predict_proba(X[:1]).shape
    (1, 2)
    >>> sorted(clf.final_metrics_)
    ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    """

    _parameter_constraints: dict = {
        "arch": [StrOptions(set(ARCHITECTURES)), callable],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "views_per_epoch": [Interval(Integral, 1, None, closed="left"), None],
        "optimizer": "no_validation",
        "loss": "no_validation",
        "metrics": [list, tuple, None],
        "early_stopping": ["boolean", Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left"), None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "lr_schedule": [StrOptions({"cosine", "plateau", "constant"})],
        "reduce_lr_patience": [Interval(Integral, 1, None, closed="left")],
        "reduce_lr_factor": [Interval(Real, 0, 1, closed="neither")],
        "clip_centering": ["boolean"],
        "callbacks": [list, tuple, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        arch="cnn_gru",
        *,
        epochs=25,
        batch_size=64,
        views_per_epoch=None,
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=None,
        early_stopping=False,
        validation_fraction=None,
        class_weight="balanced",
        lr_schedule="cosine",
        reduce_lr_patience=5,
        reduce_lr_factor=0.5,
        clip_centering=True,
        callbacks=None,
        verbose=0,
        random_state=None,
        **kwargs,
    ):
        # scikeras's __init__ is bypassed on purpose: it would add parameters (model,
        # build_fn, validation_split, warm_start...) that this class replaces or forbids.
        self.arch = arch
        self.epochs = epochs
        self.batch_size = batch_size
        self.views_per_epoch = views_per_epoch
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight
        self.lr_schedule = lr_schedule
        self.reduce_lr_patience = reduce_lr_patience
        self.reduce_lr_factor = reduce_lr_factor
        self.clip_centering = clip_centering
        self.callbacks = callbacks
        self.verbose = verbose
        self.random_state = random_state
        vars(self).update(kwargs)

    # ------------------------------------------------------------------ scikit-learn glue

    def __sklearn_tags__(self):
        # scikeras lists ClassifierMixin after BaseEstimator, so on scikit-learn >= 1.6 the
        # mixin's tags are never applied and is_classifier() is False; set them here.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        # poor_score: how well a network does on sklearn's small tabular benchmark depends on
        # its size and epochs, not on the estimator (scikeras sets it for the same reason)
        tags.classifier_tags = ClassifierTags(poor_score=True, multi_class=True,
                                              multi_label=False)
        tags.regressor_tags = None
        tags.target_tags.required = True
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    __repr__ = BaseEstimator.__repr__

    partial_fit = available_if(_no_partial_fit)(KerasClassifier.partial_fit)
    initialize = available_if(_no_initialize)(KerasClassifier.initialize)

    # ------------------------------------------------------------------ parameters

    def _routed_params(self) -> dict:
        """``{prefix: {name: value}}`` of the routed parameters; errors for unknown names."""
        routed = {prefix: {} for prefix in _ROUTING_PREFIXES}
        named = set(self._parameter_constraints)
        for key, value in self.get_params(deep=False).items():
            if key in named:
                continue
            prefix, sep, name = key.partition("__")
            if not sep or prefix not in routed or not name:
                raise ValueError(
                    f"Unknown parameter {key!r} for {type(self).__name__}. Architecture "
                    f"hyperparameters are routed with the 'model__' prefix (e.g. "
                    f"model__{key}={value!r}); other routed prefixes are "
                    f"{', '.join(p + '__' for p in _ROUTING_PREFIXES[1:])}."
                )
            routed[prefix][name] = value
        bad_fit = set(routed["fit"]) - _ROUTED_FIT_ARGS
        if bad_fit:
            raise ValueError(
                f"Routed parameter(s) {sorted('fit__' + k for k in bad_fit)} cannot be set: "
                f"{type(self).__name__} controls them (use the parameters epochs, "
                "validation_fraction, class_weight, callbacks). In particular a Keras "
                "validation_split would split unrolled views, putting copies of one clip on "
                f"both sides. Allowed: {sorted('fit__' + k for k in _ROUTED_FIT_ARGS)}."
            )
        bad_predict = set(routed["predict"]) - {"batch_size"}
        if bad_predict:
            raise ValueError(
                f"Routed parameter(s) {sorted('predict__' + k for k in bad_predict)} are not "
                "supported; only predict__batch_size is."
            )
        return routed

    def _architecture(self, model_params: dict):
        """The builder and the hyperparameters it receives, checked against its signature."""
        builder = get_builder(self.arch)
        accepted, takes_any = builder_hyperparameters(builder)
        if takes_any:
            return builder, dict(model_params)
        hyper = {}
        for name, value in model_params.items():
            if name in accepted:
                hyper[name] = value
            elif not (isinstance(self.arch, str) and name in HYPERPARAMETERS):
                arch = (self.arch if isinstance(self.arch, str)
                        else getattr(builder, "__name__", repr(builder)))
                raise ValueError(
                    f"Architecture {arch!r} has no hyperparameter {name!r} "
                    f"(model__{name}); it takes {sorted(accepted)}."
                )
        return builder, hyper

    def _seed(self):
        if self.random_state is None:
            return None
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    # ------------------------------------------------------------------ input validation

    @staticmethod
    def _ndim(X) -> int:
        ndim = getattr(X, "ndim", None)
        if ndim is None:
            try:
                ndim = np.asarray(X).ndim
            except ValueError:
                raise ValueError(
                    "X must be an array of equal-shape samples: (n_samples, n_frames, "
                    "n_features) sequences, (n_samples, n_views, n_frames, n_features) "
                    "training views, or (n_samples, n_features) rows."
                ) from None
        return ndim

    def _validate_fit_input(self, X, y):
        """Validated float32 X as (n_clips, n_views, n_frames, n_features), and 1-D y."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        ndim = self._ndim(X)
        if ndim > 4:
            raise ValueError(
                f"X has {ndim} dimensions; expected (n_samples, n_features), (n_samples, "
                "n_frames, n_features) or, for training views, (n_samples, n_views, "
                "n_frames, n_features)."
            )
        X, y = validate_data(self, X, y, reset=True, allow_nd=True, dtype=np.float32)
        if X.ndim == 2:
            X = X[:, np.newaxis, np.newaxis, :]
        else:
            if X.ndim == 3:
                X = X[:, np.newaxis]
            if 0 in X.shape:
                raise ValueError(f"X has an empty axis: shape {X.shape}.")
            # validate_data counted axis 1 (frames or views); the features are the last axis
            self.n_features_in_ = X.shape[-1]
        check_classification_targets(y)
        return X, y

    def _validate_predict_input(self, X):
        """Validated float32 ``(n_samples, *input_shape_)``; clear errors for the rest."""
        check_is_fitted(self)
        ndim = self._ndim(X)
        if ndim == 4:
            raise ValueError(
                f"X has 4 dimensions {np.shape(X)}: (n_samples, n_views, n_frames, "
                "n_features) views are for training only. Predict on clean clips, "
                "(n_samples, n_frames, n_features), as AudioFeatureTransformer.transform "
                "returns."
            )
        if ndim <= 2:
            X = validate_data(self, X, reset=False, dtype=np.float32)
            shape = X.shape
            X = X[:, np.newaxis, :]
        elif ndim == 3:
            X = check_array(X, allow_nd=True, dtype=np.float32)
            shape = X.shape
        else:
            raise ValueError(f"X has {ndim} dimensions; expected 3-D (n_samples, n_frames, "
                             "n_features).")
        if X.shape[1:] != self.input_shape_:
            n_frames, n_features = self.input_shape_
            raise ValueError(
                f"X has samples of {X.shape[1]} frames x {X.shape[2]} features (X.shape = "
                f"{shape}), but {type(self).__name__} was fitted on {n_frames} frames x "
                f"{n_features} features. Extract the features with the same settings as for "
                "training (same duration, hop_length and feature list)."
            )
        return X

    def _clip_weights(self, sample_weight, X, y):
        """Per-clip weights (sample_weight x class weights), or None when all are one."""
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
            if not np.any(sample_weight > 0):
                raise ValueError("sample_weight is zero for every sample: nothing to train on.")
        if self.class_weight is not None:
            class_w = compute_sample_weight(self.class_weight, y)
            sample_weight = class_w if sample_weight is None else sample_weight * class_w
        return sample_weight

    def _validation_split(self, y, seed):
        """Indices of training and validation clips (stratified, before views are unrolled)."""
        n = y.shape[0]
        if not self.validation_fraction:
            return np.arange(n), None
        labels, counts = np.unique(y, return_counts=True)
        if counts.min() < 2:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} splits a validation set off "
                "by clip, stratified by label, which needs at least 2 clips of every class; "
                f"class {labels.tolist()[counts.argmin()]!r} has {counts.min()}. Pass "
                "validation_fraction=None to train without a validation set."
            )
        n_val = max(math.ceil(self.validation_fraction * n), labels.size)
        if n - n_val < labels.size:
            raise ValueError(
                f"{n} clips of {labels.size} classes are too few for validation_fraction="
                f"{self.validation_fraction}: both the training and the validation set need "
                "a clip of every class. Pass validation_fraction=None or more clips."
            )
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
        train, val = next(splitter.split(np.zeros(n), y))
        return np.sort(train), np.sort(val)

    # ------------------------------------------------------------------ model and training

    def _compile_arguments(self, n_steps) -> dict:
        kwargs = self._get_compile_kwargs()
        metrics = list(kwargs.get("metrics") or [])
        if not any(m in ("accuracy", "acc") for m in metrics):
            metrics.insert(0, "accuracy")
        kwargs["metrics"] = metrics
        optimizer = keras.optimizers.get(kwargs["optimizer"])
        if self.lr_schedule != "constant":
            rate = optimizer._learning_rate  # the constructor argument: a variable or a schedule
            if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule) or callable(rate):
                raise ValueError(
                    f"lr_schedule={self.lr_schedule!r} adapts the learning rate itself, but the "
                    f"optimizer already has a schedule ({type(rate).__name__}). Pass "
                    "lr_schedule='constant' to use your schedule."
                )
        if self.lr_schedule == "cosine":
            # a new optimizer: never change the user's instance, and the rate is fixed at build
            config = optimizer.get_config()
            config["learning_rate"] = cosine_schedule(float(optimizer.learning_rate), n_steps)
            optimizer = type(optimizer).from_config(config)
        kwargs["optimizer"] = optimizer
        return kwargs

    def _assemble_model(self, builder, hyper, mean, variance, n_steps) -> keras.Model:
        """Input -> [ClipCentering] -> Normalization(mean, variance) -> architecture, compiled."""
        body = builder(self.input_shape_, self.n_classes_, **hyper)
        if not isinstance(body, keras.Model):
            raise TypeError(
                f"The architecture builder {getattr(builder, '__name__', builder)!r} returned "
                f"{type(body).__name__}, not a keras.Model."
            )
        if tuple(body.output_shape) != (None, self.n_classes_):
            raise ValueError(
                f"The architecture builder {getattr(builder, '__name__', builder)!r} returned "
                f"a model with output shape {body.output_shape}; expected (None, "
                f"{self.n_classes_}): softmax probabilities over the {self.n_classes_} "
                "classes."
            )
        inputs = keras.Input(shape=self.input_shape_, name="features")
        x = ClipCentering(name="clip_centering")(inputs) if self.clip_centering_ else inputs
        x = keras.layers.Normalization(axis=-1, mean=mean, variance=variance,
                                       name="standardize")(x)
        model = keras.Model(inputs, body(x), name=f"ser_{body.name}")
        model.compile(**self._compile_arguments(n_steps))
        return model

    def _training_callbacks(self, monitor):
        """The user's callbacks plus early stopping and the learning-rate schedule."""
        self._initialize_callbacks()  # scikeras: instantiates classes, applies callbacks__
        callbacks = list(self._fit_callbacks)
        del self._fit_callbacks, self._predict_callbacks
        stopper = None
        if self.early_stopping:
            patience = (_DEFAULT_PATIENCE if self.early_stopping is True
                        else int(self.early_stopping))
            stopper = keras.callbacks.EarlyStopping(
                monitor=monitor, patience=patience, restore_best_weights=True,
                verbose=int(bool(self.verbose)),
            )
            callbacks.append(stopper)
        if self.lr_schedule == "plateau":
            callbacks.append(keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, factor=self.reduce_lr_factor,
                patience=self.reduce_lr_patience, min_lr=_MIN_LEARNING_RATE,
                verbose=int(bool(self.verbose)),
            ))
        return callbacks, stopper

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train a new network on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features), \
(n_samples, n_views, n_frames, n_features) or (n_samples, n_features)
            Feature sequences of the training clips; the 4-D form holds augmented views
            (view 0 clean), see the class note.
        y : array-like of shape (n_samples,)
            Labels of the clips (strings or integers).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each clip in the loss (repeated over its views); zero removes a clip.

        Returns
        -------
        self : SERClassifier
            The fitted classifier.
        """
        routed = self._routed_params()
        builder, hyper = self._architecture(routed["model"])
        X, y = self._validate_fit_input(X, y)
        classes = np.unique(y)
        weights = self._clip_weights(sample_weight, X, y)
        if weights is not None and np.any(weights == 0):
            keep = weights > 0
            X, y, weights = X[keep], y[keep], weights[keep]
        present = np.unique(y)
        if present.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs clips of at least 2 classes to learn from; "
                f"y has 1 class with non-zero weight: {present.tolist()[0]!r}."
            )
        seed = self._seed()
        train, val = self._validation_split(y, seed)
        n_views = X.shape[1]

        self.classes_ = classes
        self.n_classes_ = classes.size
        self.input_shape_ = tuple(X.shape[2:])
        self.n_views_ = n_views
        # scikeras's label encoder: ordinal targets, or one-hot for categorical_crossentropy
        self.target_encoder_ = self.target_encoder.fit(y)
        targets = self.target_encoder_.transform(y)

        fit_args = {**routed["fit"]}
        batches = ViewBatches(
            X, train, targets[train], None if weights is None else weights[train],
            views_per_epoch=n_views if self.views_per_epoch is None else self.views_per_epoch,
            batch_size=fit_args.pop("batch_size", self.batch_size), seed=seed,
            shuffle=fit_args.pop("shuffle", True),
        )
        validation_data = None
        if val is not None:
            # validation clips are judged as test clips are: clean view only
            X_val = np.asarray(X[val, 0], dtype=np.float32)
            validation_data = ((X_val, targets[val]) if weights is None
                               else (X_val, targets[val], weights[val]))
        # one frame minus its own mean is zero: centring needs sequences
        self.clip_centering_ = bool(self.clip_centering) and self.input_shape_[0] > 1
        mean, variance = feature_stats(X, train, center_clips=self.clip_centering_)
        monitor = "loss" if val is None else "val_loss"
        n_steps = self.epochs * len(batches)

        with seeded(seed), _single_frame_quiet(self.input_shape_[0]):
            self.model_ = self._assemble_model(builder, hyper, mean, variance, n_steps)
            callbacks, stopper = self._training_callbacks(monitor)
            history = self.model_.fit(
                batches, validation_data=validation_data, epochs=self.epochs,
                callbacks=callbacks, verbose=self.verbose, shuffle=False, **fit_args,
            )
        self.history_ = {key: [float(v) for v in values]
                         for key, values in history.history.items()}
        n_epochs = len(self.history_["loss"])
        self.best_epoch_ = int(stopper.best_epoch) if stopper is not None else n_epochs - 1
        self.final_metrics_ = {
            key: self.history_[key][self.best_epoch_] if key in self.history_ else math.nan
            for key in ("loss", "accuracy", "val_loss", "val_accuracy")
        }
        return self

    def summary_metrics(self) -> dict:
        """The figures the seed recipe printed after training, from :attr:`final_metrics_`.

        Returns
        -------
        metrics : dict
            ``"Final Accuracy"``, ``"Final Validation Accuracy"``, ``"Final Loss"`` and
            ``"Final Validation Loss"`` at ``best_epoch_`` (NaN without a validation set).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_ser import SERClassifier
        >>> X = np.random.default_rng(0).normal(size=(20, 10, 4))
        >>> y = np.tile(["a", "b"], 10)
        >>> clf = SERClassifier(arch="cnn", epochs=1, validation_fraction=None,
        ...                     model__filters=4).fit(X, y)
        >>> list(clf.summary_metrics())
        ['Final Accuracy', 'Final Validation Accuracy', 'Final Loss', 'Final Validation Loss']
        """
        check_is_fitted(self)
        m = self.final_metrics_
        return {
            "Final Accuracy": m["accuracy"],
            "Final Validation Accuracy": m["val_accuracy"],
            "Final Loss": m["loss"],
            "Final Validation Loss": m["val_loss"],
        }

    # ------------------------------------------------------------------ inference

    def _forward(self, X) -> np.ndarray:
        chunk = self._routed_params()["predict"].get("batch_size", _PREDICT_CHUNK)
        with _single_frame_quiet(self.input_shape_[0]):
            parts = [np.asarray(self.model_.predict_on_batch(X[start:start + chunk]))
                     for start in range(0, X.shape[0], chunk)]
        return np.concatenate(parts)

    def predict_proba(self, X):
        """Class probabilities of each clip.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features) or (n_samples, n_features)
            Clean feature sequences (no views axis), shaped as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities; column ``k`` belongs to ``classes_[k]``.
        """
        X = self._validate_predict_input(X)
        proba = self._forward(X).astype(np.float64)
        # renormalise in float64: float32 softmax rows can miss 1 by a few ulp
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of each clip.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features) or (n_samples, n_features)
            Clean feature sequences (no views axis), shaped as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features) or (n_samples, n_features)
            Clean feature sequences.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy of ``predict(X)``.
        """
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)
