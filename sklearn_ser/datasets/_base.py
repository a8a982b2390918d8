"""Shared machinery of the corpus loaders: file discovery, emotion harmonisation, Bunch building.

A loader only *indexes* files: it walks a folder, parses each file name with the corpus' naming
convention and builds one table row per clip. No audio is decoded here, so loading a corpus of
thousands of clips takes well under a second and does not depend on the audio back end.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

__all__ = [
    "AUDIO_EXTENSIONS",
    "COMMON_EMOTIONS",
    "CORPUS_NAMES",
    "EMOTIONS",
    "CorpusFileWarning",
    "concat_corpora",
    "load_corpora",
    "load_corpus",
]

#: Harmonised emotion names used in the ``emotion`` column and in ``y`` of every loader.
EMOTIONS = (
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fear",
    "disgust",
    "surprise",
    "boredom",
)

#: The six emotions shared by all five corpora (RAVDESS, CREMA-D, TESS, SAVEE, EmoDB).
COMMON_EMOTIONS = ("angry", "disgust", "fear", "happy", "neutral", "sad")

#: Extensions treated as audio. Only ``.wav`` files are indexed; audio files in any other
#: format are reported, because a corpus converted to another format would otherwise
#: look empty without a word.
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".au"}
)

# Columns every loader produces, in this order; corpus-specific columns follow them.
_COMMON_COLUMNS = ("path", "emotion", "label", "speaker", "gender", "corpus")
_INTEGER_COLUMNS = frozenset({"age", "statement", "repetition"})

# Files and folders that archive tools and operating systems add next to the audio:
# macOS resource forks (``__MACOSX/``, ``._x.wav``) and hidden files such as our own
# download marker. They are metadata, never clips.
_IGNORED_DIRS = frozenset({"__MACOSX"})

_MAX_EXAMPLES = 5


class CorpusFileWarning(UserWarning):
    """Files under a corpus folder were skipped; the message gives count, reason and examples."""


class _Skip(Exception):
    """Raised by a name parser: the file is not a clip of this corpus (message says why)."""

    def __init__(self, reason: str, detail: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass
class _Index:
    """Result of scanning a corpus folder: parsed clips and skipped files with their reason."""

    records: list[dict] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (path, reason, detail)

    def skip(self, path: Path | str, reason: str, detail: str = "") -> None:
        self.skipped.append((os.fspath(path), reason, detail))


def check_root(root, corpus: str) -> Path:
    """Return ``root`` as an absolute Path, or raise an error naming the folder."""
    if root is None:
        raise TypeError(f"root must be the path of the {corpus} folder, got None.")
    try:
        path = Path(os.fspath(root)).expanduser()
    except TypeError:
        raise TypeError(
            f"root must be a str or os.PathLike naming the {corpus} folder, "
            f"got {type(root).__name__}."
        ) from None
    if not path.exists():
        raise FileNotFoundError(f"The {corpus} folder '{path}' does not exist.")
    if not path.is_dir():
        raise NotADirectoryError(f"The {corpus} root '{path}' is not a folder.")
    return path.resolve()


def iter_files(root: Path, unreadable: list[OSError] | None = None) -> list[Path]:
    """All files below ``root`` (recursively, following symlinked folders once), sorted.

    Hidden files and folders (name starting with ``.``) and ``__MACOSX`` folders are not
    visited: they hold archive metadata (e.g. ``._03a01Fa.wav`` resource forks), not audio.
    Folders that cannot be listed are appended to ``unreadable`` (os.walk would otherwise
    skip them without a word).
    """
    found: list[Path] = []
    seen_dirs: set[str] = set()
    onerror = unreadable.append if unreadable is not None else None
    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen_dirs:  # a symlink loop or two links to the same folder
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and d not in _IGNORED_DIRS
        )
        found.extend(Path(dirpath, f) for f in filenames if not f.startswith("."))
    return sorted(found, key=lambda p: p.as_posix())


def scan(
    root: Path,
    parse: Callable[[Path], dict],
) -> _Index:
    """Parse every WAV file below ``root`` with ``parse``; record other audio as skipped.

    ``parse(path)`` returns the clip's fields (at least ``key``, ``emotion``, ``label``,
    ``speaker``, ``gender``) or raises :class:`_Skip` with the reason.
    """
    index = _Index()
    unreadable: list[OSError] = []
    files = iter_files(root, unreadable)
    for error in unreadable:
        index.skip(error.filename or root, "folder could not be read", error.strerror or str(error))
    for path in files:
        suffix = path.suffix.lower()
        if suffix not in AUDIO_EXTENSIONS:
            continue  # text, label, csv, video files: not audio, nothing to report
        if suffix != ".wav":
            index.skip(path, f"not a WAV file ({suffix}); loaders index .wav files only")
            continue
        if _is_lfs_pointer(path):
            index.skip(
                path,
                "git-lfs pointer, not audio (the repository was cloned without its "
                "large files: run 'git lfs pull' in it)",
            )
            continue
        try:
            fields = parse(path)
        except _Skip as skip:
            index.skip(path, skip.reason, skip.detail or "")
            continue
        index.records.append({"path": os.fspath(path), **fields})
    return index


_LFS_POINTER = b"version https://git-lfs"


def _is_lfs_pointer(path: Path) -> bool:
    # Repositories such as CREMA-D keep their audio in git-lfs; a clone without git-lfs (or
    # GitHub's "Download ZIP") holds ~130-byte text stubs named like the clips. Only tiny
    # files are opened, so this costs one stat per file.
    try:
        if path.stat().st_size > 1024:
            return False
        with open(path, "rb") as handle:
            return handle.read(len(_LFS_POINTER)) == _LFS_POINTER
    except OSError:
        return False


def drop_duplicates(index: _Index) -> None:
    """Keep the first copy (by sorted path) of clips that occur more than once.

    Common mirrors ship the same clip twice (e.g. the Kaggle RAVDESS copy has every actor
    folder at the top level and again inside ``audio_speech_actors_01-24/``); counting both
    would double the corpus and put copies of one clip on both sides of a split.
    """
    first: dict[str, str] = {}
    kept = []
    for record in index.records:
        key = record["key"]
        if key in first:
            index.skip(record["path"], "duplicate clip", f"same clip as '{first[key]}'")
        else:
            first[key] = record["path"]
            kept.append(record)
    index.records = kept


def warn_skipped(index: _Index, corpus: str, root: Path) -> None:
    """Emit one :class:`CorpusFileWarning` per reason, with the count and a few examples."""
    by_reason: dict[str, list[tuple[str, str]]] = {}
    for path, reason, detail in index.skipped:
        by_reason.setdefault(reason, []).append((path, detail))
    for reason, items in by_reason.items():
        examples = "; ".join(
            _relative(path, root) + (f" ({detail})" if detail else "")
            for path, detail in items[:_MAX_EXAMPLES]
        )
        more = f" and {len(items) - _MAX_EXAMPLES} more" if len(items) > _MAX_EXAMPLES else ""
        warnings.warn(
            f"{corpus}: skipped {len(items)} file(s) under '{root}': {reason}. "
            f"Examples: {examples}{more}. The full list is in the returned Bunch's "
            "'skipped' table.",
            CorpusFileWarning,
            stacklevel=4,
        )


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


def check_emotions(emotions) -> tuple[str, ...] | None:
    """Validate the ``emotions`` option: None (keep all) or an iterable of harmonised names."""
    if emotions is None:
        return None
    if isinstance(emotions, str):
        raise TypeError(
            f"emotions must be a list of emotion names such as {list(COMMON_EMOTIONS)}, "
            f"got the string {emotions!r}."
        )
    emotions = tuple(emotions)
    unknown = sorted(set(emotions) - set(EMOTIONS))
    if unknown:
        raise ValueError(
            f"Unknown emotion name(s) {unknown} in emotions; valid names are {list(EMOTIONS)}."
        )
    if not emotions:
        raise ValueError("emotions must name at least one emotion, got an empty list.")
    return emotions


def build_bunch(
    index: _Index,
    *,
    corpus: str,
    name: str,
    root: Path,
    extra_columns: Sequence[str],
    descr: str,
    expected_name: str,
    emotions=None,
    merge_calm: bool = False,
) -> Bunch:
    """Turn a scanned index into the public Bunch (frame, X, y, groups, DESCR, skipped).

    ``corpus`` is the id stored in the frame (``"crema_d"``), ``name`` the one shown in
    messages (``"CREMA-D"``).
    """
    if not isinstance(merge_calm, (bool, np.bool_)):
        raise TypeError(f"merge_calm must be True or False, got {merge_calm!r}.")
    emotions = check_emotions(emotions)
    drop_duplicates(index)
    warn_skipped(index, name, root)
    if not index.records:
        detail = ""
        if index.skipped:
            path, reason, _ = index.skipped[0]
            detail = (
                f" {len(index.skipped)} audio file(s) were found but none matched, "
                f"e.g. '{_relative(path, root)}': {reason}."
            )
        raise FileNotFoundError(
            f"No {name} clips found under '{root}'. Expected WAV files named like "
            f"{expected_name}.{detail}"
        )

    columns = list(_COMMON_COLUMNS) + [c for c in extra_columns if c not in _COMMON_COLUMNS]
    frame = pd.DataFrame.from_records(index.records)
    frame["corpus"] = corpus
    frame["speaker"] = corpus + "_" + frame["speaker"].astype(str)
    if merge_calm:
        frame.loc[frame["emotion"] == "calm", "emotion"] = "neutral"
    if emotions is not None:
        frame = frame[frame["emotion"].isin(emotions)]
        if frame.empty:
            raise ValueError(
                f"None of the {len(index.records)} {name} clips under '{root}' has an "
                f"emotion in {list(emotions)}."
            )
    frame = frame.sort_values("path", kind="stable").reset_index(drop=True)[columns]
    for column in _INTEGER_COLUMNS.intersection(frame.columns):
        # Nullable integers stay integers when corpora without the column are concatenated.
        frame[column] = frame[column].astype("Int64")
    skipped = pd.DataFrame(index.skipped, columns=["path", "reason", "detail"])
    return make_bunch(frame, skipped=skipped, descr=descr)


def make_bunch(frame: pd.DataFrame, *, skipped: pd.DataFrame, descr: str) -> Bunch:
    """Bunch with ``frame`` and the aligned ``X`` (paths), ``y`` (emotion), ``groups`` (speaker)."""
    summary = _summary(frame)
    return Bunch(
        frame=frame,
        X=frame["path"].to_numpy(dtype=object),
        y=frame["emotion"].to_numpy(dtype=object),
        groups=frame["speaker"].to_numpy(dtype=object),
        target_names=np.array(sorted(frame["emotion"].unique()), dtype=object),
        skipped=skipped,
        DESCR=descr.rstrip() + "\n\n" + summary,
    )


def _summary(frame: pd.DataFrame) -> str:
    counts = frame["emotion"].value_counts()
    per_emotion = ", ".join(f"{name} {count}" for name, count in counts.items())
    corpora = ", ".join(sorted(frame["corpus"].unique()))
    return (
        f"Loaded: {len(frame)} clips, {frame['speaker'].nunique()} speakers "
        f"(corpus: {corpora}). Per emotion: {per_emotion}."
    )


def concat_corpora(bunches: Iterable[Bunch]) -> Bunch:
    """Concatenate corpus Bunches into one, e.g. for cross-corpus training or evaluation.

    Rows keep the order of the inputs. Corpus-specific columns missing from a corpus are
    filled with missing values. Speaker ids stay unique because every loader prefixes them
    with the corpus name.

    Parameters
    ----------
    bunches : iterable of Bunch
        Results of the ``load_*`` functions (or of :func:`load_corpus`).

    Returns
    -------
    data : Bunch
        Same fields as a single corpus: ``frame``, ``X``, ``y``, ``groups``,
        ``target_names``, ``skipped`` and ``DESCR``. Use ``data.frame["corpus"]`` as the
        groups of :class:`~sklearn_ser.model_selection.LeaveOneCorpusOut`.

    Raises
    ------
    ValueError
        If no Bunch is given or the same clip (path) appears in two inputs.

    Examples
    --------
    >>> from sklearn_ser.datasets import concat_corpora, load_emodb, load_tess
    >>> data = concat_corpora([load_emodb("emodb"), load_tess("tess")])  # doctest: +SKIP
    >>> data.frame["corpus"].value_counts()  # doctest: +SKIP
    corpus
    tess     2800
    emodb     535
    Name: count, dtype: int64
    """
    bunches = list(bunches)
    if not bunches:
        raise ValueError("concat_corpora needs at least one corpus Bunch, got none.")
    for i, bunch in enumerate(bunches):
        if not isinstance(bunch, Mapping) or "frame" not in bunch:
            raise TypeError(
                f"concat_corpora expects Bunches returned by the loaders; item {i} is "
                f"{type(bunch).__name__} without a 'frame'."
            )
    frame = pd.concat([b["frame"] for b in bunches], ignore_index=True, sort=False)
    duplicated = frame["path"][frame["path"].duplicated()]
    if not duplicated.empty:
        raise ValueError(
            f"{duplicated.size} clip(s) appear in more than one of the corpora to combine, "
            f"e.g. '{duplicated.iloc[0]}'; load each corpus once."
        )
    columns = list(_COMMON_COLUMNS) + [c for c in frame.columns if c not in _COMMON_COLUMNS]
    skipped_parts = [b["skipped"] for b in bunches if len(b.get("skipped", ())) > 0]
    skipped = (
        pd.concat(skipped_parts, ignore_index=True)
        if skipped_parts
        else pd.DataFrame(columns=["path", "reason", "detail"])
    )
    descr = "\n\n".join(b.get("DESCR", "").split("\n\nLoaded: ")[0] for b in bunches)
    return make_bunch(frame[columns], skipped=skipped, descr=descr)


def _loaders() -> dict[str, Callable[..., Bunch]]:
    # Imported here because every corpus module imports this one.
    from functools import partial

    from ._crema_d import load_crema_d
    from ._emodb import load_emodb
    from ._ravdess import load_ravdess
    from ._savee import load_savee
    from ._tess import load_tess

    return {
        "ravdess": load_ravdess,
        "ravdess_speech": partial(load_ravdess, subset="speech"),
        "ravdess_song": partial(load_ravdess, subset="song"),
        "crema_d": load_crema_d,
        "tess": load_tess,
        "savee": load_savee,
        "emodb": load_emodb,
    }


#: Names accepted by :func:`load_corpus` and :func:`load_corpora` (``-`` may replace ``_``).
CORPUS_NAMES = (
    "ravdess",
    "ravdess_speech",
    "ravdess_song",
    "crema_d",
    "tess",
    "savee",
    "emodb",
)


def _normalise_name(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"A corpus name must be a string such as 'emodb', got {name!r}.")
    key = name.strip().lower().replace("-", "_")
    if key not in CORPUS_NAMES:
        raise ValueError(f"Unknown corpus {name!r}; choose one of {list(CORPUS_NAMES)}.")
    return key


def load_corpus(name, root, **kwargs) -> Bunch:
    """Load one corpus by name: ``load_corpus("emodb", root)`` is ``load_emodb(root)``.

    Parameters
    ----------
    name : str
        One of :data:`CORPUS_NAMES`: ``"ravdess"`` (takes ``subset=``), ``"ravdess_speech"``,
        ``"ravdess_song"``, ``"crema_d"``, ``"tess"``, ``"savee"``, ``"emodb"``. Case and
        ``-`` versus ``_`` do not matter (``"CREMA-D"`` works).
    root : str or os.PathLike
        Folder of the corpus.
    **kwargs
        Passed to the loader, e.g. ``emotions=``, ``merge_calm=``, ``subset=``.

    Returns
    -------
    data : Bunch
        See the corpus loader (e.g. :func:`load_emodb`).

    Raises
    ------
    ValueError
        If ``name`` is not a known corpus.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_corpus
    >>> load_corpus("not_a_corpus", ".")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown corpus 'not_a_corpus'; choose one of ['ravdess', ...].
    >>> data = load_corpus("crema-d", "CREMA-D", emotions=["angry", "sad"])  # doctest: +SKIP
    """
    return _loaders()[_normalise_name(name)](root, **kwargs)


def load_corpora(roots, **kwargs) -> Bunch:
    """Load several corpora and concatenate them (see :func:`concat_corpora`).

    Parameters
    ----------
    roots : mapping of str to path
        Corpus name (as in :func:`load_corpus`) to its folder, e.g.
        ``{"emodb": "data/emodb", "tess": "data/tess"}``. Use ``"ravdess_speech"`` and
        ``"ravdess_song"`` to load both RAVDESS subsets.
    **kwargs
        Options applied to every loader: ``emotions=`` and ``merge_calm=``.

    Returns
    -------
    data : Bunch
        ``frame``, ``X``, ``y``, ``groups`` (speaker ids, unique across corpora),
        ``target_names``, ``skipped`` and ``DESCR``; ``frame["corpus"]`` names the corpus of
        each clip (both RAVDESS subsets are ``"ravdess"``: they share their actors).

    Raises
    ------
    ValueError
        If ``roots`` is empty, names an unknown corpus or names the same corpus twice.

    Examples
    --------
    >>> from sklearn_ser.datasets import COMMON_EMOTIONS, load_corpora
    >>> data = load_corpora(
    ...     {"ravdess_speech": "RAVDESS/speech", "ravdess_song": "RAVDESS/song",
    ...      "crema_d": "CREMA-D", "tess": "TESS", "savee": "SAVEE", "emodb": "emodb"},
    ...     emotions=COMMON_EMOTIONS, merge_calm=True,
    ... )  # doctest: +SKIP
    """
    if not isinstance(roots, Mapping):
        raise TypeError(
            "roots must map corpus names to folders, e.g. {'emodb': 'data/emodb'}; "
            f"got {type(roots).__name__}."
        )
    if not roots:
        raise ValueError("roots is empty: name at least one corpus and its folder.")
    names = [_normalise_name(name) for name in roots]
    if len(set(names)) != len(names):
        raise ValueError(f"A corpus is named twice in {list(roots)}.")
    unknown = sorted(set(kwargs) - {"emotions", "merge_calm"})
    if unknown:
        raise TypeError(
            f"load_corpora got unexpected option(s) {unknown}; only emotions= and "
            "merge_calm= apply to every corpus (use load_corpus for corpus options)."
        )
    loaders = _loaders()
    return concat_corpora(
        loaders[name](root, **kwargs) for name, root in zip(names, roots.values())
    )
