"""Shared fixtures: small synthetic audio made with numpy, and the optional real EmoDB copy."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Tests import opensmile themselves (to compare with it), after other modules imported
# TensorFlow: its C library must be bound first, as the library does (see _smile_worker).
from sklearn_ser.frontend.smile_clip import _load_smile_library_first

_load_smile_library_first()

SR = 16000
SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
EMODB_DIR = SHARED_DATA / "emodb"
# .ci/run sets it: in CI the real corpora are there, so a test marked ``data`` that skips
# for want of them is a failure, not a silent pass
REQUIRE_DATA = os.environ.get("SKLEARN_SER_REQUIRE_DATA") == "1"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if REQUIRE_DATA and report.skipped and item.get_closest_marker("data") is not None:
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (f"{item.nodeid} needs ../shared/data and skipped ({reason}), but "
                           "SKLEARN_SER_REQUIRE_DATA=1 says the data must be there.")
    return report


def pytest_collection_modifyitems(items):
    for item in items:
        if {"emodb_paths", "shared_data"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.data)


@pytest.fixture
def shared_data():
    """A function giving the path of a folder of ../shared/data, skipping when it is absent."""

    def find(*parts):
        path = SHARED_DATA.joinpath(*parts)
        if not path.is_dir():
            pytest.skip(f"shared data folder not found at {path}")
        return path

    return find


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def harmonic_tone(f0: float, seconds: float, sr: int = SR, n_harmonics: int = 8) -> np.ndarray:
    """A voiced-like tone: f0 and its harmonics with 1/k amplitudes, float32, peak 0.5."""
    t = np.arange(int(seconds * sr)) / sr
    ks = [k for k in range(1, n_harmonics + 1) if f0 * k < sr / 2]
    y = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in ks)
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.fixture
def tone():
    return harmonic_tone


@pytest.fixture
def wav_dir(tmp_path, rng):
    """Six short clips with silence around a voiced tone, as 16-bit WAV at 22.05 kHz."""
    paths = []
    for i, f0 in enumerate([120, 150, 180, 210, 240, 270]):
        voiced = harmonic_tone(f0, 0.8, sr=22050) * (0.3 + 0.1 * i)
        y = np.concatenate([np.zeros(2205), voiced, np.zeros(4410)])
        y += 1e-4 * rng.standard_normal(y.size)
        path = tmp_path / f"clip_{i}.wav"
        sf.write(path, y, 22050, subtype="PCM_16")
        paths.append(str(path))
    return paths


@pytest.fixture
def emodb_paths():
    wav = EMODB_DIR / "wav"
    if not wav.is_dir():
        pytest.skip(f"real EmoDB copy not found at {wav}")
    return sorted(str(p) for p in wav.glob("*.wav"))
