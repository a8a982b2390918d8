"""Running a per-clip function over every clip: parallel, cached, into one output array.

What every audio transformer of the package does with its clips once :func:`~sklearn_ser.
inputs.clip_sources` has listed them: one call ``func(source, config, seed)`` per clip,
through joblib (``n_jobs``) and an optional joblib cache (``memory``), each result written
into a preallocated float32 array as it arrives. Main process only (it imports joblib's
parallel machinery and scikit-learn's validation); the per-clip functions live in worker-safe
modules such as :mod:`sklearn_ser.frontend.clip`.
"""

from __future__ import annotations

import hashlib
from numbers import Integral, Real
from types import MappingProxyType

import numpy as np
from joblib import Parallel, delayed
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_memory
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from .decode import MAX_SR, MIN_SR, AudioInputError
from .inputs import clip_digest

__all__ = [
    "EXTRACTION_CONSTRAINTS",
    "FRONT_END_CONSTRAINTS",
    "ClipFeaturesMixin",
    "check_out",
    "map_clips",
    "view_seeds",
]

#: ``_parameter_constraints`` of the front-end parameters every audio transformer takes:
#: the clips are decoded (:mod:`sklearn_ser.frontend.inputs`) and conditioned the same way in all of
#: them, so the parameters accept the same values everywhere.
FRONT_END_CONSTRAINTS = MappingProxyType({
    "input_sr": [Interval(Integral, MIN_SR, MAX_SR, closed="both"), None],
    "duration": [Interval(Real, 0, None, closed="neither"), None],
    "top_db": [Interval(Real, 0, None, closed="neither"), None],
    "pad_mode": [StrOptions({"constant", "wrap"})],
    "truncated": [StrOptions({"error", "warn"})],
    "verbose": ["verbose"],
})

#: ``_parameter_constraints`` of the parameters of extraction through :func:`map_clips` with
#: augmented views (:func:`view_seeds`).
EXTRACTION_CONSTRAINTS = MappingProxyType({
    "augment": [list, tuple, str, callable, None],
    "n_jobs": [Integral, None],
    "memory": [None, str, HasMethods(["cache"])],
    "random_state": ["random_state"],
})


def view_seeds(random_state, sources) -> list[int]:
    """The seed of each clip's augmented views, from ``random_state`` and the clip itself.

    One number is drawn from ``random_state`` per call and combined with each clip's
    :func:`~sklearn_ser.frontend.inputs.clip_digest` (its file's bytes, or its samples). A clip's
    views therefore follow the clip, not its position in ``X``: with an int ``random_state``
    a clip has the same views in every fold of a cross-validation, and the cache key of
    ``memory`` (clip, parameters, seed) matches across folds, so each clip is augmented once.
    """
    draw = int(check_random_state(random_state).randint(0, 2**31 - 1))
    seeds = []
    for source in sources:
        digest = hashlib.blake2b(f"{draw}:{clip_digest(source)}".encode(), digest_size=8)
        seeds.append(int.from_bytes(digest.digest(), "little") >> 1)  # 63 bits: an int64
    return seeds


def check_out(out, shape: tuple) -> np.ndarray:
    """``out`` itself if it can receive float32 features of ``shape``; else a clear error.

    ``out`` is a preallocated array, typically a ``numpy.memmap`` (``np.lib.format.open_memmap``
    for an ``.npy`` file), so features larger than memory go straight to disk.
    """
    if not isinstance(out, np.ndarray):
        raise TypeError(f"Parameter 'out' must be a numpy array or numpy.memmap of shape "
                        f"{shape} and dtype float32, got {type(out).__name__}.")
    if out.dtype != np.float32 or out.shape != tuple(shape):
        raise ValueError(f"Parameter 'out' has shape {out.shape} and dtype {out.dtype}; the "
                         f"features of these clips need shape {tuple(shape)} and dtype float32.")
    if not out.flags.writeable:
        raise ValueError("Parameter 'out' is read-only (a memmap opened with mode='r'?); open "
                         "it with mode='r+' or 'w+'.")
    return out


def map_clips(func, sources, config, seeds=None, *, n_jobs=None, memory=None, verbose=0,
              desc: str = "audio features", shape_hint: str = "", out=None) -> np.ndarray:
    """``np.stack([func(s, config, seed) for s, seed in zip(sources, seeds)])``, in parallel.

    Parameters
    ----------
    func : callable
        ``func(source, config, seed) -> ndarray``, defined at module level (it is pickled to
        workers and names the cache).
    sources : list of ClipSource
    config : picklable, hashable
        Everything ``func`` needs besides the clip; part of the cache key.
    seeds : list of int or None, default=None
        Per-clip seeds (see :func:`view_seeds`); None passes None for every clip.
    n_jobs, memory, verbose
        As the transformers' parameters of these names.
    desc : str, default="audio features"
        Label of the progress bar.
    shape_hint : str, default=""
        Appended to the error raised when clips give results of different shapes.
    out : ndarray or None, default=None
        Array of shape (n_clips, ...) to write the results into (checked by the caller with
        :func:`check_out`); None allocates one.

    Returns
    -------
    out : ndarray of shape (n_clips, ...), float32
        The ``out`` passed in, when one was.

    Raises
    ------
    AudioInputError
        If a clip's result has another shape than the first clip's (the message names it).
    """
    seeds = [None] * len(sources) if seeds is None else seeds
    if out is not None and len(out) != len(sources):
        raise ValueError(f"Parameter 'out' has {len(out)} rows for {len(sources)} clips.")
    cached = check_memory(memory).cache(func)
    jobs = (delayed(cached)(src, config, seed) for src, seed in zip(sources, seeds))
    # The matrix products of one clip are small: BLAS threads would only add start-up and
    # synchronisation, and oversubscribe the cores next to parallel clips. One thread here,
    # as loky already sets in its workers.
    with threadpool_limits(limits=1, user_api="blas"):
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
        # fill a preallocated array as clips arrive: memory stays O(output), not O(corpus)
        progress = tqdm(results, total=len(sources), desc=desc, disable=not verbose,
                        unit="clip")
        for i, feats in enumerate(progress):
            if out is None:
                out = np.empty((len(sources), *feats.shape), dtype=np.float32)
            elif feats.shape != out.shape[1:]:
                raise AudioInputError(
                    f"Clip {sources[i].label} gave features of shape {feats.shape}, expected "
                    f"{out.shape[1:]}{shape_hint}."
                )
            out[i] = feats
    return out


class ClipFeaturesMixin:
    """Feature names and tags of a transformer from audio clips to float32 features.

    Expects ``feature_names_out_`` to be set by ``fit``.
    """

    def get_feature_names_out(self, input_features=None):
        """Names of the output feature columns (the last axis of the output).

        Parameters
        ----------
        input_features : ignored
            Present for API consistency; the input is audio, not named columns.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
