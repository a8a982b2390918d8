"""A canonical 44-byte-header PCM WAV in memory, and edits of its header fields (for the
decoding tests: forged, truncated and fuzzed files)."""

from __future__ import annotations

import io
import struct

import numpy as np
import soundfile as sf

#: offset and struct format of each field of the canonical header
FIELDS = {
    "riff_size": (4, "<I"),
    "format_tag": (20, "<H"),
    "channels": (22, "<H"),
    "sample_rate": (24, "<I"),
    "byte_rate": (28, "<I"),
    "block_align": (32, "<H"),
    "bits_per_sample": (34, "<H"),
    "data_size": (40, "<I"),
}


def wav_bytes(y: np.ndarray, sr: int, subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype=subtype)
    data = buffer.getvalue()
    assert data[36:40] == b"data", "soundfile no longer writes the canonical 44-byte header"
    return data


def with_field(data: bytes, field: str, value: int) -> bytes:
    offset, fmt = FIELDS[field]
    out = bytearray(data)
    out[offset : offset + struct.calcsize(fmt)] = struct.pack(fmt, value)
    return bytes(out)
