"""The per-clip pipeline: decode -> condition -> views -> features, for one clip.

:func:`clip_features` is what :class:`~sklearn_ser.AudioFeatureTransformer` runs for each
clip, in the main process or a joblib worker. A worker process unpickles it and so imports
this module and what it imports: NumPy, SciPy's FFT, soundfile and soxr, but neither
scikit-learn nor pandas (the package's ``__init__`` imports nothing eagerly). That keeps a
new worker's start-up near 1.5 CPU-seconds instead of 4.6, which is most of what a first
``n_jobs=2`` call costs on a corpus of a few hundred clips (``benchmarks/bench_extraction.py``,
cold rows).
"""

from __future__ import annotations

import gc
import multiprocessing
from dataclasses import dataclass

import numpy as np

from .condition import condition
from .features import FeatureParams, compute_features
from .inputs import decode_source
from .views import make_views

#: With a fixed ``duration``, at most ``duration + READ_MARGIN`` seconds of a file are
#: decoded: room for leading silence that trimming removes and for the resampler's filter at
#: the cut. A longer file is conditioned as if it ended there (its peak and its silence
#: threshold are those of that prefix); shorter files, every clip of the bundled corpora
#: included, are read whole and give exactly the features they always did.
READ_MARGIN = 10.0


@dataclass(frozen=True)
class ClipConfig:
    """Everything a worker needs to turn one clip into features (picklable, hashable)."""

    sr: int
    input_sr: int | None
    duration: float | None
    top_db: float | None
    pad_mode: str
    features: tuple  # ((name, Feature), ...) from resolve_features: workers get the objects
    params: FeatureParams
    augmentations: tuple
    stats: bool
    truncated: str = "error"


def _decode(source, config: ClipConfig) -> np.ndarray:
    max_duration = None if config.duration is None else config.duration + READ_MARGIN
    return decode_source(source, sr=config.sr, input_sr=config.input_sr,
                         max_duration=max_duration, truncated=config.truncated)


_gc_frozen = False


def _freeze_imports_in_worker():
    """In a worker process, exempt what exists now (mostly imported modules) from the cyclic
    garbage collector, once.

    Without psutil, loky runs a full ``gc.collect()`` in each worker every second; through
    the hundred thousand objects of scipy, scikit-learn and pandas that takes ~80 ms, a
    quarter of the CPU a worker spends per clip. Frozen objects are still freed by reference
    counting; garbage created by later tasks is collected as usual. The main process is
    never touched.
    """
    global _gc_frozen
    if not _gc_frozen and multiprocessing.parent_process() is not None:
        gc.freeze()
        _gc_frozen = True


def clip_features(source, config: ClipConfig, seed):
    """Features of one clip: (n_frames, n_features), or (n_views, ...) when ``seed`` is given."""
    _freeze_imports_in_worker()
    y = condition(_decode(source, config), config.sr, duration=config.duration,
                  top_db=config.top_db, pad_mode=config.pad_mode)
    if seed is None:
        views = y[np.newaxis]
    else:
        views = make_views(y, config.sr, config.augmentations, seed, label=source.label,
                           pad_mode=config.pad_mode)
    feats = compute_features(views, config.features, config.params)
    if config.stats:
        feats = np.concatenate([feats.mean(axis=-2), feats.std(axis=-2)], axis=-1)
    return feats if seed is not None else feats[0]
