"""OpenSmileTransformer: openSMILE's standard feature sets (eGeMAPS, ComParE, ...) as a transformer.

The clips go through the library's own front end (:mod:`sklearn_ser.frontend`): the same input
forms, the same decoding and the same error messages as
:class:`~sklearn_ser.AudioFeatureTransformer`. What differs is the default: openSMILE gets
the decoded signal as it is, at the file's own sample rate, so that the functionals equal
``opensmile.Smile(...).process_file`` on the same file, the figures papers report.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import defaults
from ..frontend.augment import resolve_augmentations
from ..frontend.decode import MAX_SR, MIN_SR
from ..frontend.extraction import (
    EXTRACTION_CONSTRAINTS,
    FRONT_END_CONSTRAINTS,
    ClipFeaturesMixin,
    map_clips,
    view_seeds,
)
from ..frontend.inputs import clip_sources
from ..frontend.smile_clip import (
    FEATURE_LEVELS,
    SmileConfig,
    get_smile,
    import_opensmile,
    smile_clip,
)
from ..utils._docstrings import fill_doc

__all__ = ["FEATURE_LEVELS", "OpenSmileTransformer", "make_functionals_pipeline"]


@fill_doc
class OpenSmileTransformer(ClipFeaturesMixin, TransformerMixin, BaseEstimator):
    """openSMILE's standard feature sets (eGeMAPS, ComParE, ...) for scikit-learn and SERClassifier.

    Each clip is read by the library's front end (the inputs, loading and error messages of
    :class:`~sklearn_ser.AudioFeatureTransformer`) and handed to openSMILE through the
    ``opensmile`` package (``pip install sklearn-ser[opensmile]``). By default the decoded
    signal goes to openSMILE as it is, at the file's own sample rate, so the functionals equal
    ``opensmile.Smile(feature_set, "Functionals").process_file(path)`` on a mono file: the
    figures papers report. Trimming, peak normalisation and a fixed length are options; they
    reuse the conditioning functions of :mod:`sklearn_ser.frontend.condition`.

    .. note::
        With ``augment`` set (low-level descriptors only), ``fit_transform`` differs from
        ``fit(X).transform(X)`` as in :class:`~sklearn_ser.AudioFeatureTransformer`: it returns
        each clip and its augmented views on an extra axis, ``(n_samples, n_views, n_frames,
        n_features)`` with view 0 the clean clip, while ``transform`` never augments. One
        output row per input row is kept, so cross-validation splits clips, and
        :class:`~sklearn_ser.SERClassifier` unrolls the views into training rows.

    Parameters
    ----------
    feature_set : str, default="eGeMAPSv02"
        A member of ``opensmile.FeatureSet``: ``"eGeMAPSv02"`` (88 functionals, 25 LLDs),
        ``"ComParE_2016"`` (6,373 functionals, 65 LLDs), ``"GeMAPSv01b"`` (62 functionals),
        ``"emobase"``, ``"IS09"`` ... ``"IS13"``. Deprecated sets (``"eGeMAPSv01a"``, ...)
        work with openSMILE's deprecation warning.
    level : {"functionals", "lld", "lld_deltas"}, default="functionals"
        ``"functionals"``: statistics over the clip, float32 ``(n_samples, n_features)``
        for scikit-learn estimators. ``"lld"``: the low-level descriptors frame by frame
        (10 ms hop), float32 ``(n_samples, n_frames, n_features)`` for
        :class:`~sklearn_ser.SERClassifier`; needs ``duration``. ``"lld_deltas"``: their
        deltas (ComParE and the IS sets only).
    sr : int or None, default=None
        Sample rate clips are resampled to before openSMILE. None hands each file over at
        its own rate, as ``process_file`` reads it.
    input_sr : int or None, default=None
        Sample rate of in-memory waveforms (files carry their own). None means they are at
        ``sr``; with ``sr=None`` too, waveforms are refused for want of a rate.
    duration : float or None, default=None
        Clip length in seconds after trimming (padded as ``pad_mode`` says, or cropped at the
        end); None keeps each clip's length. Required by the LLD levels, whose frame count
        it fixes (:attr:`n_frames_`); a clip at a rate other than ``sr`` (or 16 kHz) may give
        a frame or two more or fewer, which are cropped, or filled by repeating the last.
    top_db : float or None, default=None
        Trim leading and trailing audio quieter than this many dB below the peak
        (:func:`sklearn_ser.frontend.condition.trim_silence`); None keeps the clip as it is.
    normalize : bool, default=False
        Peak-normalise each clip (just below full scale: openSMILE reads 16-bit audio).
        Without it, samples beyond full scale (the overshoot of lossy codecs) are saturated
        as in a 16-bit conversion, and a waveform peaking above 2.0 is refused.
    {{pad_mode}}
    augment : None or sequence, default=None
        Augmented views added by ``fit_transform`` (LLD levels only), as in
        :class:`~sklearn_ser.AudioFeatureTransformer`: names from
        :data:`sklearn_ser.frontend.augment.AUGMENTATIONS`, ``(name, params)`` pairs or callables.
    {{truncated}}
    n_jobs : int or None, default=None
        Clips processed in parallel with joblib (-1: all cores). Each worker process builds
        its own openSMILE object on first use.
    verbose : int, default=0
        Show a progress bar over clips when > 0.
    memory : None, str or joblib.Memory, default=None
        Cache the features of each clip, keyed on the file's content and the parameters.
    random_state : int, RandomState instance or None, default=None
        Seeds the augmentations of ``fit_transform``. A clip's views depend on this seed and
        the clip (its file's bytes or its samples), not on its position in ``X``.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        openSMILE's name of each feature (the last axis of the output).
    n_frames_ : int or None
        Frames per clip at the LLD levels (None for functionals).
    n_views_ : int
        Views per clip returned by ``fit_transform`` (1 + number of augmentations).
    augmentations_ : list of str
        Names of the augmentations applied by ``fit_transform``.
    n_features_in_ : int
        Width of a 2-D table of waveforms seen in ``fit`` (only then).

    See Also
    --------
    sklearn_ser.AudioFeatureTransformer : The library's own frame-level features.
    sklearn_ser.SpeechEmbeddingTransformer : Embeddings of pretrained speech models.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import OpenSmileTransformer
    >>> t = np.arange(16000) / 16000
    >>> waves = [0.3 * np.sin(2 * np.pi * f0 * t) for f0 in (140, 220)]
    >>> smile = OpenSmileTransformer(input_sr=16000)
    >>> smile.fit_transform(waves).shape     # eGeMAPSv02 functionals
    (2, 88)
    >>> smile.get_feature_names_out()[0]
    'F0semitoneFrom27.5Hz_sma3nz_amean'
    >>> OpenSmileTransformer(level="lld", input_sr=16000, duration=1.0).fit_transform(waves).shape
    (2, 96, 25)
    """

    _parameter_constraints: dict = {
        **FRONT_END_CONSTRAINTS,
        **EXTRACTION_CONSTRAINTS,
        "feature_set": [str],
        "level": [StrOptions(set(FEATURE_LEVELS))],
        "sr": [Interval(Integral, MIN_SR, MAX_SR, closed="both"), None],
        "normalize": ["boolean"],
    }

    def __init__(
        self,
        feature_set="eGeMAPSv02",
        *,
        level="functionals",
        sr=None,
        input_sr=None,
        duration=None,
        top_db=None,
        normalize=False,
        pad_mode="constant",
        augment=None,
        truncated="error",
        n_jobs=None,
        verbose=0,
        memory=None,
        random_state=None,
    ):
        self.feature_set = feature_set
        self.level = level
        self.sr = sr
        self.input_sr = input_sr
        self.duration = duration
        self.top_db = top_db
        self.normalize = normalize
        self.pad_mode = pad_mode
        self.augment = augment
        self.truncated = truncated
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.memory = memory
        self.random_state = random_state

    def _check_settings(self, sources) -> list:
        opensmile = import_opensmile()
        if self.feature_set not in opensmile.FeatureSet.__members__:
            raise ValueError(
                f"Parameter 'feature_set' is {self.feature_set!r}, not one of openSMILE's "
                f"feature sets: {sorted(opensmile.FeatureSet.__members__)}."
            )
        if self.level != "functionals" and self.duration is None:
            raise ValueError(
                f"Parameter 'level'={self.level!r} gives one frame per 10 ms, so clips of "
                "different lengths give sequences of different lengths: set 'duration'."
            )
        augmentations = resolve_augmentations(
            self.augment,
            views_need="level='lld' or 'lld_deltas'" if self.level == "functionals" else None,
        )
        if self.sr is None and self.input_sr is None and any(s.kind == "wave" for s in sources):
            raise ValueError(
                "In-memory waveforms carry no sample rate and parameters 'sr' and 'input_sr' "
                "are both None: set input_sr to the waveforms' rate."
            )
        return augmentations

    def _config(self, augmentations=()) -> SmileConfig:
        return SmileConfig(
            feature_set=self.feature_set, level=self.level, sr=self.sr, input_sr=self.input_sr,
            duration=self.duration, top_db=self.top_db, normalize=self.normalize,
            pad_mode=self.pad_mode, n_frames=getattr(self, "n_frames_", None),
            augmentations=tuple(augmentations), truncated=self.truncated,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and the input, and read openSMILE's feature names.

        No statistics are learned from the audio.

        {{clips_fit_sections}}
        """
        augmentations = self._check_settings(clip_sources(self, X, reset=True))
        try:
            smile = get_smile(self.feature_set, self.level)
        except ValueError as exc:  # lld_deltas of a GeMAPS set
            raise ValueError(f"Parameters 'feature_set' and 'level': {exc}") from exc
        self.feature_names_out_ = np.asarray(smile.feature_names, dtype=object)
        self.augmentations_ = [name for name, _, _ in augmentations]
        self.n_views_ = 1 + len(augmentations)
        self.n_frames_ = None
        if self.level != "functionals":
            probe_sr = self.sr or defaults.SAMPLE_RATE
            silence = np.zeros(round(self.duration * probe_sr), dtype=np.float32)
            self.n_frames_ = smile(silence[np.newaxis], probe_sr).shape[-1]
        return self

    def transform(self, X):
        """openSMILE features of clean clips (never augmented).

        {{clips_parameters}}

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features) or (n_samples, n_frames, n_features)
            float32 functionals, or LLD sequences.
        """
        check_is_fitted(self)
        return self._extract(X, augment=False)

    def fit_transform(self, X, y=None):
        """Fit, then extract features of the training clips **with** their augmented views.

        {{views_fit_transform}}

        {{clips_fit_parameters}}

        Returns
        -------
        X_out : ndarray, float32
        """
        self.fit(X, y)
        return self._extract(X, augment=self.n_views_ > 1)

    def _extract(self, X, *, augment: bool):
        sources = clip_sources(self, X, reset=False, content_keys=self.memory is not None)
        augmentations = self._check_settings(sources) if augment else ()
        seeds = view_seeds(self.random_state, sources) if augment else None
        return map_clips(smile_clip, sources, self._config(augmentations), seeds,
                         n_jobs=self.n_jobs, memory=self.memory, verbose=self.verbose,
                         desc="openSMILE")


def make_functionals_pipeline(feature_set="eGeMAPSv02", *, estimator=None,
                              C=defaults.FUNCTIONALS_C, input_sr=None, n_jobs=None, verbose=0,
                              memory=None):
    """openSMILE functionals, standardised, then a classical estimator: the classic anchor.

    ``Pipeline([("features", OpenSmileTransformer(feature_set)), ("scale", StandardScaler()),
    ("clf", estimator)])``, unfitted. The scaler is fitted inside each training fold, so no
    statistic of a test speaker leaks. This is the pipeline of ``sklearn-ser train
    --features compare`` and ``compare --baselines``, and the classic member of
    :func:`sklearn_ser.ensemble.make_fusion_classifier`.

    Parameters
    ----------
    feature_set : str, default="eGeMAPSv02"
        openSMILE feature set of the :class:`OpenSmileTransformer` (its functionals).
    estimator : classifier or None, default=None
        The final step. None: ``LogisticRegression(C=C, class_weight="balanced")``, whose
        strong default penalty suits thousands of correlated functionals and a few hundred
        clips per training fold.
    C : float, default=0.1
        Inverse L2 strength of the default logistic regression; not used with ``estimator``.
    input_sr : int or None, default=None
        Sample rate of in-memory waveforms (files carry their own).
    n_jobs : int or None, default=None
        Clips processed in parallel by the transformer.
    verbose : int, default=0
        Progress bar of the transformer when > 0.
    memory : None, str or joblib.Memory, default=None
        Cache of the transformer's features per clip.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``"features"``, ``"scale"`` and ``"clf"``, so ``clf__C`` is grid-searchable.

    Examples
    --------
    >>> from sklearn_ser.transformers.smile import make_functionals_pipeline
    >>> pipe = make_functionals_pipeline("ComParE_2016")
    >>> [name for name, _ in pipe.steps]
    ['features', 'scale', 'clf']
    >>> pipe.get_params()["clf__C"]
    0.1
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if estimator is None:
        estimator = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    # each whole clip at its own rate: the functionals papers report (process_file's)
    features = OpenSmileTransformer(feature_set, input_sr=input_sr, n_jobs=n_jobs,
                                    verbose=verbose, memory=memory)
    return Pipeline([("features", features), ("scale", StandardScaler()), ("clf", estimator)])
