"""The openSMILE work for one clip, in a module joblib workers import without scikit-learn.

A worker decodes the clip with the library's front end, conditions it as the parameters say
and runs its own ``opensmile.Smile`` (built once per process) on it. See
:class:`sklearn_ser.OpenSmileTransformer` for the parameters.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass

import numpy as np

from .clip import READ_MARGIN, _freeze_imports_in_worker
from .condition import condition, fix_length, peak_normalize, trim_silence
from .decode import AudioInputError, audio_info
from .inputs import decode_source
from .views import make_views

#: ``level`` -> name of the member of ``opensmile.FeatureLevel``.
FEATURE_LEVELS = {
    "functionals": "Functionals",
    "lld": "LowLevelDescriptors",
    "lld_deltas": "LowLevelDescriptors_Deltas",
}

#: openSMILE reads 16-bit PCM: the Python wrapper scales by 32768 and casts to int16, where
#: +1.0 would wrap around to -32768. Normalised peaks stop one step below.
_INT16_PEAK = np.float32(32767 / 32768)

#: Lossy codecs (Opus, MP3) overshoot full scale by a few percent on loud clips (a CREMA-D clip
#: of the project's Opus copy peaks at 1.025): such samples are saturated, as a conversion to
#: 16-bit PCM does.
#: A waveform peaking above this is on another scale (int16 values as floats, a gain error)
#: and is refused rather than distorted.
_MAX_OVERSHOOT = 2.0

#: A clip at a rate other than the probe's may give a frame or two more or fewer for the same
#: duration (the 10 ms hop rounds to whole samples: 220 at 22.05 kHz); beyond that the clip
#: is refused rather than stretched.
_FRAME_TOLERANCE = 2


def _load_smile_library_first():
    """Load openSMILE's C library resolving its own symbols before anything global.

    libSMILEapi exports thousands of generic symbols (libsvm's ``svm_*``, C++ helpers) that
    TensorFlow's libraries, loaded with RTLD_GLOBAL, also define: loaded after TensorFlow, it
    binds some of its calls to TensorFlow's copies and crashes (a segmentation fault or
    "malloc(): invalid size" in ``process_signal``). RTLD_DEEPBIND makes it prefer its own
    definitions; opensmile's later ``cdll.LoadLibrary`` of the same path gets this handle.
    """
    import ctypes
    import importlib.util
    import os
    from pathlib import Path

    if "opensmile" in sys.modules or not hasattr(os, "RTLD_DEEPBIND"):
        return
    spec = importlib.util.find_spec("opensmile")
    if spec is None or spec.origin is None:
        return
    for lib in sorted(Path(spec.origin).parent.glob("core/bin/*/libSMILEapi.so")):
        try:
            ctypes.CDLL(str(lib), mode=os.RTLD_DEEPBIND | os.RTLD_LOCAL)
        except OSError:  # a library for another platform in the wheel
            continue


def import_opensmile():
    _load_smile_library_first()
    try:
        import opensmile
    except ImportError as exc:
        raise ImportError(
            "OpenSmileTransformer needs the 'opensmile' package: "
            "pip install sklearn-ser[opensmile]"
        ) from exc
    return opensmile


_SMILES: dict = {}


def get_smile(feature_set: str, level: str):
    """The ``opensmile.Smile`` of a feature set and level, built once per process.

    Building one parses the configuration files (~0.5 s); the object is not shipped to
    joblib workers, each worker builds its own on first use.
    """
    key = (feature_set, level)
    if key not in _SMILES:
        opensmile = import_opensmile()
        _SMILES[key] = opensmile.Smile(
            feature_set=opensmile.FeatureSet[feature_set],
            feature_level=opensmile.FeatureLevel[FEATURE_LEVELS[level]],
        )
    return _SMILES[key]


@dataclass(frozen=True)
class SmileConfig:
    """What a worker needs to turn one clip into openSMILE features (picklable, hashable)."""

    feature_set: str
    level: str
    sr: int | None
    input_sr: int | None
    duration: float | None
    top_db: float | None
    normalize: bool
    pad_mode: str
    n_frames: int | None
    augmentations: tuple = ()
    truncated: str = "error"


def _decode(source, config: SmileConfig) -> tuple[np.ndarray, int]:
    """The clip's waveform and its rate: resampled to ``config.sr``, or at its own rate."""
    max_duration = None if config.duration is None else config.duration + READ_MARGIN
    if config.sr is not None:
        sr = config.sr
    elif source.kind == "path":
        sr = audio_info(source.value, truncated=config.truncated).samplerate
    else:
        sr = config.input_sr  # fit made sure waveforms have a rate
    y = decode_source(source, sr=sr, input_sr=config.input_sr, max_duration=max_duration,
                      truncated=config.truncated)
    return y, sr


def _to_16bit_range(y: np.ndarray, label: str, normalize: bool) -> np.ndarray:
    if normalize:
        return peak_normalize(y) * _INT16_PEAK
    peak = float(np.max(np.abs(y)))
    if peak > _MAX_OVERSHOOT:
        raise AudioInputError(
            f"{label} peaks at {peak:.4g}, far beyond full scale (1.0); openSMILE reads 16-bit "
            "audio. Scale the waveform to [-1, 1] or set normalize=True."
        )
    # saturate like a 16-bit conversion (+1.0 itself is one step beyond int16's range):
    # the wrapper's bare cast would wrap an overshoot around to the opposite sign
    return np.clip(y, -1.0, _INT16_PEAK)


def _condition(y: np.ndarray, sr: int, label: str, config: SmileConfig) -> np.ndarray:
    if config.normalize:
        y = condition(y, sr, duration=config.duration, top_db=config.top_db,
                      pad_mode=config.pad_mode)
    else:
        y = trim_silence(y, config.top_db)
        if config.duration is not None:
            y = fix_length(y, round(config.duration * sr), config.pad_mode)
    return _to_16bit_range(y, label, config.normalize)


def _run_smile(y: np.ndarray, sr: int, label: str, config: SmileConfig) -> np.ndarray:
    """openSMILE on one waveform: (n_features,) functionals or (n_frames, n_features) LLDs."""
    smile = get_smile(config.feature_set, config.level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Segment too short": refused below
        out = smile(y[np.newaxis], sr)[0].T  # (n_frames, n_features)
    if out.shape[0] == 0 or np.isnan(out).all():
        raise AudioInputError(
            f"{label} is too short for openSMILE's {config.feature_set} ({y.size / sr:.3f} s "
            f"at {sr} Hz): it gave no {config.level}. Set a longer 'duration' to pad clips."
        )
    if config.level == "functionals":
        return out[0]
    missing = config.n_frames - out.shape[0]
    if abs(missing) > _FRAME_TOLERANCE:
        raise AudioInputError(
            f"{label} gave {out.shape[0]} frames of {config.level}, expected "
            f"{config.n_frames} for {config.duration} s."
        )
    if missing > 0:  # the last frame repeated, see _FRAME_TOLERANCE
        return np.concatenate([out, np.repeat(out[-1:], missing, axis=0)])
    return out[: config.n_frames]


def smile_clip(source, config: SmileConfig, seed):
    """openSMILE features of one clip, and of its augmented views when ``seed`` is given."""
    _freeze_imports_in_worker()
    y, sr = _decode(source, config)
    y = _condition(y, sr, source.label, config)
    if seed is None:
        return _run_smile(y, sr, source.label, config)
    # a view keeps the clean clip's peak: its level is not what the view varies
    views = make_views(y, sr, config.augmentations, seed, label=source.label,
                       pad_mode=config.pad_mode, peak=np.float32(np.max(np.abs(y))))
    return np.stack([_run_smile(v, sr, source.label, config) for v in views])
