"""Whisper's encoder on CTranslate2: its log-mel input and the forward pass.

The log-mel spectrogram is Whisper's own recipe (``whisper/audio.py``: a 25-ms Hann STFT
every 10 ms, the power spectrum through librosa's Slaney mel filters, which is where
Whisper's filter bank comes from, log10 floored 8 decades below the clip's peak, scaled to
about [-1, 1]), computed with librosa rather than re-implemented. The encoder accepts any
number of frames up to its 30-s window, so a clip is never padded to 30 s.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "HOP_LENGTH",
    "MAX_FRAMES",
    "N_FFT",
    "N_MELS",
    "SAMPLE_RATE",
    "encoder_frames",
    "load_encoder",
    "log_mel",
]

SAMPLE_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
N_MELS = 80
#: Mel frames in Whisper's 30-s window (its encoder's positions, times the stride of 2).
MAX_FRAMES = 3000


@functools.lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS).astype(np.float32)


def log_mel(y: np.ndarray) -> np.ndarray:
    """Whisper's log-mel features of a 16-kHz waveform, ``(80, len(y) // 160)`` float32.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.backbones import log_mel
    >>> log_mel(np.zeros(16000, dtype=np.float32)).shape
    (80, 100)
    """
    import librosa

    stft = librosa.stft(np.asarray(y, dtype=np.float32), n_fft=N_FFT, hop_length=HOP_LENGTH,
                        window="hann", center=True, pad_mode="reflect")
    power = np.abs(stft[:, :-1]) ** 2  # Whisper drops the last frame
    log_spec = np.log10(np.maximum(_mel_filters() @ power, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).astype(np.float32)


def encoder_frames(n_mel_frames: int) -> int:
    """Encoder frames (20 ms each) of ``n_mel_frames`` mel frames: the second convolution
    has stride 2."""
    return (n_mel_frames + 1) // 2


@functools.lru_cache(maxsize=4)
def load_encoder(folder: str, compute_type: str, n_threads: int):
    """The CTranslate2 Whisper model in ``folder`` (verified by the caller), loaded once."""
    try:
        import ctranslate2
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ImportError("Whisper features need CTranslate2: pip install ctranslate2") from exc
    return ctranslate2.models.Whisper(folder, device="cpu", compute_type=compute_type,
                                      intra_threads=n_threads, inter_threads=1)


def encode(model, mel_batch: np.ndarray) -> np.ndarray:
    """Encoder output of a batch of equal-length log-mels ``(n, 80, T)``: ``(n, ceil(T/2), d)``."""
    import ctranslate2

    features = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel_batch, np.float32))
    return np.asarray(model.encode(features, to_cpu=True), dtype=np.float32)
