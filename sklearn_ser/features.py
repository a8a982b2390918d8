"""Frame-level audio features and their registry.

One short-time Fourier transform is computed per signal and every spectral feature is derived
from it (magnitude, power, mel filterbank, MFCC, ...), lazily and once, through
:class:`SpectralContext`. All functions accept a batch of equal-length signals with any leading
shape ``(..., n_samples)``, so the augmented views of one clip share a single batched STFT and a
single filterbank product.

Register a new feature with :func:`register_feature`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import librosa
import numpy as np
import scipy.fft

__all__ = [
    "FEATURES",
    "FeatureParams",
    "SpectralContext",
    "extract_features",
    "feature_names",
    "register_feature",
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
        """Number of frames for a signal of ``n_samples`` (centred frames)."""
        return 1 + n_samples // self.hop_length


@lru_cache(maxsize=16)
def _mel_basis(sr, n_fft, n_mels, fmin, fmax) -> np.ndarray:
    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)


class SpectralContext:
    """Lazily computed, cached spectral representations of a batch of signals.

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
    def magnitude(self) -> np.ndarray:
        p = self.params
        return np.abs(librosa.stft(self.y, n_fft=p.n_fft, hop_length=p.hop_length, center=True))

    @cached_property
    def power(self) -> np.ndarray:
        return np.square(self.magnitude)

    @cached_property
    def log_mel(self) -> np.ndarray:
        p = self.params
        basis = _mel_basis(p.sr, p.n_fft, p.n_mels, p.fmin, p.fmax)
        # one (frames x bins) @ (bins x mels) BLAS product for the whole batch; a broadcast
        # matmul over the strided STFT layout is several times slower
        frames = np.ascontiguousarray(np.swapaxes(self.power, -1, -2))
        mel = np.swapaxes(frames @ basis.T, -1, -2)
        db = 10.0 * np.log10(np.maximum(mel, 1e-10))
        # the dynamic-range floor is per signal: a batch of views must not share one maximum
        floor = db.max(axis=(-2, -1), keepdims=True) - p.top_db
        return np.maximum(db, floor)

    @cached_property
    def mfcc(self) -> np.ndarray:
        coeffs = scipy.fft.dct(self.log_mel, axis=-2, type=2, norm="ortho")
        return coeffs[..., : self.params.n_mfcc, :]

    def delta(self, order: int) -> np.ndarray:
        n_frames = self.mfcc.shape[-1]
        mode = "interp" if n_frames >= 9 else "nearest"
        return librosa.feature.delta(self.mfcc, width=9, order=order, axis=-1, mode=mode)


@dataclass(frozen=True)
class Feature:
    """A registered feature: ``compute(ctx) -> (..., n_dims, n_frames)`` and its column names."""

    compute: Callable[[SpectralContext], np.ndarray]
    names: Callable[[FeatureParams], list[str]]


FEATURES: dict[str, Feature] = {}


def register_feature(name: str, compute: Callable, names: Callable | list[str]) -> None:
    """Add a feature to the registry.

    Parameters
    ----------
    name : str
        Name used in ``AudioFeatureTransformer(features=[...])``.
    compute : callable
        ``compute(ctx: SpectralContext) -> ndarray of shape (..., n_dims, n_frames)``.
    names : callable or list of str
        Column names, or ``names(params: FeatureParams) -> list of str``.
    """
    names_fn = names if callable(names) else (lambda params, _n=list(names): _n)
    FEATURES[name] = Feature(compute=compute, names=names_fn)


def _indexed(prefix: str, attr: str):
    return lambda p: [f"{prefix}_{i}" for i in range(getattr(p, attr))]


def _zcr(ctx: SpectralContext) -> np.ndarray:
    p = ctx.params
    return librosa.feature.zero_crossing_rate(
        ctx.y, frame_length=p.n_fft, hop_length=p.hop_length, center=True
    )


def _rms(ctx: SpectralContext) -> np.ndarray:
    return librosa.feature.rms(S=ctx.magnitude, frame_length=ctx.params.n_fft)


def _spectral(func, **kwargs):
    def compute(ctx: SpectralContext) -> np.ndarray:
        p = ctx.params
        return func(S=ctx.magnitude, sr=p.sr, n_fft=p.n_fft, hop_length=p.hop_length, **kwargs)

    return compute


def _chroma(ctx: SpectralContext) -> np.ndarray:
    p = ctx.params
    # tuning=0 skips librosa's pitch-tracking tuning estimate, which costs more than the chroma
    return librosa.feature.chroma_stft(
        S=ctx.power, sr=p.sr, n_fft=p.n_fft, hop_length=p.hop_length, tuning=0.0
    )


register_feature("zcr", _zcr, ["zcr"])
register_feature("rms", _rms, ["rms"])
register_feature("mfcc", lambda ctx: ctx.mfcc, _indexed("mfcc", "n_mfcc"))
register_feature("delta", lambda ctx: ctx.delta(1), _indexed("mfcc_delta", "n_mfcc"))
register_feature("delta2", lambda ctx: ctx.delta(2), _indexed("mfcc_delta2", "n_mfcc"))
register_feature("mel", lambda ctx: ctx.log_mel, _indexed("mel", "n_mels"))
register_feature(
    "spectral_centroid", _spectral(librosa.feature.spectral_centroid), ["spectral_centroid"]
)
register_feature(
    "spectral_bandwidth", _spectral(librosa.feature.spectral_bandwidth), ["spectral_bandwidth"]
)
register_feature(
    "spectral_rolloff", _spectral(librosa.feature.spectral_rolloff), ["spectral_rolloff"]
)
register_feature(
    "spectral_contrast",
    _spectral(librosa.feature.spectral_contrast),
    [f"spectral_contrast_{i}" for i in range(7)],
)
register_feature(
    "spectral_flatness",
    lambda ctx: librosa.feature.spectral_flatness(S=ctx.magnitude),
    ["spectral_flatness"],
)
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
    >>> from sklearn_ser.features import FeatureParams, extract_features
    >>> y = np.random.default_rng(0).standard_normal((2, 16000))
    >>> extract_features(y, ["zcr", "rms", "mfcc"], FeatureParams(n_mfcc=13)).shape
    (2, 63, 15)
    """
    ctx = SpectralContext(y, params)
    blocks = [FEATURES[name].compute(ctx) for name in check_feature_names(features)]
    return np.swapaxes(np.concatenate(blocks, axis=-2), -1, -2).astype(np.float32)
