"""Conditioning, the front end's second stage: normalise, trim silence, fix length.

Every function here is pure (no hidden state, no randomness) and takes a decoded waveform
(:mod:`sklearn_ser.frontend.decode` makes them).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["PAD_MODES", "condition", "fix_length", "peak_normalize", "trim_silence"]


def peak_normalize(y: np.ndarray) -> np.ndarray:
    """Scale ``y`` so that its largest absolute sample is 1 (an all-zero signal is left as is)."""
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    return (y / peak).astype(np.float32) if peak > 0 else y.astype(np.float32)


def _nonsilent_frames(y: np.ndarray, top_db: float, frame_length: int, hop_length: int):
    """Frames whose RMS is within ``top_db`` of the loudest frame's.

    The arithmetic of ``librosa.effects.trim``: float32 mean square over zero-padded centred
    frames, reduced along the same strided axis, in dB against the maximum with librosa's
    floor (an amplitude of 1e-5). A rounding difference could move the cut by a frame.
    """
    padded = np.pad(y, frame_length // 2)
    frames = sliding_window_view(padded, frame_length)[::hop_length].T  # (frame_length, n)
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float32), axis=0))
    power, ref, amin = np.square(rms), np.square(rms.max()), 1e-5**2
    db = 10.0 * np.log10(np.maximum(amin, power))
    db -= 10.0 * np.log10(np.maximum(amin, ref))
    return db > -top_db


def trim_silence(y: np.ndarray, top_db: float | None) -> np.ndarray:
    """Trim leading and trailing parts quieter than ``top_db`` below the peak.

    Same cut as ``librosa.effects.trim(y, top_db=top_db, frame_length=512, hop_length=128)``.
    ``top_db=None`` disables trimming. A signal that is silence throughout is returned
    untrimmed, because "trimming" it would leave nothing to analyse.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.condition import trim_silence
    >>> y = np.concatenate([np.zeros(1000), np.ones(2000), np.zeros(1000)]).astype(np.float32)
    >>> trim_silence(y, top_db=30).shape  # cut at whole 128-sample hops around the speech
    (2560,)
    """
    if top_db is None or not np.any(y):
        return y
    frame_length, hop_length = 512, 128
    loud = np.flatnonzero(_nonsilent_frames(y, top_db, frame_length, hop_length))
    if loud.size == 0:
        return y
    start = loud[0] * hop_length
    end = min(y.shape[-1], (loud[-1] + 1) * hop_length)
    trimmed = y[..., start:end]
    return trimmed if trimmed.size else y


PAD_MODES = ("wrap", "constant")


def fix_length(y: np.ndarray, n_samples: int, mode: str = "constant") -> np.ndarray:
    """Crop the end, or pad at the end, so that ``y`` has exactly ``n_samples`` samples.

    ``mode="constant"`` pads with zeros; ``mode="wrap"`` repeats the signal from its start
    as often as needed (an empty signal is padded with zeros either way).
    """
    if y.shape[-1] >= n_samples:
        return y[..., :n_samples]
    pad = [(0, 0)] * (y.ndim - 1) + [(0, n_samples - y.shape[-1])]
    if mode == "wrap" and y.shape[-1]:
        return np.pad(y, pad, mode="wrap")
    if mode not in PAD_MODES:
        raise ValueError(f"Padding mode must be one of {PAD_MODES}, got {mode!r}.")
    return np.pad(y, pad)


def condition(y: np.ndarray, sr: int, *, duration: float | None, top_db: float | None,
              pad_mode: str = "constant"):
    """Peak-normalise, trim silence, then pad or crop to ``duration`` seconds.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform at ``sr`` Hz.
    sr : int
        Sample rate of ``y``.
    duration : float or None
        Output length in seconds; None keeps the trimmed length.
    top_db : float or None
        Silence threshold for trimming, in dB below the peak; None disables trimming.
    pad_mode : {"constant", "wrap"}, default="constant"
        How a clip shorter than ``duration`` is padded: with silence, or by repeating it.

    Returns
    -------
    y : ndarray, float32

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.condition import condition
    >>> y = np.concatenate([np.zeros(4000), 0.5 * np.ones(8000), np.zeros(4000)])
    >>> out = condition(y, 16000, duration=1.0, top_db=30)
    >>> out.shape, float(out.max()), int(np.count_nonzero(out[:9000]))  # speech moved to the start
    ((16000,), 1.0, 8000)
    """
    y = trim_silence(peak_normalize(np.asarray(y, dtype=np.float32)), top_db)
    if duration is not None:
        y = fix_length(y, round(duration * sr), pad_mode)
    return y
