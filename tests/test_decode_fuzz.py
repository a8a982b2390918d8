"""Seeded fuzzing of WAV decoding (issue 12): every damaged file gives features or an
AudioInputError naming it, within a time and a memory bound."""

import resource
import time
import tracemalloc
import warnings

import numpy as np
import pytest
from _wav import FIELDS, wav_bytes, with_field

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.frontend.decode import AudioInputError

N_MUTATIONS = 300
TIME_BOUND_S = 2.0
MEMORY_BOUND = 200 * 2**20  # bytes, traced per file; RSS growth over the whole run alike

#: header values a damaged or forged file plausibly carries, per field
EDGE_VALUES = {
    "riff_size": [0, 4, 36, 2**31, 0xFFFFFFFF],
    "format_tag": [0, 1, 2, 3, 6, 7, 0x55, 0xFFFE, 0xFFFF],
    "channels": [0, 1, 2, 3, 8, 255, 1024, 0xFFFF],
    "sample_rate": [0, 1, 999, 1000, 8000, 44100, 384_000, 384_001, 2**31 - 1, 0xFFFFFFFF],
    "byte_rate": [0, 1, 2**31, 0xFFFFFFFF],
    "block_align": [0, 1, 3, 4, 0xFFFF],
    "bits_per_sample": [0, 1, 4, 7, 8, 12, 16, 24, 32, 64, 0xFFFF],
    "data_size": [0, 1, 2, 3, 100, 2**20, 2**31, 0xFFFFFFFE, 0xFFFFFFFF],
}


def _mutate(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    kind = rng.choice(["bit_flips", "truncation", "header_field", "header_fields"])
    if kind == "bit_flips":
        out = bytearray(data)
        for _ in range(rng.integers(1, 9)):
            # half of the flips in the header, where one bit changes the meaning of the rest
            i = int(rng.integers(0, 44)) if rng.random() < 0.5 else int(rng.integers(len(out)))
            out[i] ^= 1 << int(rng.integers(8))
        return kind, bytes(out)
    if kind == "truncation":
        n = int(rng.integers(0, 60)) if rng.random() < 0.5 else int(rng.integers(len(data)))
        return f"truncation at {n}", data[:n]
    out, edits = data, []
    for field in rng.choice(list(FIELDS), size=1 if kind == "header_field" else 3, replace=False):
        values = EDGE_VALUES[field]
        value = int(values[rng.integers(len(values))]) if rng.random() < 0.8 else int(
            rng.integers(0, 2 ** (8 * (2 if FIELDS[field][1] == "<H" else 4))))
        out = with_field(out, field, value)
        edits.append(f"{field}={value}")
    return ", ".join(edits), out


@pytest.fixture(scope="module")
def real_wavs():
    """A real voiced clip, as 16-bit mono and 24-bit stereo WAV (22.05 kHz, 0.6 s)."""
    from conftest import harmonic_tone

    y = harmonic_tone(160, 0.6, sr=22050)
    y = np.concatenate([np.zeros(1000, np.float32), y, np.zeros(1000, np.float32)])
    return [wav_bytes(y, 22050, "PCM_16"), wav_bytes(np.stack([y, 0.5 * y], 1), 22050, "PCM_24")]


def test_damaged_wavs_give_features_or_an_error_naming_the_file(tmp_path, real_wavs):
    rng = np.random.default_rng(20261201)
    transformers = {
        truncated: AudioFeatureTransformer(duration=0.5, features=("zcr", "rms", "mfcc"),
                                           n_mfcc=13, truncated=truncated).fit([np.zeros(800)])
        for truncated in ("error", "warn")
    }
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    outcomes = {"features": 0, "error": 0}
    start = time.perf_counter()
    for i in range(N_MUTATIONS):
        original = real_wavs[i % len(real_wavs)]
        what, data = _mutate(original, rng)
        path = tmp_path / f"mutant_{i}.wav"
        path.write_bytes(data)
        aft = transformers["warn" if i % 3 == 0 else "error"]
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # truncated="warn" says so
                X = aft.transform([str(path)])
        except AudioInputError as exc:
            assert str(path) in str(exc), f"mutant {i} ({what}): error does not name the file"
            outcomes["error"] += 1
        else:
            assert X.shape == (1, aft.n_frames_, 15) and np.all(np.isfinite(X)), (i, what)
            outcomes["features"] += 1
        finally:
            elapsed = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert elapsed < TIME_BOUND_S, f"mutant {i} ({what}) took {elapsed:.1f} s"
        assert peak < MEMORY_BOUND, f"mutant {i} ({what}) traced {peak / 2**20:.0f} MB"
        path.unlink()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    assert rss_growth < MEMORY_BOUND, f"peak RSS grew by {rss_growth / 2**20:.0f} MB"
    # the mutations exercise both outcomes, not only one of them
    assert min(outcomes.values()) > N_MUTATIONS // 10, outcomes
    assert time.perf_counter() - start < 30
