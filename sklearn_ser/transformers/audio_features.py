"""AudioFeatureTransformer: audio in, frame-level features out, augmentation without leakage."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import defaults
from ..frontend.augment import resolve_augmentations
from ..frontend.clip import ClipConfig, clip_features
from ..frontend.decode import MAX_SR, MIN_SR
from ..frontend.extraction import (
    EXTRACTION_CONSTRAINTS,
    FRONT_END_CONSTRAINTS,
    ClipFeaturesMixin,
    check_out,
    map_clips,
    view_seeds,
)
from ..frontend.features import FeatureParams, check_feature_names, feature_names, resolve_features
from ..frontend.inputs import clip_sources
from ..utils._docstrings import fill_doc

__all__ = ["AudioFeatureTransformer"]


@fill_doc
class AudioFeatureTransformer(ClipFeaturesMixin, TransformerMixin, BaseEstimator):
    """Turn audio clips into frame-level feature sequences, with optional augmentation.

    Each clip is decoded (soundfile), downmixed to mono, resampled to ``sr`` (soxr),
    peak-normalised, trimmed of leading and trailing silence, padded or cropped to
    ``duration`` seconds, and analysed into a ``(n_frames, n_features)`` matrix with a single
    STFT shared by every spectral feature.

    .. note::
        ``fit_transform`` and ``fit(X).transform(X)`` differ when ``augment`` is set, as with
        :class:`sklearn.preprocessing.TargetEncoder`. ``fit_transform`` is what a
        :class:`~sklearn.pipeline.Pipeline` calls on training data: it returns the clean clip
        **and** its augmented views on an extra axis, ``(n_samples, 1 + n_augmentations,
        n_frames, n_features)`` with view 0 the clean clip. ``transform`` is what validation,
        test and ``predict`` data go through: it never augments and returns
        ``(n_samples, n_frames, n_features)``. One output row per input row is kept either
        way, so cross-validation and grid search split clips, never copies of a clip, and only
        training folds are augmented. :class:`~sklearn_ser.SERClassifier` unrolls the views
        into training rows.

    Parameters
    ----------
    sr : int, default=16000
        Sample rate the audio is resampled to (1000 to 384000 Hz).
    input_sr : int or None, default=None
        Sample rate of in-memory waveforms (file inputs carry their own; a file declaring a
        rate outside 1000-384000 Hz is refused as damaged). None means the waveforms are
        already at ``sr``. A 2-D waveform is multichannel in either layout, ``(n_samples,
        n_channels)`` or librosa's ``(n_channels, n_samples)`` with at most 8 channels
        (:func:`sklearn_ser.frontend.decode.check_waveform`), and is averaged to mono.
    duration : float or None, default=2.0
        Clip length in seconds after trimming (padded as ``pad_mode`` says, or cropped at the
        end). None keeps each clip's length and is only allowed with ``output="stats"``.
        With a duration, at most ``duration + 10`` seconds of each file are decoded (the
        margin leaves room for leading silence to trim): a longer file is analysed as if it
        ended there. Two seconds hold most of an utterance's emotional cues (the
        experiments are on the :doc:`/accuracy` page).
    top_db : float or None, default=30.0
        Leading and trailing audio quieter than this many dB below the peak is trimmed.
        None disables trimming. A clip that is silent throughout is kept untrimmed.
    {{truncated}}
    {{pad_mode}}
        Repeating keeps every frame speech, so statistics over a clip (and the per-clip
        centring of :class:`~sklearn_ser.SERClassifier`) do not depend on how short the clip
        was: use it when ``duration`` is longer than most clips (:doc:`/accuracy` has the
        measured difference).
    features : sequence of str, default=("mel",)
        Frame-level features from :data:`sklearn_ser.frontend.features.FEATURES`, concatenated in
        this order: ``zcr``, ``rms``, ``mfcc``, ``delta``, ``delta2`` (of the MFCCs), ``mel``
        (log-mel), ``pitch`` (F0 contour in octaves re 100 Hz and voicing strength: two
        columns), ``spectral_centroid``, ``spectral_bandwidth``, ``spectral_rolloff``,
        ``spectral_contrast``, ``spectral_flatness``, ``chroma``. The default, log-mel
        energies alone, is what the convolutional models learn best from with held-out
        speakers (:doc:`/accuracy`); the seed's ``("zcr", "rms", "mfcc")`` and statistics
        for classical estimators remain a parameter away.
    n_fft : int, default=1024
        FFT and analysis-window size in samples (64 ms at 16 kHz).
    hop_length : int, default=512
        Hop between frames in samples (32 ms at 16 kHz: 94 frames per 3 s clip).
    n_mels : int, default=64
        Mel bands of ``mel`` and of the filterbank the MFCCs are computed from.
    n_mfcc : int, default=20
        MFCCs per frame (also the width of ``delta`` and ``delta2``).
    mel_top_db : float, default=80.0
        Dynamic range of the log-mel bands (and of the MFCCs computed from them): cells more
        than this many dB below the view's loudest cell are raised to that floor, as
        ``librosa.power_to_db(..., top_db=mel_top_db)`` does. A lower floor makes pauses,
        padding and background noise look alike in recordings of different quality
        (:doc:`/accuracy` has the measured effect across corpora).
    augment : None or sequence, default=None
        Augmented views added by ``fit_transform`` only. Entries are names from
        :data:`sklearn_ser.frontend.augment.AUGMENTATIONS` (``"noise"``, ``"stretch_pitch"``,
        ``"shift"``, ``"echo"``, ``"reverb"``), ``(name, params)`` pairs such as
        ``("noise", {"snr_db": (5, 15)})``, or callables ``f(y, sr, rng, **params)``.
    output : {"sequence", "stats"}, default="sequence"
        ``"sequence"``: float32 ``(n_samples, n_frames, n_features)`` for the Keras models.
        ``"stats"``: 2-D ``(n_samples, 2 * n_features)``, the mean and standard deviation of
        each feature over frames, for classical scikit-learn estimators.
    n_jobs : int or None, default=None
        Clips processed in parallel with joblib (-1: all cores).
    verbose : int, default=0
        Show a progress bar over clips when > 0.
    memory : None, str or joblib.Memory, default=None
        Cache the features of each clip, keyed on all parameters and, for a file, its path
        and a BLAKE2b digest of its bytes (read once per call): a file replaced by another
        of the same size and modification time is recomputed, never served stale. With an
        int ``random_state`` a clip's augmented views are the same in every fold of a
        cross-validation, so they are computed once for all folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the augmentations, so ``fit_transform`` is reproducible. A clip's views depend
        on this seed and the clip (its file's bytes or its samples), not on its
        position in ``X``.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        Name of each output feature column.
    n_views_ : int
        Views per clip returned by ``fit_transform`` (1 + number of augmentations).
    augmentations_ : list of str
        Names of the augmentations applied by ``fit_transform``.
    n_frames_ : int or None
        Frames per clip (None when ``duration`` is None).

    See Also
    --------
    sklearn_ser.SERClassifier : Keras classifiers that consume the sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import AudioFeatureTransformer
    >>> rng = np.random.default_rng(0)
    >>> waves = [rng.standard_normal(16000) * 0.1 for _ in range(4)]
    >>> aft = AudioFeatureTransformer(duration=1.0, augment=["noise", "shift"], random_state=0)
    >>> aft.fit_transform(waves).shape        # training: clean + 2 augmented views
    (4, 3, 32, 64)
    >>> aft.transform(waves).shape            # validation / test / predict: never augmented
    (4, 32, 64)
    >>> aft.get_feature_names_out()[:3].tolist()
    ['mel_0', 'mel_1', 'mel_2']
    """

    _parameter_constraints: dict = {
        **FRONT_END_CONSTRAINTS,
        **EXTRACTION_CONSTRAINTS,
        "sr": [Interval(Integral, MIN_SR, MAX_SR, closed="both")],
        "features": ["array-like", str],
        "n_fft": [Interval(Integral, 2, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "mel_top_db": [Interval(Real, 0, None, closed="neither")],
        "output": [StrOptions({"sequence", "stats"})],
    }

    def __init__(
        self,
        *,
        sr=defaults.SAMPLE_RATE,
        input_sr=None,
        duration=defaults.CLIP_DURATION,
        top_db=defaults.TOP_DB,
        pad_mode="constant",
        truncated="error",
        features=("mel",),
        n_fft=1024,
        hop_length=512,
        n_mels=64,
        n_mfcc=20,
        mel_top_db=80.0,
        augment=None,
        output="sequence",
        n_jobs=None,
        verbose=0,
        memory=None,
        random_state=None,
    ):
        self.sr = sr
        self.input_sr = input_sr
        self.duration = duration
        self.top_db = top_db
        self.pad_mode = pad_mode
        self.truncated = truncated
        self.features = features
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.n_mfcc = n_mfcc
        self.mel_top_db = mel_top_db
        self.augment = augment
        self.output = output
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.memory = memory
        self.random_state = random_state

    def _feature_params(self) -> FeatureParams:
        return FeatureParams(sr=self.sr, n_fft=self.n_fft, hop_length=self.hop_length,
                             n_mels=self.n_mels, n_mfcc=self.n_mfcc,
                             top_db=float(self.mel_top_db))

    def _check_settings(self):
        features = check_feature_names(self.features)
        uses_mfcc = {"mfcc", "delta", "delta2"} & set(features)
        if uses_mfcc and self.n_mfcc > self.n_mels:
            raise ValueError(
                f"Parameter 'n_mfcc' ({self.n_mfcc}) cannot exceed 'n_mels' ({self.n_mels}): "
                "the MFCCs are computed from the mel bands."
            )
        if self.duration is None and self.output == "sequence":
            raise ValueError(
                "Parameter 'duration' is None, which gives clips of different lengths; "
                "output='sequence' needs equal lengths. Set a duration or use output='stats'."
            )
        augmentations = resolve_augmentations(
            self.augment, views_need="output='sequence'" if self.output == "stats" else None
        )
        return features, augmentations

    def _config(self, augmentations) -> ClipConfig:
        return ClipConfig(
            sr=self.sr,
            input_sr=self.input_sr,
            duration=self.duration,
            top_db=self.top_db,
            pad_mode=self.pad_mode,
            features=resolve_features(self.features),
            params=self._feature_params(),
            augmentations=tuple(augmentations),
            stats=self.output == "stats",
            truncated=self.truncated,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and the input; no audio statistics are learned.

        {{clips_fit_sections}}
        """
        clip_sources(self, X, reset=True)
        features, augmentations = self._check_settings()
        names = feature_names(features, self._feature_params())
        if self.output == "stats":
            names = [f"{n}_mean" for n in names] + [f"{n}_std" for n in names]
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.augmentations_ = [name for name, _, _ in augmentations]
        self.n_views_ = 1 + len(augmentations)
        self.n_frames_ = (
            None if self.duration is None
            else self._feature_params().n_frames(round(self.duration * self.sr))
        )
        return self

    def transform(self, X, *, out=None):
        """Extract features of clean clips (never augmented).

        Use this for validation, test and prediction data. See the class note on how it
        differs from :meth:`fit_transform`.

        {{clips_parameters}}
        out : ndarray or numpy.memmap, default=None
            Preallocated float32 array of the output's shape to write the features into, one
            clip at a time (a memmap keeps features larger than memory on disk); it is
            returned. A wrong shape, dtype or a read-only array is an error before any clip
            is read.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_frames, n_features) or (n_samples, 2 * n_features)
            float32 features; the 2-D form with ``output="stats"``.
        """
        check_is_fitted(self)
        return self._extract(X, augment=False, out=out)

    def fit_transform(self, X, y=None, *, out=None):
        """Fit, then extract features of the training clips **with** their augmented views.

        {{views_fit_transform}}
        See the class note: this is why only training folds are augmented in cross-validation.

        {{clips_fit_parameters}}
        out : ndarray or numpy.memmap, default=None
            As in :meth:`transform`, of the shape returned here.

        Returns
        -------
        X_out : ndarray, float32
            ``(n_samples, n_views, n_frames, n_features)`` with augmentation, otherwise as
            :meth:`transform`.

        Examples
        --------
        Features straight into a file, which ``SERClassifier.fit`` trains from in batches:

        >>> import tempfile, numpy as np
        >>> from pathlib import Path
        >>> from sklearn_ser import AudioFeatureTransformer
        >>> waves = [np.random.default_rng(i).standard_normal(8000) * 0.1 for i in range(3)]
        >>> aft = AudioFeatureTransformer(duration=0.5, augment=["noise"], random_state=0)
        >>> shape = aft.fit(waves).output_shape(len(waves), augment=True)
        >>> shape
        (3, 2, 16, 64)
        >>> path = Path(tempfile.mkdtemp()) / "features.npy"
        >>> X = np.lib.format.open_memmap(path, mode="w+", dtype="float32", shape=shape)
        >>> aft.fit_transform(waves, out=X) is X
        True
        """
        self.fit(X, y)
        return self._extract(X, augment=self.n_views_ > 1, out=out)

    def output_shape(self, n_samples, *, augment=False):
        """Shape of the features of ``n_samples`` clips: what to preallocate as ``out``.

        Parameters
        ----------
        n_samples : int
            Number of clips.
        augment : bool, default=False
            True for :meth:`fit_transform` with augmentation (a views axis), False for
            :meth:`transform`.

        Returns
        -------
        shape : tuple of int
        """
        check_is_fitted(self)
        views = (self.n_views_,) if augment and self.n_views_ > 1 else ()
        frames = () if self.output == "stats" else (self.n_frames_,)
        return (int(n_samples), *views, *frames, len(self.feature_names_out_))

    def _extract(self, X, *, augment: bool, out=None):
        # a cache is keyed on file content, so only then is every file read for its digest
        sources = clip_sources(self, X, reset=False, content_keys=self.memory is not None)
        _, augmentations = self._check_settings()
        config = self._config(augmentations if augment else ())
        seeds = view_seeds(self.random_state, sources) if augment else None
        if out is not None:
            out = check_out(out, self.output_shape(len(sources), augment=augment))
        return map_clips(clip_features, sources, config, seeds, n_jobs=self.n_jobs,
                         memory=self.memory, verbose=self.verbose,
                         shape_hint="; with duration=None use output='stats'", out=out)
