"""What a clip is: the accepted input forms, normalised to per-clip sources, and their decoding.

Every consumer of audio clips (:class:`~sklearn_ser.AudioFeatureTransformer`, the openSMILE
transformer, the streaming of long recordings) reads its input through these two functions,
so each input form is accepted, rejected and described the same way everywhere:

- :func:`clip_sources` turns ``X`` into a list of :class:`ClipSource` (cheap, in the main
  process: it checks that files exist but decodes nothing);
- :func:`decode_source` turns one source into a mono float32 waveform at ``sr`` Hz (the
  work of a joblib worker).

This module is imported by joblib workers, so it imports neither scikit-learn nor pandas at
module level (:func:`clip_sources` imports scikit-learn's validation lazily: it only runs in
the main process).
"""

from __future__ import annotations

import hashlib
import os
from typing import NamedTuple

import numpy as np

from .decode import (
    AudioInputError,
    check_content,
    check_dtype,
    check_waveform,
    load_audio,
    resample,
)

__all__ = ["ClipSource", "clip_digest", "clip_sources", "content_key", "decode_source"]


class ClipSource(NamedTuple):
    """One clip of ``X``: a file or an in-memory waveform.

    Attributes
    ----------
    kind : {"path", "wave"}
    value : str or array-like
        The file path, or the waveform as the user passed it (validated when decoded).
    key : str or None
        Content digest of a file (see :func:`content_key`) when the caller asked for one to
        key a cache; None otherwise and for waveforms (a cache hashes the array itself).
    label : str
        How error messages name the clip: the path, or ``"X[i]"``.
    """

    kind: str
    value: object
    key: str | None
    label: str


def content_key(path, block_size: int = 1 << 20) -> str:
    """BLAKE2b digest (128-bit, hex) of a file's bytes, read in blocks of ``block_size``.

    A cache keyed on this never serves features of a file's former content, even when the
    file was replaced by one of the same size and modification time (``cp -p``,
    ``rsync -t``). Reading costs far less than decoding: ~1 GB/s against tens of MB/s.
    """
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while block := f.read(block_size):
            digest.update(block)
    return digest.hexdigest()


def clip_digest(source: ClipSource) -> str:
    """What a clip is, as a hex digest: its file's :func:`content_key`, or its samples'.

    A waveform is digested as float32 samples with their shape, so the same samples passed as
    float64, float32 or a list give the same digest. It is computed from the input, before
    any decoding, so it does not change with the decoder's or resampler's rounding. An input
    that is not numeric (it fails later, with a message naming it) gets a digest of its
    pickle.

    Parameters
    ----------
    source : ClipSource
        From :func:`clip_sources`; a file's digest is read from :attr:`ClipSource.key`
        when the caller asked for content keys, else computed here.

    Returns
    -------
    digest : str
        Hex digest.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.inputs import ClipSource, clip_digest
    >>> y = np.linspace(-0.5, 0.5, 1600)
    >>> as_float64 = clip_digest(ClipSource("wave", y, None, "X[0]"))
    >>> as_float64 == clip_digest(ClipSource("wave", y.astype(np.float32).tolist(), None, "X[1]"))
    True
    >>> as_float64 == clip_digest(ClipSource("wave", y[::-1], None, "X[2]"))
    False
    """
    if source.kind == "path":
        return source.key if source.key is not None else content_key(source.value)
    try:
        samples = np.ascontiguousarray(source.value, dtype=np.float32)
    except (TypeError, ValueError):
        import joblib  # main process only, like this function's callers

        return joblib.hash(source.value)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(samples.shape).encode())
    digest.update(samples.data)
    return digest.hexdigest()


def _path_source(item, i: int, content_keys: bool) -> ClipSource:
    path = os.fspath(item)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Audio file '{path}' (X[{i}]) does not exist.")
    if os.path.isdir(path):
        raise AudioInputError(f"Audio file '{path}' (X[{i}]) is a directory, not an audio file.")
    return ClipSource("path", path, content_key(path) if content_keys else None, path)


def _list_sources(items, content_keys: bool) -> list[ClipSource]:
    """Sources from a Python sequence whose items are paths or waveforms of any length."""
    sources = []
    for i, item in enumerate(items):
        if isinstance(item, (str, os.PathLike)):
            sources.append(_path_source(item, i, content_keys))
        elif isinstance(item, bytes):
            raise AudioInputError(f"X[{i}] is bytes; pass file paths as str or pathlib.Path.")
        else:
            sources.append(ClipSource("wave", item, None, f"X[{i}]"))
    if not sources:
        raise AudioInputError("X holds no clips: at least one path or waveform is needed.")
    return sources


def clip_sources(estimator, X, *, reset: bool, content_keys: bool = False) -> list[ClipSource]:
    """Normalise the accepted input forms of ``X`` to one :class:`ClipSource` per clip.

    Python lists and tuples (and 1-D arrays of strings or objects, pandas Series) hold one
    clip per item: a path, or a waveform of any length in the channel convention of
    :func:`sklearn_ser.frontend.decode.check_waveform`. Other array-likes are tables of equal-length
    mono waveforms, one row per clip, validated like any scikit-learn input (so
    ``transform`` expects the width seen in ``fit``).

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator receiving ``X``; a table sets (``reset=True``) or checks its
        ``n_features_in_``, and a list removes it on reset.
    X : sequence of path-like or waveforms, or array-like of shape (n_clips, n_samples)
    reset : bool
        True in ``fit``, False in ``transform``.
    content_keys : bool, default=False
        Fill :attr:`ClipSource.key` with each file's :func:`content_key` (reads every file
        once; ask for it only to key a cache).

    Returns
    -------
    sources : list of ClipSource

    Raises
    ------
    FileNotFoundError
        If a path does not exist (the message names it and its index).
    AudioInputError
        If ``X`` is a single path, bytes, a 1-D numeric array, empty, or of no accepted form.
    """
    if isinstance(X, (str, bytes, os.PathLike)):
        raise AudioInputError(
            f"X must be a sequence of clips (paths or waveforms), not a single path: {X!r}. "
            "Wrap it in a list."
        )
    if hasattr(X, "to_numpy") and getattr(X, "ndim", 2) == 1:  # pandas Series
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.dtype.kind in "USO" and X.ndim == 1:
        X = X.tolist()
    if isinstance(X, (list, tuple)):
        if reset and hasattr(estimator, "n_features_in_"):
            del estimator.n_features_in_
        return _list_sources(X, content_keys)
    if isinstance(X, np.ndarray) and X.ndim == 1 and X.dtype.kind in "biuf":
        raise AudioInputError(
            f"X is a 1-D numeric array of shape {X.shape}. Reshape your data: pass a list "
            "of waveforms (one 1-D array per clip) or a 2-D array of equal-length waveforms."
        )
    if not hasattr(X, "__array__") and not hasattr(X, "shape"):
        raise AudioInputError(
            f"X must be a sequence of paths or waveforms, got {type(X).__name__}."
        )
    from sklearn.utils.validation import validate_data  # main process only, see module doc

    if getattr(X, "dtype", None) is not None and np.dtype(X.dtype).kind in "bu":
        check_dtype(X.dtype, "X")  # before validate_data casts it to float silently
    X = validate_data(estimator, X, reset=reset, dtype=[np.float32, np.float64])
    return [ClipSource("wave", X[i], None, f"X[{i}]") for i in range(X.shape[0])]


def decode_source(source: ClipSource, *, sr: int, input_sr: int | None = None,
                  max_duration: float | None = None, truncated: str = "error") -> np.ndarray:
    """Decode one clip to a mono float32 waveform at ``sr`` Hz.

    Parameters
    ----------
    source : ClipSource
        From :func:`clip_sources`.
    sr : int
        Output sample rate.
    input_sr : int or None, default=None
        Sample rate of an in-memory waveform; None means it is already at ``sr``. Files
        carry their own rate.
    max_duration : float or None, default=None
        Decode at most this many seconds from the start of a file (see
        :func:`sklearn_ser.frontend.decode.load_audio`); None decodes it all. Waveforms are
        already in memory and are returned whole.
    truncated : {"error", "warn"}, default="error"
        What a file holding fewer samples than its header declares gives: an
        :class:`AudioInputError`, or a warning and the samples present.

    Returns
    -------
    y : ndarray of shape (n_samples,), float32
        Mono samples at ``sr`` Hz.

    Raises
    ------
    AudioInputError
        Naming the clip and the reason, for anything that cannot be decoded, and for a clip
        of a single sample.

    Warns
    -----
    AudioContentWarning
        For a silent clip (its label reflects no speech) and unsigned-integer samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.frontend.inputs import clip_sources, decode_source
    >>> stereo_first = np.zeros((2, 8000), dtype=np.float32)   # librosa's (channels, n)
    >>> [source] = clip_sources(None, [stereo_first], reset=False)
    >>> decode_source(source, sr=16000, input_sr=8000).shape
    (16000,)
    """
    if source.kind == "path":
        y = load_audio(source.value, sr, max_duration=max_duration, truncated=truncated)
        check_content(y, f"Audio file '{source.label}'")
        return y
    y = check_waveform(source.value, source=source.label)
    check_content(y, source.label)
    return resample(y, input_sr, sr) if input_sr else y
