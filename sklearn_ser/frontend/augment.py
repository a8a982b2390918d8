"""Waveform augmentations: noise, stretch_pitch, shift, echo, reverb.

Each augmentation is a pure function ``f(y, sr, rng, **params) -> y_aug``: it first draws its
parameters from ``rng`` (a :class:`numpy.random.Generator`), then applies them, so the same
generator state always gives the same output. Ranges are ``(low, high)`` tuples drawn
uniformly; pass ``(v, v)`` for a fixed value. The defaults follow the seed recipe.

:data:`AUGMENTATIONS` maps each name to its function; :class:`AudioFeatureTransformer`
accepts the names, ``(name, params)`` pairs, or any callable with the same signature.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from numbers import Real

import numpy as np
import scipy.fft

from ..utils._docstrings import fill_doc
from .decode import audio_info, check_waveform, load_audio, resample
from .dsp import istft, phase_vocoder, stft

__all__ = [
    "AUGMENTATIONS",
    "echo",
    "noise",
    "reverb",
    "shift",
    "stretch_pitch",
    "time_stretch",
]


def _range(value, name: str) -> tuple[float, float]:
    """``(low, high)`` of a range parameter; a scalar is the range ``(v, v)``."""
    if isinstance(value, Real):
        return float(value), float(value)
    try:
        if isinstance(value, str):
            raise TypeError("a string is not a range")
        low, high = (float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Augmentation parameter '{name}' must be a number or a (low, high) "
                         f"pair, got {value!r}.") from exc
    if low > high:
        raise ValueError(f"Augmentation parameter '{name}' has low > high: {value!r}.")
    return low, high


def _draw(rng: np.random.Generator, value, name: str) -> float:
    """Draw uniformly from a ``(low, high)`` range, or return a scalar as is."""
    if isinstance(value, Real):
        return float(value)
    low, high = _range(value, name)
    return float(rng.uniform(low, high)) if high > low else low


def _power(y: np.ndarray) -> float:
    return float(np.mean(np.square(y, dtype=np.float64)))


@lru_cache(maxsize=32)
def _background(path: str, sr: int) -> np.ndarray:
    return load_audio(path, sr)


@fill_doc
def noise(y, sr, rng, *, snr_db=(15.0, 30.0), noise_files: Sequence | None = None):
    """Add Gaussian or background noise at a signal-to-noise ratio drawn from ``snr_db``.

    {{augmentation_parameters}}
    snr_db : float or (float, float), default=(15, 30)
        Signal-to-noise ratio in dB (range drawn uniformly).
    noise_files : sequence of path-like, optional
        Background recordings (e.g. babble, street). One is drawn per call, looped to the
        clip's length from a random offset, and scaled to the drawn SNR. Without them the noise
        is white Gaussian.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.augment import noise
    >>> y = np.sin(np.linspace(0, 2000, 16000)).astype(np.float32)
    >>> noisy = noise(y, 16000, np.random.default_rng(0), snr_db=20)
    >>> snr = 10 * np.log10(np.mean(y**2) / np.mean((noisy - y) ** 2))
    >>> round(float(snr))
    20
    """
    snr = _draw(rng, snr_db, "snr_db")
    signal_power = _power(y)
    if signal_power == 0:
        return y.copy()
    if noise_files:
        path = os.fspath(noise_files[int(rng.integers(len(noise_files)))])
        background = _background(path, int(sr))
        reps = int(np.ceil((y.size + background.size) / background.size))
        looped = np.tile(background, reps)
        start = int(rng.integers(background.size))
        n = looped[start : start + y.size].astype(np.float64)
        if _power(n) == 0:
            raise ValueError(f"Background noise file '{path}' is silent; it cannot set an SNR.")
    else:
        n = rng.standard_normal(y.size)
    # exact SNR on the realised noise, not its expectation: the augmentation is what it claims
    n *= np.sqrt(signal_power / (_power(n) * 10.0 ** (snr / 10.0)))
    return (y + n).astype(np.float32)


# librosa.effects.time_stretch's analysis, which the seed recipe used
_STRETCH_N_FFT = 2048
_STRETCH_HOP = _STRETCH_N_FFT // 4


def time_stretch(y: np.ndarray, rate: float) -> np.ndarray:
    """``librosa.effects.time_stretch(y, rate=rate)``: phase-vocoder stretch, pitch kept.

    Same analysis (2048-point Hann STFT, hop 512), same phase vocoder and resynthesis as
    librosa's, vectorised over frames; the output has ``round(len(y) / rate)`` samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.augment import time_stretch
    >>> time_stretch(np.ones(16000, dtype=np.float32), 2.0).shape
    (8000,)
    """
    y = np.asarray(y, dtype=np.float32)
    D = stft(y, _STRETCH_N_FFT, _STRETCH_HOP)
    stretched = phase_vocoder(D, rate, _STRETCH_HOP, _STRETCH_N_FFT)
    return istft(stretched, _STRETCH_N_FFT, _STRETCH_HOP, round(y.shape[-1] / rate))


@fill_doc
def stretch_pitch(y, sr, rng, *, rate=(0.8, 1.2), n_steps=(-2.0, 2.0)):
    """Time-stretch by ``rate`` then pitch-shift by ``n_steps`` semitones.

    Both steps share a single phase vocoder: a pitch shift is a time stretch followed by
    resampling, and two consecutive stretches compose into one, so ``rate`` and the pitch's
    stretch factor are multiplied and the signal is resampled once. The output length is
    ``len(y) / rate`` (the caller pads or crops it).

    {{augmentation_parameters}}
    rate : float or (float, float), default=(0.8, 1.2)
        Speed factor (> 1 is faster).
    n_steps : float or (float, float), default=(-2, 2)
        Pitch shift in semitones.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.augment import stretch_pitch
    >>> y = np.sin(2 * np.pi * 200 * np.arange(16000) / 16000).astype(np.float32)
    >>> stretch_pitch(y, 16000, np.random.default_rng(0), rate=2.0, n_steps=0).shape
    (8000,)
    """
    r = _draw(rng, rate, "rate")
    steps = _draw(rng, n_steps, "n_steps")
    if r <= 0:
        raise ValueError(f"Augmentation parameter 'rate' must be > 0, got {r}.")
    pitch_rate = 2.0 ** (-steps / 12.0)
    stretched = time_stretch(y, r * pitch_rate)
    if steps == 0:
        return stretched
    return resample(stretched, float(sr) / pitch_rate, sr)


@fill_doc
def shift(y, sr, rng, *, seconds=(-0.3, 0.3)):
    """Circularly shift the waveform in time by a number of seconds drawn from ``seconds``.

    The roll keeps every sample (the energy is unchanged), as in the seed recipe.

    {{augmentation_parameters}}
    seconds : float or (float, float), default=(-0.3, 0.3)
        Shift in seconds; > 0 moves the signal later, its end wrapping round to the start.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.augment import shift
    >>> shift(np.arange(5.0), 1, np.random.default_rng(0), seconds=2).tolist()
    [3.0, 4.0, 0.0, 1.0, 2.0]
    """
    n = round(_draw(rng, seconds, "seconds") * sr)
    return np.roll(y, n)


def _delayed_sum(y: np.ndarray, delay: int, decay: float) -> np.ndarray:
    out = np.array(y, dtype=np.float32, copy=True)
    if 0 < delay < y.size:
        out[delay:] += decay * y[:-delay]
    return out


@fill_doc
def echo(y, sr, rng, *, delay=(0.1, 0.3), decay=(0.3, 0.6)):
    """Add one delayed, attenuated copy of the signal: ``y[t] + decay * y[t - delay]``.

    {{augmentation_parameters}}
    delay : float or (float, float), default=(0.1, 0.3)
        Delay in seconds.
    decay : float or (float, float), default=(0.3, 0.6)
        Gain of the delayed copy.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.augment import echo
    >>> echo(np.array([1.0, 0, 0, 0]), 1, np.random.default_rng(0), delay=2, decay=0.5).tolist()
    [1.0, 0.0, 0.5, 0.0]
    """
    d = round(_draw(rng, delay, "delay") * sr)
    g = _draw(rng, decay, "decay")
    return _delayed_sum(y, d, g)


def _convolve_head(y: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The first ``len(y)`` samples of the linear convolution ``y * h``, by FFT in float32
    (as ``scipy.signal.fftconvolve(y, h)[:len(y)]``, without importing scipy.signal)."""
    n_fft = scipy.fft.next_fast_len(y.size + h.size - 1, real=True)
    spectrum = scipy.fft.rfft(y, n_fft) * scipy.fft.rfft(h, n_fft)
    return scipy.fft.irfft(spectrum, n_fft)[: y.size]


@fill_doc
def reverb(y, sr, rng, *, delay=(0.05, 0.15), decay=(0.2, 0.4), rt60=(0.2, 0.6), wet=(0.2, 0.4)):
    """Echo followed by room reverberation (as in the seed recipe).

    The reverberation is a convolution with a synthetic impulse response: exponentially
    decaying Gaussian noise that falls by 60 dB after ``rt60`` seconds, mixed in at ``wet``.

    {{augmentation_parameters}}
    delay : float or (float, float), default=(0.05, 0.15)
        Delay of the echo in seconds (see :func:`echo`).
    decay : float or (float, float), default=(0.2, 0.4)
        Gain of the echo.
    rt60 : float or (float, float), default=(0.2, 0.6)
        Reverberation time in seconds.
    wet : float or (float, float), default=(0.2, 0.4)
        Share of the reverberated signal in the output, ``(1 - wet) * y + wet * reverberated``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.augment import reverb
    >>> y = np.zeros(8000, dtype=np.float32); y[0] = 1
    >>> out = reverb(y, 8000, np.random.default_rng(0))
    >>> out.shape, bool(np.abs(out[1000:]).sum() > 0)
    ((8000,), True)
    """
    y = echo(y, sr, rng, delay=delay, decay=decay)
    t60 = _draw(rng, rt60, "rt60")
    mix = _draw(rng, wet, "wet")
    n_ir = max(1, int(t60 * sr))
    t = np.arange(n_ir) / sr
    # 60 dB amplitude decay over rt60: exp(-6.9 t / rt60)
    ir = rng.standard_normal(n_ir) * np.exp(-6.907755 * t / max(t60, 1e-6))
    ir /= np.sqrt(np.sum(ir**2))
    wet_signal = _convolve_head(y, ir.astype(np.float32))
    return ((1.0 - mix) * y + mix * wet_signal).astype(np.float32)


AUGMENTATIONS: dict[str, Callable] = {
    "noise": noise,
    "stretch_pitch": stretch_pitch,
    "shift": shift,
    "echo": echo,
    "reverb": reverb,
}


#: Values the range parameters of the built-in augmentations accept (both ends of a range),
#: checked by :func:`resolve_augmentations`, i.e. in ``fit``, not first inside a worker.
_LIMITS: dict[str, tuple[Callable[[float], bool], str]] = {
    "snr_db": (np.isfinite, "finite"),
    "rate": (lambda v: 0 < v <= 4, "in (0, 4]"),
    "n_steps": (lambda v: -24 <= v <= 24, "in [-24, 24] semitones"),
    "seconds": (np.isfinite, "finite"),
    "delay": (lambda v: 0 <= v <= 10, "in [0, 10] seconds"),
    "decay": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "rt60": (lambda v: 0 < v <= 10, "in (0, 10] seconds"),  # the impulse response's length
    "wet": (lambda v: 0 <= v <= 1, "in [0, 1]"),
}


def _check_noise_files(files, aug: str) -> None:
    if isinstance(files, (str, bytes, os.PathLike)) or not isinstance(files, Sequence):
        raise ValueError(f"Augmentation {aug!r}: parameter 'noise_files' must be a sequence of "
                         f"paths, got {files!r}.")
    for path in files:
        audio_info(path)  # exists and decodes: the error names the file


def check_augmentation_params(aug: str, func: Callable, params: dict) -> None:
    """Check the parameter names of one augmentation against its signature, and the values
    of the built-in range parameters against :data:`_LIMITS`; a ValueError names both."""
    try:
        signature = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # no introspectable signature: the call will tell
        signature = []
    if signature and not any(p.kind is p.VAR_KEYWORD for p in signature):
        # every parameter after (y, sr, rng) that can be passed by keyword
        known = [p.name for p in signature[3:]
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ValueError(f"Augmentation {aug!r} has no parameter {unknown}; its parameters "
                             f"are {known}.")
    if func not in AUGMENTATIONS.values():
        return
    for name, value in params.items():
        if name == "noise_files":
            if value is not None:
                _check_noise_files(value, aug)
            continue
        accepts, description = _LIMITS[name]
        if not all(accepts(end) for end in _range(value, name)):
            raise ValueError(f"Augmentation {aug!r}: parameter {name!r} must be {description}, "
                             f"got {value!r}.")


def resolve_augmentations(augment, *, views_need: str | None = None
                          ) -> list[tuple[str, Callable, dict]]:
    """Turn the ``augment`` parameter into ``[(name, function, params), ...]``.

    Raises a ValueError naming the parameter for anything it does not understand, including
    parameter names an augmentation does not take and values out of range. ``views_need``
    names the setting that would give the transformer's output its views axis when the
    current settings do not (``"output='sequence'"``); any augmentation is then refused.
    """
    if augment is None:
        return []
    if isinstance(augment, (str, bytes)) or callable(augment):
        augment = [augment]
    try:
        items = list(augment)
    except TypeError as exc:
        raise ValueError(
            f"Parameter 'augment' must be None or a sequence of names, (name, params) pairs "
            f"or callables; got {augment!r}."
        ) from exc
    resolved = []
    for item in items:
        params: dict = {}
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], dict):
            item, params = item
        if isinstance(item, str):
            if item not in AUGMENTATIONS:
                raise ValueError(
                    f"Parameter 'augment' names an unknown augmentation {item!r}; "
                    f"known: {sorted(AUGMENTATIONS)}."
                )
            resolved.append((item, AUGMENTATIONS[item], dict(params)))
        elif callable(item):
            name = getattr(item, "__name__", type(item).__name__)
            resolved.append((name, item, dict(params)))
        else:
            raise ValueError(
                f"Parameter 'augment' holds {item!r}; each entry must be a name "
                f"({sorted(AUGMENTATIONS)}), a (name, params) pair or a callable."
            )
    for name, func, params in resolved:
        check_augmentation_params(name, func, params)
    if resolved and views_need is not None:
        raise ValueError(
            f"Parameter 'augment' needs {views_need}: augmented views travel on an extra "
            "axis that scikit-learn estimators cannot unroll (or leave augment=None)."
        )
    return resolved


def apply_augmentation(func, params, y, sr, rng, source) -> np.ndarray:
    """Run one augmentation and check what it returned, naming the clip on failure."""
    out = func(y, sr, rng, **params)
    name = getattr(func, "__name__", repr(func))
    return check_waveform(out, source=f"augmentation {name!r} output for {source}")
