"""Frame-level audio features and their registry.

One short-time Fourier transform is computed per signal and every spectral feature is derived
from it (magnitude, power, mel filterbank, MFCC, ...), lazily and once, through
:class:`SpectralContext`. All functions accept a batch of equal-length signals with any leading
shape ``(..., n_samples)``, so the augmented views of one clip share a single batched STFT and a
single filterbank product.

Register a new feature with :func:`register_feature`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

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


def stft(y: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """Short-time Fourier transform with frames on the second-to-last axis.

    Equals ``librosa.stft(y, n_fft=n_fft, hop_length=hop_length, center=True,
    pad_mode="constant").swapaxes(-1, -2)`` (periodic Hann window, zero-padded centred frames)
    up to float32 rounding, but keeps float32 throughout (librosa windows in float64) and
    returns the frames-first layout that the filterbank products read contiguously.

    Parameters
    ----------
    y : ndarray of shape (..., n_samples), float32
    n_fft, hop_length : int

    Returns
    -------
    D : ndarray of shape (..., n_frames, 1 + n_fft // 2), complex64

    Examples
    --------
    >>> import numpy as np, librosa
    >>> from sklearn_ser.features import stft
    >>> y = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    >>> D = stft(y, 512, 128)
    >>> D.shape, bool(np.allclose(D.T, librosa.stft(y, n_fft=512, hop_length=128), atol=1e-3))
    ((32, 257), True)
    """
    y = np.asarray(y, dtype=np.float32)
    pad = [(0, 0)] * (y.ndim - 1) + [(n_fft // 2, n_fft // 2)]
    frames = sliding_window_view(np.pad(y, pad), n_fft, axis=-1)[..., ::hop_length, :]
    return scipy.fft.rfft(frames * hann_window(n_fft), axis=-1)


def power_of(D: np.ndarray) -> np.ndarray:
    """``|D| ** 2`` without the square root of ``np.abs`` (float32 for complex64 input)."""
    power = np.square(D.real)
    power += np.square(D.imag)
    return power


@lru_cache(maxsize=16)
def hann_window(n_fft: int) -> np.ndarray:
    """Periodic Hann window, ``scipy.signal.get_window("hann", n_fft)``, float32, read-only.

    Written out rather than imported: scipy.signal costs each parallel worker about a second
    of start-up, and the window is one line.
    """
    window = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    window.flags.writeable = False
    return window


def _readonly(array: np.ndarray) -> np.ndarray:
    # cached operators are shared by every call: a caller must not be able to alter them
    array.flags.writeable = False
    return array


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default, ``htk=False``): linear to 1 kHz, log above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    return np.where(log_region, 15.0 + np.log(np.maximum(hz, 1000.0) / 1000.0) * 27 / np.log(6.4),
                    mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    log_region = mel >= 15.0
    return np.where(log_region, 1000.0 * np.exp(np.log(6.4) / 27 * (np.maximum(mel, 15.0) - 15.0)),
                    mel * (200.0 / 3))


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0,
                   fmax: float | None = None) -> np.ndarray:
    """Triangular mel filterbank, ``(n_mels, 1 + n_fft // 2)`` float32.

    The same filters as ``librosa.filters.mel`` with its defaults (Slaney's mel scale and
    area normalisation), computed without importing librosa, whose import alone costs each
    parallel worker about half a second.

    Examples
    --------
    >>> import numpy as np, librosa
    >>> from sklearn_ser.features import mel_filterbank
    >>> ours = mel_filterbank(16000, 512, 40)
    >>> ours.shape, bool(np.allclose(ours, librosa.filters.mel(sr=16000, n_fft=512, n_mels=40)))
    ((40, 257), True)
    """
    fmax = float(sr) / 2 if fmax is None else fmax
    bin_hz = np.fft.rfftfreq(n_fft, 1.0 / sr)
    edges_hz = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, np.newaxis] - bin_hz
    rising = -ramps[:-2] / widths[:-1, np.newaxis]
    falling = ramps[2:] / widths[1:, np.newaxis]
    weights = np.maximum(0, np.minimum(rising, falling))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, np.newaxis]
    if not np.all((edges_hz[:-2] == 0) | (weights.max(axis=1) > 0)):
        warnings.warn(
            f"Empty filters in the mel filterbank (sr={sr}, n_fft={n_fft}, n_mels={n_mels}): "
            "some mel bands fall between FFT bins and will always be zero. Increase n_fft "
            "or reduce n_mels.",
            UserWarning,
            stacklevel=2,
        )
    return weights.astype(np.float32)


class _BandedOperator:
    """``frames @ matrix.T`` for a matrix whose rows are non-zero on short runs of columns.

    A mel filterbank is such a matrix: each triangular filter spans a few FFT bins, so a
    dense product multiplies mostly zeros (it dominated feature extraction). Rows are taken
    in groups of ``group`` consecutive filters, which together span one contiguous range of
    bins, and each group is one small dense product on that range only: the same sums as the
    dense product up to float32 rounding, at a few percent of its cost. Every product is per
    signal, so a clip's features do not depend on the batch it is computed in.
    """

    def __init__(self, matrix: np.ndarray, group: int = 8):
        self.n_out = matrix.shape[0]
        self.blocks = []
        for start in range(0, matrix.shape[0], group):
            rows = matrix[start : start + group]
            used = np.flatnonzero(rows.any(axis=0))
            lo, hi = (used[0], used[-1] + 1) if used.size else (0, 0)
            weights = _readonly(np.ascontiguousarray(rows[:, lo:hi].T, dtype=np.float32))
            self.blocks.append((start, start + rows.shape[0], lo, hi, weights))

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        out = np.zeros((*frames.shape[:-1], self.n_out), dtype=np.float32)
        for start, stop, lo, hi, weights in self.blocks:
            if hi > lo:
                out[..., start:stop] = np.matmul(frames[..., lo:hi], weights)
        return out


@lru_cache(maxsize=16)
def _mel_operator(sr, n_fft, n_mels, fmin, fmax) -> _BandedOperator:
    return _BandedOperator(mel_filterbank(sr, n_fft, n_mels, fmin, fmax))


@lru_cache(maxsize=16)
def _dct_operator(n_mels: int, n_mfcc: int) -> np.ndarray:
    """First ``n_mfcc`` columns of the orthonormal DCT-II as a (n_mels, n_mfcc) matrix.

    Row ``i`` is the DCT of the ``i``-th unit vector, so by linearity ``x @ operator`` is
    ``scipy.fft.dct(x, type=2, norm="ortho")[:n_mfcc]``, without the unused coefficients.
    """
    basis = scipy.fft.dct(np.eye(n_mels), type=2, norm="ortho", axis=-1)[:, :n_mfcc]
    return _readonly(np.ascontiguousarray(basis, dtype=np.float32))


def _polyfit_functional(positions: np.ndarray, at: np.ndarray, order: int, deriv: int):
    """Rows ``r`` such that ``r @ x`` is the ``deriv``-th derivative, at each point of ``at``,
    of the least-squares polynomial of degree ``order`` through ``(positions, x)``."""
    powers = np.arange(order + 1)
    pseudo_inverse = np.linalg.pinv(positions[:, np.newaxis] ** powers)  # x -> coefficients
    falling = np.ones(order + 1)  # m! / (m - deriv)!, 0 below deriv
    for k in range(deriv):
        falling *= powers - k
    derivative = falling * np.asarray(at, float)[:, np.newaxis] ** np.maximum(powers - deriv, 0)
    return derivative @ pseudo_inverse


@lru_cache(maxsize=32)
def _delta_operator(n_frames: int, order: int, width: int) -> np.ndarray:
    """``librosa.feature.delta`` along frames as a (n_frames, n_frames) matrix.

    librosa's delta is ``scipy.signal.savgol_filter(x, width, polyorder=order, deriv=order)``,
    a linear map: in the interior, the derivative at the centre of the least-squares
    polynomial through each window of ``width`` frames; at the ends (``mode="interp"``), the
    derivative of one polynomial through the first (last) ``width`` frames; with fewer frames
    than ``width`` (``mode="nearest"``), the interior rule on edge-replicated frames.
    ``operator @ x`` applies it to every signal in one product, instead of re-fitting the
    edge polynomials for every signal.
    """
    half = width // 2
    offsets = np.arange(-half, half + 1)
    centre = _polyfit_functional(offsets.astype(float), [0.0], order, order)[0]
    operator = np.zeros((n_frames, n_frames))
    if n_frames >= width:  # "interp"
        for i in range(half, n_frames - half):
            operator[i, i - half : i + half + 1] = centre
        ends = _polyfit_functional(np.arange(width, dtype=float), np.arange(width), order, order)
        operator[:half, :width] = ends[:half]
        operator[n_frames - half :, n_frames - width :] = ends[width - half :]
    else:  # "nearest": frames beyond either end repeat the end frame
        for i in range(n_frames):
            np.add.at(operator[i], np.clip(i + offsets, 0, n_frames - 1), centre)
    return _readonly(operator.astype(np.float32))


@lru_cache(maxsize=16)
def _rms_weights(n_fft: int) -> np.ndarray:
    """Weights of ``librosa.feature.rms(S=...)``: bins 0 and n_fft/2 count once, others twice."""
    weights = np.full(1 + n_fft // 2, 2.0 / n_fft**2)
    weights[0] /= 2
    if n_fft % 2 == 0:
        weights[-1] /= 2
    return _readonly(weights.astype(np.float32))


@lru_cache(maxsize=16)
def _bin_frequencies(sr: int, n_fft: int) -> np.ndarray:
    return _readonly(np.fft.rfftfreq(n_fft, 1.0 / sr).astype(np.float32))


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

    @property
    def magnitude(self) -> np.ndarray:
        """STFT magnitude, ``(..., n_bins, n_frames)``."""
        return np.swapaxes(self.magnitude_frames, -1, -2)

    @property
    def power(self) -> np.ndarray:
        """STFT power, ``(..., n_bins, n_frames)``."""
        return np.swapaxes(self.power_frames, -1, -2)

    @property
    def log_mel(self) -> np.ndarray:
        """Log-mel spectrogram in dB, ``(..., n_mels, n_frames)``."""
        return np.swapaxes(self.log_mel_frames, -1, -2)

    @property
    def mfcc(self) -> np.ndarray:
        """MFCCs, ``(..., n_mfcc, n_frames)``."""
        return np.swapaxes(self.mfcc_frames, -1, -2)

    def delta(self, order: int) -> np.ndarray:
        """Delta (``order=1``) or delta-delta (``order=2``) of the MFCCs, like librosa's
        ``feature.delta(mfcc, width=9, order=order)``; ``(..., n_mfcc, n_frames)``."""
        return np.swapaxes(self.delta_frames(order), -1, -2)


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
    >>> from sklearn_ser.features import (FEATURES, FeatureParams, extract_features,
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
    >>> from sklearn_ser.features import FeatureParams, extract_features
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
