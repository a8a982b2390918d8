"""Decoding: audio files and in-memory arrays to mono float32 waveforms, checked first.

Nothing here trusts a header with memory. A file is checked before a sample is read: a
plausible sample rate, and (for RIFF WAV, whose data chunk declares its size) a data chunk
actually as long as it claims. It is then read in bounded blocks and downmixed block by
block, up to the samples the caller needs, so memory follows what is decoded, never what
the header declares. Errors name the file (or input row) and the reason.
"""

from __future__ import annotations

import math
import os
import struct
import warnings
from typing import NamedTuple

import numpy as np
import soundfile as sf
import soxr

__all__ = [
    "MAX_CHANNELS_IN_MEMORY",
    "MAX_SR",
    "MIN_SR",
    "AudioInfo",
    "AudioInputError",
    "audio_info",
    "check_waveform",
    "load_audio",
    "resample",
    "to_mono",
]

#: Plausible sample rates of a file, in Hz. Below 1 kHz no speech band survives, and a
#: forged rate of a few Hz would turn a small file into hours of resampled audio; above
#: 384 kHz no audio interface records.
MIN_SR, MAX_SR = 1000, 384_000

#: An in-memory 2-D array is multichannel audio when one axis has at most this many
#: entries (the channels) and the other more (the samples); see :func:`check_waveform`.
MAX_CHANNELS_IN_MEMORY = 8

_BLOCK_SAMPLES = 1 << 18  # samples per read over all channels: 1 MB of float32
_MAX_RIFF_CHUNKS = 1024  # chunks walked to find "data"; a forged file cannot loop for long
_UNSPECIFIED_SIZES = (0, 0xFFFFFFFF)  # written by streaming encoders that cannot seek back
_ESTIMATED_LENGTH_FORMATS = ("MPEG", "OGG")  # libsndfile's frame count may be an estimate


class AudioInputError(ValueError):
    """Raised when an audio input cannot be used; the message names the input and the reason."""


class AudioContentWarning(UserWarning):
    """A clip that decodes but is unlikely to be what was meant: silent, or an odd sample type.

    Its label is still computed; the warning names the clip and why the label means little.
    """


# Below one step of 16-bit audio: nothing a microphone recorded, so a label means nothing.
SILENCE_PEAK = 2.0**-15


def check_dtype(dtype, desc: str) -> None:
    """Refuse booleans and warn about unsigned integers, before they are cast to float.

    A boolean array is a mask, never audio. Unsigned integers are 8-bit PCM as read raw
    (offset binary: silence is 128): cast as they are, every sample carries a large offset.
    Signed integers (16-bit PCM as ``scipy.io.wavfile`` reads it) are fine: the front end
    normalises the level.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        raise AudioInputError(f"{desc} is a boolean array, not a waveform; pass samples as "
                              "floats in [-1, 1] (or signed integers).")
    if dtype.kind == "u":
        warnings.warn(
            f"{desc} holds unsigned integers ({dtype}), used as they are: if it is 8-bit PCM "
            "(silence at 128), convert it first, e.g. (y.astype(np.float32) - 128) / 128.",
            AudioContentWarning, stacklevel=4)


def check_content(y: np.ndarray, desc: str) -> None:
    """Refuse a single-sample clip and warn about a silent one (after decoding)."""
    if y.size < 2:
        raise AudioInputError(f"{desc} holds {y.size} sample: a single value is not a "
                              "recording, and no emotion can be read from it.")
    if float(np.max(np.abs(y))) <= SILENCE_PEAK:
        warnings.warn(f"{desc} is silent (no sample above {SILENCE_PEAK:.1e}): its label "
                      "reflects no speech.", AudioContentWarning, stacklevel=4)


def _describe(source) -> str:
    return f"'{os.fspath(source)}'" if isinstance(source, (str, os.PathLike)) else str(source)


def to_mono(y: np.ndarray) -> np.ndarray:
    """Downmix a ``(n_samples,)`` or ``(n_samples, n_channels)`` array to mono by averaging."""
    y = np.asarray(y)
    return y.mean(axis=1) if y.ndim == 2 else y


def resample(y: np.ndarray, orig_sr: float, target_sr: float) -> np.ndarray:
    """Resample ``y`` from ``orig_sr`` to ``target_sr`` with soxr (high quality).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.decode import resample
    >>> resample(np.zeros(22050, dtype=np.float32), 22050, 16000).shape
    (16000,)
    """
    if orig_sr == target_sr:
        return np.asarray(y, dtype=np.float32)
    out = soxr.resample(np.asarray(y, dtype=np.float32), orig_sr, target_sr, quality="HQ")
    return np.asarray(out, dtype=np.float32)


def _check_samples(y: np.ndarray, desc: str) -> None:
    """NaN/inf, or finite values beyond float32's range (which a cast would make inf)."""
    if y.dtype.kind != "f":
        return
    if not np.all(np.isfinite(y)):
        raise AudioInputError(f"{desc} holds NaN or infinite samples.")
    if y.size and y.dtype.itemsize > 4:
        peak = float(np.max(np.abs(y)))
        if peak > float(np.finfo(np.float32).max):
            raise AudioInputError(
                f"{desc} holds finite samples too large for float32 (largest magnitude "
                f"{peak:.3g}); scale the waveform to [-1, 1]."
            )


def _channels_last(y: np.ndarray, desc: str) -> np.ndarray:
    rows, cols = y.shape
    if cols <= MAX_CHANNELS_IN_MEMORY < rows:
        return y  # soundfile's (n_samples, n_channels)
    if rows <= MAX_CHANNELS_IN_MEMORY < cols:
        return y.T  # librosa's (n_channels, n_samples)
    raise AudioInputError(
        f"{desc} is a 2-D array of shape {y.shape}: a multichannel waveform must be "
        f"(n_samples, n_channels) or (n_channels, n_samples) with at most "
        f"{MAX_CHANNELS_IN_MEMORY} channels and more samples than that, so which axis holds "
        "the channels cannot be told. Pass a 1-D mono waveform."
    )


def check_waveform(y, source="waveform") -> np.ndarray:
    """Validate an in-memory waveform and return it as mono float32.

    The channel convention: a 1-D array is mono; a 2-D array is multichannel audio in
    either layout, soundfile's ``(n_samples, n_channels)`` or librosa's ``(n_channels,
    n_samples)``, told apart by size: the channel axis has at most
    :data:`MAX_CHANNELS_IN_MEMORY` (8) entries and the sample axis more. Channels are
    averaged. A 2-D array with both axes <= 8 or both > 8 is refused rather than guessed.

    Parameters
    ----------
    y : array-like of shape (n_samples,), (n_samples, n_channels) or (n_channels, n_samples)
    source : str, default="waveform"
        How error messages name the input.

    Returns
    -------
    y : ndarray of shape (n_samples,), float32
        The waveform, its channels averaged.

    Raises
    ------
    AudioInputError
        If ``y`` is not numeric, of another shape, empty, holds NaN or infinite samples, or
        finite samples beyond float32's range.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.decode import check_waveform
    >>> left, right = np.ones(1000), np.zeros(1000)
    >>> check_waveform(np.stack([left, right])).shape          # (channels, n): librosa
    (1000,)
    >>> float(check_waveform(np.stack([left, right], axis=1))[0])  # (n, channels): soundfile
    0.5
    """
    desc = _describe(source)
    try:
        y = np.asarray(y)
        if y.dtype.kind in "bu":
            check_dtype(y.dtype, desc)
        if y.dtype.kind == "c":
            raise TypeError("complex values; a waveform is real")
        if y.dtype.kind not in "biuf":
            y = y.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise AudioInputError(f"{desc} is not a numeric waveform: {exc}") from exc
    if y.ndim not in (1, 2):
        raise AudioInputError(f"{desc} must be a 1-D waveform, got an array of shape {y.shape}.")
    if y.size == 0:
        raise AudioInputError(f"{desc} is empty: it holds no audio samples.")
    _check_samples(y, desc)
    if y.ndim == 2:
        # averaged in float64: channels near float32's limit must not overflow to inf
        return _channels_last(y, desc).mean(axis=1, dtype=np.float64).astype(np.float32)
    return y.astype(np.float32, copy=False)


class AudioInfo(NamedTuple):
    """What :func:`audio_info` found in a file's header, after its checks."""

    samplerate: int
    channels: int
    frames: int  #: frames present (a truncated WAV: what the file holds, not its header's claim)
    format: str
    subtype: str

    @property
    def duration(self) -> float:
        """Seconds of audio present."""
        return self.frames / self.samplerate


def _riff_data_sizes(path: str):
    """``(declared, present)`` byte counts of a RIFF/RIFX WAV's data chunk, or None.

    None when the file is not RIFF WAV, the size is unspecified (streaming encoders), or no
    data chunk is found among the first chunks (libsndfile then reports the error).
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
            return None
        endian = "<" if head[:4] == b"RIFF" else ">"
        size, pos = os.fstat(f.fileno()).st_size, 12
        for _ in range(_MAX_RIFF_CHUNKS):
            f.seek(pos)
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            (chunk_size,) = struct.unpack(endian + "I", chunk[4:])
            if chunk[:4] == b"data":
                present = size - pos - 8
                return None if chunk_size in _UNSPECIFIED_SIZES else (chunk_size, present)
            pos += 8 + chunk_size + (chunk_size & 1)  # chunks are word-aligned
    return None


def _truncated(desc: str, what: str, truncated: str) -> None:
    message = f"Audio file {desc} is truncated: {what}."
    if truncated == "warn":
        warnings.warn(message + " Using the samples present.", UserWarning, stacklevel=4)
        return
    raise AudioInputError(message + " Pass truncated='warn' to use the samples present.")


def _open(path) -> tuple[str, str, sf.SoundFile]:
    path = os.fspath(path)
    desc = _describe(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Audio file {desc} does not exist.")
    if os.path.isdir(path):
        raise AudioInputError(f"Audio file {desc} is a directory, not an audio file.")
    try:
        return path, desc, sf.SoundFile(path)
    except Exception as exc:  # libsndfile raises several types; the reason is in the message
        raise AudioInputError(f"Audio file {desc} cannot be decoded: {exc}") from exc


def _check_header(path: str, desc: str, f: sf.SoundFile, truncated: str) -> AudioInfo:
    if not MIN_SR <= f.samplerate <= MAX_SR:
        raise AudioInputError(
            f"Audio file {desc} declares an implausible sample rate of {f.samplerate} Hz "
            f"(accepted: {MIN_SR}-{MAX_SR} Hz); its header is damaged or forged."
        )
    sizes = _riff_data_sizes(path)
    if sizes is not None and sizes[0] > sizes[1]:
        _truncated(desc, f"its header declares {sizes[0]} bytes of audio but the file holds "
                   f"{max(sizes[1], 0)} ({f.frames} frames, {f.frames / f.samplerate:.4g} s)",
                   truncated)
    return AudioInfo(f.samplerate, f.channels, f.frames, f.format, f.subtype)


def audio_info(path, *, truncated: str = "error") -> AudioInfo:
    """Check a file's header without decoding its samples.

    Parameters
    ----------
    path : str or path-like
    truncated : {"error", "warn"}, default="error"
        What a WAV whose data chunk is shorter than its header declares gives.

    Returns
    -------
    info : AudioInfo

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    AudioInputError
        If the file cannot be opened, declares a sample rate outside ``[MIN_SR, MAX_SR]``,
        or is a truncated WAV (with ``truncated="error"``).
    """
    path, desc, f = _open(path)
    with f:
        return _check_header(path, desc, f, truncated)


def load_audio(path, sr: int, *, max_duration: float | None = None, offset: float = 0.0,
               truncated: str = "error") -> np.ndarray:
    """Decode an audio file to a mono float32 waveform at ``sr`` Hz, checking it first.

    Any format soundfile (libsndfile) decodes is accepted: WAV, FLAC, OGG/Vorbis, MP3, ...
    The header is checked before any sample is read (see :func:`audio_info`); samples are
    read in blocks of at most 2**18 over all channels and downmixed block by block, up to
    ``max_duration`` seconds, so memory is bounded by the output, never by the header.

    Parameters
    ----------
    path : str or path-like
        Audio file.
    sr : int
        Target sample rate.
    max_duration : float or None, default=None
        Decode at most this many seconds (from ``offset``); the rest of the file is never
        read. None decodes to the end.
    offset : float, default=0.0
        Seconds to skip from the start (a seek, not a decode, where the format allows).
    truncated : {"error", "warn"}, default="error"
        A file holding fewer samples than its header declares (a WAV data chunk shorter
        than declared; for formats with exact frame counts, samples ending before the
        declared count within the part decoded): an :class:`AudioInputError`, or a
        warning and the samples present.

    Returns
    -------
    y : ndarray of shape (n_samples,), float32
        The file's channels averaged, resampled to ``sr`` Hz.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    AudioInputError
        If the file cannot be decoded, declares an implausible sample rate, is truncated,
        holds no samples (after ``offset``), or holds NaN/inf samples.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> from sklearn_ser.frontend.decode import load_audio
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, np.sin(np.linspace(0, 100, 8000)), 8000)
    >>> load_audio(path, sr=16000).shape
    (16000,)
    >>> load_audio(path, sr=16000, max_duration=0.25).shape   # reads 2000 of 8000 frames
    (4000,)
    """
    path, desc, f = _open(path)
    with f:
        info = _check_header(path, desc, f, truncated)
        start = round(offset * info.samplerate)
        if start:
            if start >= info.frames:
                raise AudioInputError(f"Audio file {desc} holds {info.duration:.3f} s: "
                                      f"nothing to decode after offset={offset} s.")
            f.seek(start)
        limit = None if max_duration is None else math.ceil(max_duration * info.samplerate)
        # a DOUBLE file may hold finite values beyond float32: read them as they are
        dtype = "float64" if info.subtype == "DOUBLE" else "float32"
        block, blocks, n = max(1, _BLOCK_SAMPLES // info.channels), [], 0
        try:
            while limit is None or n < limit:
                want = block if limit is None else min(block, limit - n)
                data = f.read(want, dtype=dtype, always_2d=True)
                if data.shape[0]:
                    _check_samples(data, f"Audio file {desc}")
                    blocks.append(to_mono(data).astype(np.float32, copy=False))
                    n += data.shape[0]
                if data.shape[0] < want:
                    break
        except sf.LibsndfileError as exc:
            raise AudioInputError(f"Audio file {desc} cannot be decoded: {exc}") from exc
    if n == 0:
        raise AudioInputError(f"Audio file {desc} is empty: it holds no audio samples.")
    expected = info.frames - start if limit is None else min(limit, info.frames - start)
    if n < expected and info.format not in _ESTIMATED_LENGTH_FORMATS:
        _truncated(desc, f"its header declares {info.frames} frames but decoding stopped "
                   f"after {start + n}", truncated)
    y = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    return resample(y, info.samplerate, sr)
