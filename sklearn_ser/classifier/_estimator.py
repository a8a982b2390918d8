"""SERClassifier: the Keras architectures as scikit-learn classifiers, via scikeras."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scikeras.wrappers import KerasClassifier
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._tags import ClassifierTags
from sklearn.utils.metaestimators import available_if

from .. import defaults
from ..models import ARCHITECTURES
from ._fine_tune import continue_training
from ._inference import _Inference, single_frame_quiet
from ._input import training_rows, validate_fit_input, validation_split
from ._routing import architecture, routed_params
from ._training import (
    assemble_model,
    compile_arguments,
    feature_stats,
    history_summary,
    schedule_callbacks,
    seeded,
    training_data,
)

__all__ = ["SERClassifier"]


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


class SERClassifier(_Inference, KerasClassifier):
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
        None trains on all views in every epoch. Fewer view-passes train faster but less
        well (benchmarks/README.md has the measured trade-off).
    mixup : float, default=0.0
        Mixup (Zhang et al., 2018): each training row is blended with another row of its
        batch, features and one-hot targets alike, by a weight from Beta(mixup, mixup) folded
        onto [0.5, 1]. Needs ``loss="categorical_crossentropy"``; validation rows stay
        unmixed. Off by default: 0.2 did not help on held-out speakers (:doc:`/accuracy`).
    optimizer : str, keras.optimizers.Optimizer or its class, default="adam"
        Keras optimizer; configure it with routed parameters such as
        ``optimizer__learning_rate``, the peak rate of the ``"cosine"`` schedule. Without
        one, an optimizer given by name or class starts from
        :data:`sklearn_ser.defaults.LEARNING_RATE` (1e-3); an optimizer instance keeps its
        own rate.
    loss : str or keras loss, default="sparse_categorical_crossentropy"
        Training loss. A categorical cross-entropy one-hot encodes the targets, which label
        smoothing needs: ``loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1)``
        (scikeras routes ``loss__`` parameters to loss classes only, and a class or a name
        of this loss is taken as the function, which has none).
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
        gives identical predictions on the CPU, without TensorFlow's op determinism mode,
        also while other threads of the process use Python's ``random`` (a dask worker's
        event loop does). None: not reproducible.
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

    **Defaults.** The training defaults and the ``cnn_gru`` architecture were chosen by
    speaker-independent cross-validation; :doc:`/accuracy` has the experiments.

    **2-D input.** ``(n_samples, n_features)`` (for example clip-level statistics) is treated
    as sequences of one frame, which every architecture handles (pooling pads instead of
    shrinking below one frame).

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
        "mixup": [Interval(Real, 0, None, closed="left")],
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
        arch=defaults.ARCHITECTURE,
        *,
        epochs=defaults.EPOCHS,
        batch_size=defaults.BATCH_SIZE,
        views_per_epoch=None,
        mixup=0.0,
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=None,
        early_stopping=False,
        validation_fraction=defaults.VALIDATION_FRACTION,
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
        self.mixup = mixup
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
        return routed_params(self.get_params(deep=False), set(self._parameter_constraints),
                             type(self).__name__)

    def _seed(self):
        if self.random_state is None:
            return None
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    # The two scikeras private hooks this class still uses (tests/test_scikeras_hooks.py
    # fails loudly if a new scikeras changes them): they resolve routed optimizer__, loss__,
    # metrics__ and callbacks__ parameters exactly as scikeras documents.

    def _scikeras_compile_kwargs(self) -> dict:
        return self._get_compile_kwargs()

    def _scikeras_fit_callbacks(self) -> list:
        self._initialize_callbacks()
        callbacks = list(self._fit_callbacks)
        del self._fit_callbacks, self._predict_callbacks
        return callbacks

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
        builder, hyper = architecture(self.arch, routed["model"])
        X, y = validate_fit_input(self, X, y)
        classes = np.unique(y)  # zero-weight classes stay among the classes
        rows, y, weights = training_rows(X, y, sample_weight, self.class_weight,
                                         owner=type(self).__name__)
        seed = self._seed()
        train, val = validation_split(y, self.validation_fraction, seed)
        targets = self._set_metadata(X, y, classes)
        fit_args = dict(routed["fit"])
        views = X.shape[1] if self.views_per_epoch is None else self.views_per_epoch
        batches, validation_data = training_data(
            X, rows, targets, weights, train, val, views_per_epoch=views, seed=seed,
            batch_size=fit_args.pop("batch_size", self.batch_size),
            shuffle=fit_args.pop("shuffle", True), mixup=self.mixup)
        monitor = "loss" if val is None else "val_loss"
        with seeded(seed), single_frame_quiet(self.input_shape_[0]), batches:
            self.model_ = self._compiled_model(builder, hyper, routed, X, rows[train],
                                               n_steps=self.epochs * len(batches))
            callbacks, stopper = schedule_callbacks(
                monitor, early_stopping=self.early_stopping, lr_schedule=self.lr_schedule,
                reduce_lr_factor=self.reduce_lr_factor,
                reduce_lr_patience=self.reduce_lr_patience, verbose=self.verbose)
            history = self.model_.fit(
                batches, validation_data=validation_data, epochs=self.epochs,
                callbacks=self._scikeras_fit_callbacks() + callbacks, verbose=self.verbose,
                shuffle=False, **fit_args,
            )
        self.history_, self.best_epoch_, self.final_metrics_ = history_summary(history, stopper)
        return self

    def _continue_training(self, X, y, *, epochs, learning_rate, views_per_epoch=None,
                           seed=None):
        """Train the fitted network further on ``(X, y)``, in place: fine-tuning's step.

        ``fit`` builds a new network; this keeps the fitted one, its standardisation and its
        classes. See :func:`sklearn_ser.classifier._fine_tune.continue_training`.
        """
        return continue_training(self, X, y, epochs=epochs, learning_rate=learning_rate,
                                 views_per_epoch=views_per_epoch, seed=seed)

    # ------------------------------------------------------------------ persistence
    # sklearn_ser.save stores the fitted attributes except these; load rebuilds them with
    # _persistence_restore: scikeras's label encoder is a function of classes_ (and holds a
    # scikeras object that the safe format would otherwise have to trust)
    _persistence_derived = ("target_encoder_",)

    def _persistence_restore(self):
        if hasattr(self, "classes_"):
            self.target_encoder_ = self.target_encoder.fit(self.classes_)

    def _set_metadata(self, X, y, classes):
        """Set the fitted attributes the data decides; return the encoded targets."""
        self.classes_ = classes
        self.n_classes_ = classes.size
        self.input_shape_ = tuple(X.shape[2:])
        self.n_views_ = X.shape[1]
        # one frame minus its own mean is zero: centring needs sequences
        self.clip_centering_ = bool(self.clip_centering) and self.input_shape_[0] > 1
        # scikeras's label encoder: ordinal targets, or one-hot for categorical_crossentropy
        self.target_encoder_ = self.target_encoder.fit(y)
        return self.target_encoder_.transform(y)

    def _compiled_model(self, builder, hyper, routed, X, train_rows, *, n_steps):
        """The network, its standardisation set from the training clips, compiled."""
        mean, variance = feature_stats(X, train_rows, center_clips=self.clip_centering_)
        model = assemble_model(builder, hyper, self.input_shape_, self.n_classes_,
                               clip_centering=self.clip_centering_, mean=mean,
                               variance=variance)
        # the library's peak rate, unless the user set one (routed, or in an optimizer object)
        default_rate = (defaults.LEARNING_RATE if isinstance(self.optimizer, (str, type))
                        and "learning_rate" not in routed["optimizer"] else None)
        model.compile(**compile_arguments(self._scikeras_compile_kwargs(), self.lr_schedule,
                                          n_steps, default_learning_rate=default_rate))
        return model
