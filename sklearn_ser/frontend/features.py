"""Frame-level audio features and their registry.

One short-time Fourier transform is computed per signal and every spectral feature is derived
from it (magnitude, power, mel filterbank, MFCC, ...), lazily and once, through
:class:`SpectralContext`. All functions accept a batch of equal-length signals with any leading
shape ``(..., n_samples)``, so the augmented views of one clip share a single batched STFT and a
single filterbank product.

Register a new feature with :func:`register_feature`. The transforms and operators
themselves (STFT, mel filterbank, DCT, delta filter) live in :mod:`sklearn_ser.frontend.dsp`;
``stft``, ``hann_window`` and ``mel_filterbank`` are re-exported here, their home before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .dsp import (
    _bin_frequencies,
    _dct_operator,
    _delta_operator,
    _mel_operator,
    _rms_weights,
    hann_window,
    mel_filterbank,
    periodicity,
    power_of,
    stft,
)

__all__ = [
    "FEATURES",
    "FeatureParams",
    "SpectralContext",
    "extract_features",
    "feature_names",
    "hann_window",
    "mel_filterbank",
    "register_feature",
    "stft",
]


@dataclass(frozen=True)
class FeatureParams:
    """Analysis parameters shared by every feature.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    n_fft : int
        FFT size (and analysis window length) in samples.
    hop_length : int
        Hop between frames in samples.
    n_mels : int
        Number of mel bands (for ``mel`` and as the basis of ``mfcc``).
    n_mfcc : int
        Number of cepstral coefficients (``mfcc``, ``delta``, ``delta2``).
    fmin, fmax : float or None
        Frequency range of the mel filterbank (``fmax=None`` means ``sr / 2``).
    top_db : float
        Dynamic range kept in log-mel features, in dB below each signal's maximum.
    """

    sr: int = 16000
    n_fft: int = 512
    hop_length: int = 256
    n_mels: int = 64
    n_mfcc: int = 20
    fmin: float = 0.0
    fmax: float | None = None
    top_db: float = 80.0

    def n_frames(self, n_samples: int) -> int:
        """Number of frames for a signal of ``n_samples`` (centred, zero-padded frames)."""
        return 1 + (n_samples + 2 * (self.n_fft // 2) - self.n_fft) // self.hop_length


def _frames_last(frames: np.ndarray) -> np.ndarray:
    """librosa's ``(..., n_dims, n_frames)`` layout of frames-first data, as a view."""
    return np.swapaxes(frames, -1, -2)


def _librosa_view(frames_attribute: str, doc: str) -> property:
    """Read-only property: attribute ``frames_attribute`` in librosa's layout."""
    return property(lambda self: _frames_last(getattr(self, frames_attribute)), doc=doc)


class SpectralContext:
    """Lazily computed, cached spectral representations of a batch of signals.

    Everything is computed once, on first use, from a single STFT. The ``*_frames``
    attributes are frames-first, ``(..., n_frames, n_dims)``: that is the layout the
    filterbank, DCT and output arrays use, so the built-in features never transpose data.
    The public ``magnitude``, ``power``, ``log_mel``, ``mfcc`` and ``delta`` keep librosa's
    ``(..., n_dims, n_frames)`` layout (as views) for features written with librosa.

    Parameters
    ----------
    y : ndarray of shape (..., n_samples)
        Equal-length signals.
    params : FeatureParams
    """

    def __init__(self, y: np.ndarray, params: FeatureParams):
        self.y = np.asarray(y, dtype=np.float32)
        self.params = params

    @cached_property
    def spectrum_frames(self) -> np.ndarray:
        """Complex STFT, ``(..., n_frames, n_bins)``."""
        return stft(self.y, self.params.n_fft, self.params.hop_length)

    @cached_property
    def power_frames(self) -> np.ndarray:
        return power_of(self.spectrum_frames)

    @cached_property
    def magnitude_frames(self) -> np.ndarray:
        return np.sqrt(self.power_frames)

    @cached_property
    def log_mel_frames(self) -> np.ndarray:
        p = self.params
        mel = _mel_operator(p.sr, p.n_fft, p.n_mels, p.fmin, p.fmax)(self.power_frames)
        db = np.log10(np.maximum(mel, np.float32(1e-10), out=mel), out=mel)
        db *= np.float32(10.0)
        # the dynamic-range floor is per signal: a batch of views must not share one maximum
        floor = db.max(axis=(-2, -1), keepdims=True) - np.float32(p.top_db)
        return np.maximum(db, floor, out=db)

    @cached_property
    def mfcc_frames(self) -> np.ndarray:
        p = self.params
        # one product per signal, not one for the batch: BLAS rounding depends on the
        # matrix shape, and a clip's features must not depend on how many views it came with
        return np.matmul(self.log_mel_frames, _dct_operator(p.n_mels, p.n_mfcc))

    def delta_frames(self, order: int) -> np.ndarray:
        mfcc = self.mfcc_frames
        return np.matmul(_delta_operator(mfcc.shape[-2], order, 9), mfcc)

    magnitude = _librosa_view("magnitude_frames", "STFT magnitude, ``(..., n_bins, n_frames)``.")
    power = _librosa_view("power_frames", "STFT power, ``(..., n_bins, n_frames)``.")
    log_mel = _librosa_view(
        "log_mel_frames", "Log-mel spectrogram in dB, ``(..., n_mels, n_frames)``."
    )
    mfcc = _librosa_view("mfcc_frames", "MFCCs, ``(..., n_mfcc, n_frames)``.")

    def delta(self, order: int) -> np.ndarray:
        """Delta (``order=1``) or delta-delta (``order=2``) of the MFCCs, like librosa's
        ``feature.delta(mfcc, width=9, order=order)``; ``(..., n_mfcc, n_frames)``."""
        return _frames_last(self.delta_frames(order))


@dataclass(frozen=True)
class Feature:
    """A registered feature: ``compute(ctx) -> (..., n_dims, n_frames)`` and its column names.

    Resolved features, not their names, travel to joblib workers (see
    :func:`resolve_features`): a worker process does not see what :func:`register_feature`
    added to the registry of the main process. Both callables must therefore be picklable,
    i.e. defined at module level.
    """

    compute: Callable[[SpectralContext], np.ndarray]
    names: Callable[[FeatureParams], list[str]]


@dataclass(frozen=True)
class _FixedNames:
    names: tuple[str, ...]

    def __call__(self, params: FeatureParams) -> list[str]:
        return list(self.names)


@dataclass(frozen=True)
class _IndexedNames:
    """``prefix_0 ... prefix_{n-1}`` with ``n`` the ``FeatureParams`` attribute ``attr``."""

    prefix: str
    attr: str

    def __call__(self, params: FeatureParams) -> list[str]:
        return [f"{self.prefix}_{i}" for i in range(getattr(params, self.attr))]


FEATURES: dict[str, Feature] = {}


def register_feature(name: str, compute: Callable, names: Callable | list[str]) -> None:
    """Add a feature to the registry.

    Parameters
    ----------
    name : str
        Name used in ``AudioFeatureTransformer(features=[...])``.
    compute : callable
        ``compute(ctx: SpectralContext) -> ndarray of shape (..., n_dims, n_frames)``,
        defined at module level so that it pickles to parallel workers (``n_jobs > 1``).
    names : callable or list of str
        Column names, or ``names(params: FeatureParams) -> list of str`` (picklable too).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.features import (FEATURES, FeatureParams, extract_features,
    ...                                   register_feature)
    >>> def peak_bin(ctx):  # index of the loudest STFT bin of each frame
    ...     return np.argmax(ctx.power, axis=-2)[..., np.newaxis, :].astype(np.float32)
    >>> register_feature("peak_bin", peak_bin, ["peak_bin"])
    >>> extract_features(np.ones(4000), ["rms", "peak_bin"], FeatureParams()).shape
    (16, 2)
    >>> del FEATURES["peak_bin"]  # the registry is global: leave it as this example found it
    """
    names_fn = names if callable(names) else _FixedNames(tuple(names))
    FEATURES[name] = Feature(compute=compute, names=names_fn)


def _mfcc(ctx: SpectralContext) -> np.ndarray:
    return ctx.mfcc


def _delta(ctx: SpectralContext) -> np.ndarray:
    return ctx.delta(1)


def _delta2(ctx: SpectralContext) -> np.ndarray:
    return ctx.delta(2)


def _log_mel(ctx: SpectralContext) -> np.ndarray:
    return ctx.log_mel


def _zcr(ctx: SpectralContext) -> np.ndarray:
    # librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop, center=True):
    # edge-padded frames; a crossing is a sign-bit change between neighbours within a frame,
    # with |y| <= 1e-10 counted as +0. Counted for all frames at once with a cumulative sum.
    p = ctx.params
    length, y = p.n_fft, ctx.y
    padded = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(length // 2, length // 2)], mode="edge")
    sign = np.signbit(np.where(np.abs(padded) <= 1e-10, np.float32(0), padded))
    crossings = np.zeros(padded.shape, dtype=np.int64)  # crossings[..., k]: within [1, k]
    np.cumsum(sign[..., 1:] != sign[..., :-1], axis=-1, out=crossings[..., 1:])
    starts = np.arange(1 + (padded.shape[-1] - length) // p.hop_length) * p.hop_length
    count = crossings[..., starts + length - 1] - crossings[..., starts]
    return (count / length)[..., np.newaxis, :]


def _rms(ctx: SpectralContext) -> np.ndarray:
    # librosa.feature.rms(S=magnitude, frame_length=n_fft) as one product with the power
    rms = np.sqrt(ctx.power_frames @ _rms_weights(ctx.params.n_fft))
    return rms[..., np.newaxis, :]


#: Search range of ``pitch`` in Hz: low male voices to high female and child voices.
PITCH_RANGE = (60.0, 500.0)
#: Voicing strength (normalised autocorrelation) above which a frame's pitch is kept.
VOICING_THRESHOLD = 0.5


def _pitch(ctx: SpectralContext) -> np.ndarray:
    """Pitch contour in octaves re 100 Hz and voicing strength, from the shared STFT.

    In a frame that is not clearly voiced the period estimate is noise, so the pitch column
    holds the mean pitch of the signal's voiced frames there (0 without any): after the
    per-clip centring of :class:`~sklearn_ser.SERClassifier` the column is the intonation
    contour relative to the speaker's own level, and 0 where there is no pitch.
    """
    p = ctx.params
    f0, voicing = periodicity(ctx.power_frames, p.sr, p.n_fft, *PITCH_RANGE)
    octaves = np.log2(f0 / np.float32(100.0))
    voiced = voicing >= VOICING_THRESHOLD
    count = voiced.sum(axis=-1, keepdims=True)
    level = np.where(voiced, octaves, 0).sum(axis=-1, keepdims=True) / np.maximum(count, 1)
    pitch = np.where(voiced, octaves, level)
    return np.stack([pitch, voicing], axis=-2).astype(np.float32)


def _spectral_centroid(ctx: SpectralContext) -> np.ndarray:
    # librosa.feature.spectral_centroid: the magnitude-weighted mean frequency of each frame
    # (an all-zero frame, whose weights librosa cannot normalise, has centroid 0)
    magnitude = ctx.magnitude_frames
    total = magnitude.sum(axis=-1)
    total[total < np.finfo(np.float32).tiny] = 1.0
    centroid = (magnitude @ _bin_frequencies(ctx.params.sr, ctx.params.n_fft)) / total
    return centroid[..., np.newaxis, :]


@dataclass(frozen=True)
class _LibrosaFeature:
    """A feature computed by ``librosa.feature.<name>`` from the shared magnitude spectrum.

    librosa is imported on first use only: the built-in features above do without it, so
    parallel workers that do not need these start faster.
    """

    name: str

    def __call__(self, ctx: SpectralContext) -> np.ndarray:
        import librosa

        p = ctx.params
        return getattr(librosa.feature, self.name)(
            S=ctx.magnitude, sr=p.sr, n_fft=p.n_fft, hop_length=p.hop_length
        )


def _spectral_flatness(ctx: SpectralContext) -> np.ndarray:
    import librosa

    return librosa.feature.spectral_flatness(S=ctx.magnitude)


def _chroma(ctx: SpectralContext) -> np.ndarray:
    import librosa

    p = ctx.params
    # tuning=0 skips librosa's pitch-tracking tuning estimate, which costs more than the chroma
    return librosa.feature.chroma_stft(
        S=ctx.power, sr=p.sr, n_fft=p.n_fft, hop_length=p.hop_length, tuning=0.0
    )


register_feature("zcr", _zcr, ["zcr"])
register_feature("rms", _rms, ["rms"])
register_feature("mfcc", _mfcc, _IndexedNames("mfcc", "n_mfcc"))
register_feature("delta", _delta, _IndexedNames("mfcc_delta", "n_mfcc"))
register_feature("delta2", _delta2, _IndexedNames("mfcc_delta2", "n_mfcc"))
register_feature("mel", _log_mel, _IndexedNames("mel", "n_mels"))
register_feature("pitch", _pitch, ["pitch", "voicing"])
register_feature("spectral_centroid", _spectral_centroid, ["spectral_centroid"])
register_feature(
    "spectral_bandwidth", _LibrosaFeature("spectral_bandwidth"), ["spectral_bandwidth"]
)
register_feature("spectral_rolloff", _LibrosaFeature("spectral_rolloff"), ["spectral_rolloff"])
register_feature(
    "spectral_contrast",
    _LibrosaFeature("spectral_contrast"),
    [f"spectral_contrast_{i}" for i in range(7)],
)
register_feature("spectral_flatness", _spectral_flatness, ["spectral_flatness"])
register_feature("chroma", _chroma, [f"chroma_{i}" for i in range(12)])


def check_feature_names(features) -> tuple[str, ...]:
    """Validate the ``features`` parameter; raise a ValueError naming unknown features."""
    if isinstance(features, str):
        features = (features,)
    try:
        features = tuple(features)
    except TypeError as exc:
        raise ValueError(
            f"Parameter 'features' must be a sequence of feature names, got {features!r}."
        ) from exc
    if not features:
        raise ValueError("Parameter 'features' must name at least one feature.")
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(
            f"Parameter 'features' names unknown features {unknown}; known: {sorted(FEATURES)}."
        )
    if len(set(features)) != len(features):
        raise ValueError(f"Parameter 'features' repeats a feature: {list(features)}.")
    return features


def resolve_features(features) -> tuple[tuple[str, Feature], ...]:
    """The validated ``features`` parameter as ``((name, Feature), ...)``.

    What joblib workers receive: the objects themselves, so features registered in the main
    process after the workers started (or in a process they never imported) work in
    parallel as they do with ``n_jobs=1``.
    """
    return tuple((name, FEATURES[name]) for name in check_feature_names(features))


def feature_names(features, params: FeatureParams) -> list[str]:
    """Column names of :func:`extract_features` output, one per feature dimension."""
    return [n for f in check_feature_names(features) for n in FEATURES[f].names(params)]


def extract_features(y: np.ndarray, features, params: FeatureParams) -> np.ndarray:
    """Frame-level feature matrix of each signal.

    Parameters
    ----------
    y : ndarray of shape (..., n_samples)
        One signal or a batch of equal-length signals.
    features : sequence of str
        Names from :data:`FEATURES`, concatenated in this order.
    params : FeatureParams

    Returns
    -------
    X : ndarray of shape (..., n_frames, n_features), float32

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.features import FeatureParams, extract_features
    >>> y = np.random.default_rng(0).standard_normal((2, 16000))
    >>> extract_features(y, ["zcr", "rms", "mfcc"], FeatureParams(n_mfcc=13)).shape
    (2, 63, 15)
    """
    return compute_features(y, resolve_features(features), params)


def compute_features(y: np.ndarray, resolved, params: FeatureParams) -> np.ndarray:
    """:func:`extract_features` with features already resolved by :func:`resolve_features`."""
    ctx = SpectralContext(y, params)
    blocks = [feature.compute(ctx) for _, feature in resolved]
    # the built-in blocks are views of frames-first arrays: swapping back reads them in order
    return np.concatenate([np.swapaxes(b, -1, -2) for b in blocks], axis=-1, dtype=np.float32)
