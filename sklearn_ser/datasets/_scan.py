"""First step of every loader: find the audio files under a root and parse their names.

A loader only *indexes* files: it walks a folder, parses each file name with the corpus' naming
convention and records one row per clip. No audio is decoded here, so loading a corpus of
thousands of clips takes well under a second. A clip is recognised by its name whatever its
audio format (``03a01Fa.wav``, ``03a01Fa.flac``, ``1001_DFA_ANG_XX.opus``): corpora circulate
transcoded, and the name carries the labels.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ._base import AUDIO_EXTENSIONS, CorpusFileWarning, readable_extensions

# Files and folders that archive tools and operating systems add next to the audio:
# macOS resource forks (``__MACOSX/``, ``._x.wav``) and hidden files such as our own
# download marker. They are metadata, never clips.
_IGNORED_DIRS = frozenset({"__MACOSX"})

_MAX_EXAMPLES = 5
_LFS_POINTER = b"version https://git-lfs"


class _Skip(Exception):
    """Raised by a name parser: the file is not a clip of this corpus (message says why)."""

    def __init__(self, reason: str, detail: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Naming:
    """A corpus' file naming: the parser of a name, an example name, the columns it yields."""

    parse: Callable[[Path], dict]
    example: str
    columns: tuple[str, ...]


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


def _odd_entries(root: Path) -> list[tuple[Path, str, str]]:
    """``(path, reason, detail)`` of entries named like audio files that are not files."""
    found = []
    seen_dirs: set[str] = set()
    # folders that cannot be listed are reported by iter_files, once
    for dirpath, dirnames, filenames in os.walk(root, onerror=lambda error: None,
                                                followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen_dirs:
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and d not in _IGNORED_DIRS
        )
        for name in dirnames:
            if Path(name).suffix.lower() in AUDIO_EXTENSIONS:
                found.append((Path(dirpath, name), "a folder, not an audio file", ""))
        for name in filenames:
            path = Path(dirpath, name)
            if name.startswith(".") or path.suffix.lower() not in AUDIO_EXTENSIONS:
                continue
            if path.is_symlink() and not path.exists():
                found.append((path, "a broken symbolic link", f"to '{os.readlink(path)}'"))
            elif not path.is_file():
                # a FIFO or a device: opening it could block forever, and it holds no clip
                found.append((path, "not a regular file", ""))
    return sorted(found, key=lambda entry: entry[0].as_posix())


def not_audio_files(root) -> list[tuple[Path, str]]:
    """Entries below ``root`` named like audio files that cannot be read as files.

    A folder named ``x.wav``, a broken symbolic link or a FIFO would otherwise be left out
    of a listing without a word; callers report them.

    Parameters
    ----------
    root : str or path-like
        The folder walked (hidden entries and ``__MACOSX`` are left out, as by the loaders).

    Returns
    -------
    entries : list of (Path, str)
        Each entry and why it is not an audio file, sorted by path.
    """
    return [(path, reason + (f" ({detail})" if detail else ""))
            for path, reason, detail in _odd_entries(Path(root))]


def scan(root: Path, parse: Callable[[Path], dict]) -> _Index:
    """Parse every decodable audio file below ``root`` with ``parse``; report the others.

    ``parse(path)`` returns the clip's fields (at least ``key``, ``emotion``, ``label``,
    ``speaker``, ``gender``) or raises :class:`_Skip` with the reason. It sees the file name
    only, so a clip has the same key, labels and speaker in every format.
    """
    index = _Index()
    unreadable: list[OSError] = []
    files = iter_files(root, unreadable)
    for error in unreadable:
        index.skip(error.filename or root, "folder could not be read", error.strerror or str(error))
    odd = set()
    for path, reason, detail in _odd_entries(root):
        index.skip(path, reason, detail)
        odd.add(path)
    readable = readable_extensions()
    for path in files:
        if path in odd:
            continue
        suffix = path.suffix.lower()
        if suffix not in AUDIO_EXTENSIONS:
            continue  # text, label, csv, video files: not audio, nothing to report
        if suffix not in readable:
            index.skip(
                path,
                f"audio format {suffix} is not decodable by the installed soundfile "
                f"(readable: {' '.join(sorted(readable)) or 'none'}); convert it, e.g. to FLAC",
            )
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


# Which copy of a clip held in several formats is kept: lossless first, lossy codecs last.
_FORMAT_RANK = {
    ".wav": 0,
    ".flac": 0,
    ".aif": 0,
    ".aiff": 0,
    ".au": 0,
    ".ogg": 1,
    ".oga": 1,
    ".opus": 1,
    ".mp3": 2,
}


def drop_duplicates(index: _Index) -> None:
    """Keep one copy of clips that occur more than once, and report the others.

    Common mirrors ship the same clip twice (e.g. the Kaggle RAVDESS copy has every actor
    folder at the top level and again inside ``audio_speech_actors_01-24/``), and a folder
    may hold a clip in two formats (``03a01Fa.wav`` and ``03a01Fa.mp3``); counting both
    would double the corpus and put copies of one clip on both sides of a split. The copy
    kept is the least lossy format, then the first by sorted path.
    """
    best: dict[str, str] = {}
    for record in index.records:
        path, key = record["path"], record["key"]
        rank = (_FORMAT_RANK.get(Path(path).suffix.lower(), 1), Path(path).as_posix())
        if key not in best or rank < best[key][0]:
            best[key] = (rank, path)
    kept = []
    for record in index.records:
        first = best[record["key"]][1]
        if record["path"] == first:
            kept.append(record)
        else:
            index.skip(record["path"], "duplicate clip", f"same clip as '{first}'")
    index.records = kept


def warn_skipped(index: _Index, corpus: str, root: Path) -> None:
    """Emit one :class:`CorpusFileWarning` per reason, with the count and a few examples."""
    by_reason: dict[str, list[tuple[str, str]]] = {}
    for path, reason, detail in index.skipped:
        by_reason.setdefault(reason, []).append((path, detail))
    for reason, items in by_reason.items():
        examples = "; ".join(
            relative(path, root) + (f" ({detail})" if detail else "")
            for path, detail in items[:_MAX_EXAMPLES]
        )
        more = f" and {len(items) - _MAX_EXAMPLES} more" if len(items) > _MAX_EXAMPLES else ""
        warnings.warn(
            f"{corpus}: skipped {len(items)} file(s) under '{root}': {reason}. "
            f"Examples: {examples}{more}. The full list is in the returned Bunch's "
            "'skipped' table.",
            CorpusFileWarning,
            stacklevel=5,
        )


def relative(path: str, root: Path) -> str:
    """``path`` relative to ``root`` for messages (unchanged when outside it)."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


def name_fields(pattern: re.Pattern, stem: str, expected: str) -> tuple[str, ...]:
    """The fields of a file name ``stem`` matched by ``pattern``, or :class:`_Skip`.

    ``expected`` names the naming the file does not follow, e.g. ``"the EmoDB pattern
    03a01Fa.wav"``.
    """
    match = pattern.match(stem)
    if match is None:
        raise _Skip(f"name does not follow {expected}")
    return match.groups()


def check_fields(reason: str, *checks: tuple[bool, str]) -> None:
    """Raise :class:`_Skip` with ``reason`` and every failed check's message, if any failed.

    ``checks`` are ``(field_is_valid, message)`` pairs, so that one file reports all its bad
    fields at once ("actor 1099 is not 1001-1091; level XY is not LO, MD, HI or XX").
    """
    problems = [message for valid, message in checks if not valid]
    if problems:
        raise _Skip(reason, "; ".join(problems))
