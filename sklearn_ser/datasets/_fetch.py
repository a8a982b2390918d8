"""Download helpers: data home, verified download, safe and atomic publication of a corpus.

How a corpus gets onto disk, and why it cannot end up half there:

1. The archive named by the corpus' registry entry is downloaded by :mod:`pooch` into
   ``<data_home>/_archives/``. Pooch streams into a temporary file and moves it into place only
   once the transfer completed and the pinned SHA-256 matched, so an interrupted transfer or a
   checksum mismatch leaves nothing behind.
2. Every archive member is checked *before* anything is written (:mod:`._extract`): paths that
   escape the folder, links, and archives beyond their size or compression-ratio bound are
   refused (:class:`UnsafeArchiveError`). Only audio files and the archive's own label files
   are extracted.
3. The archive is extracted into a hidden temporary folder next to the target
   (``<data_home>/.<folder>.partial-XXXX``), the extracted clips are counted with the
   corpus loader, files that are not clips of the corpus are removed (and listed in the
   completion marker and a warning), the marker is written, and only then is the folder renamed
   to ``<data_home>/<folder>`` in a single atomic step.

A target folder is therefore either complete (it holds the marker) or absent. Re-running after
any failure starts cleanly: leftovers of a killed process are removed first, and a verified
archive already in ``_archives/`` is reused instead of downloaded again.

Several processes may fetch into one data home at once (the jobs of a cluster, two
notebooks): a lock file per corpus (``<data_home>/.<folder>.lock``, :mod:`filelock`) makes
one of them download while the others wait and then use its result, so no process removes
another's partial download. A download stops at the archive's expected size plus a margin,
and plain http is used only when the caller passes ``allow_http=True``.
"""

from __future__ import annotations

import errno
import fnmatch
import json
import os
import secrets
import shutil
import warnings
import zipfile
from pathlib import Path

import pooch
from filelock import FileLock

from ._base import AUDIO_EXTENSIONS, CorpusFileWarning
from ._download import CappedDownloader
from ._extract import DownloadError, UnsafeArchiveError, safe_extract_zip
from ._registry import Corpus, RemoteArchive, download_limit, get_corpus

__all__ = [
    "DATA_HOME_ENV",
    "DownloadError",
    "RemoteArchive",
    "UnsafeArchiveError",
    "fetch_corpus",
    "get_data_home",
    "safe_extract_zip",
]

#: Environment variable naming the default download folder (see :func:`get_data_home`).
DATA_HOME_ENV = "SKLEARN_SER_DATA"

_MARKER = ".sklearn_ser_complete.json"
_ARCHIVE_DIR = "_archives"
_MAX_LISTED = 20


def get_data_home(data_home=None) -> str:
    """Return the folder where corpora are downloaded, creating it if needed.

    The folder is, in order of precedence: the ``data_home`` argument, the environment
    variable ``SKLEARN_SER_DATA``, or ``~/sklearn_ser_data``. A leading ``~`` is expanded.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Folder to use; None falls back to the environment variable, then the default.

    Returns
    -------
    data_home : str
        Absolute path of the folder.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_ser.datasets import get_data_home
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     Path(get_data_home(Path(tmp) / "corpora")).name
    'corpora'
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or os.path.join("~", "sklearn_ser_data")
    try:
        path = Path(os.fspath(data_home)).expanduser().absolute()
    except TypeError:
        raise TypeError(
            f"data_home must be a str or os.PathLike, got {type(data_home).__name__}."
        ) from None
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"data_home '{path}' exists and is not a folder.")
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def fetch_corpus(
    name: str,
    data_home=None,
    download_if_missing=True,
    emotions=None,
    merge_calm=False,
    *,
    allow_http=False,
    **load_options,
):
    """The one implementation behind every ``fetch_*``: folder of corpus ``name``, then load it.

    A corpus with a pinned archive in the registry is downloaded once (see the module
    docstring); one without (CREMA-D, SAVEE) is expected in ``<data_home>/<name>`` and its
    absence raises :class:`FileNotFoundError` with the entry's ``how_to_get`` instructions.
    ``emotions``, ``merge_calm`` and ``load_options`` go to the loader, after the entry's own
    options (``subset=``). ``allow_http=True`` lets a corpus whose host offers no TLS (EmoDB)
    be downloaded from its plain-http address when https cannot be reached; it is never
    done otherwise.
    """
    if not isinstance(download_if_missing, bool):
        raise TypeError(f"download_if_missing must be True or False, got {download_if_missing!r}.")
    if not isinstance(allow_http, bool):
        raise TypeError(f"allow_http must be True or False, got {allow_http!r}.")
    info = get_corpus(name)
    home = Path(get_data_home(data_home))
    if info.archive is None:
        folder = home / info.name
        if not (folder.is_dir() and any(folder.iterdir())):
            raise FileNotFoundError(info.how_to_get.format(folder=folder))
    else:
        folder = _fetch_archive(info, home, download_if_missing, allow_http)
    return info.load(folder, emotions=emotions, merge_calm=merge_calm, **load_options)


def _fetch_archive(info: Corpus, home: Path, download_if_missing: bool,
                   allow_http: bool = False) -> Path:
    """Return the folder of the complete corpus, downloading and publishing it if needed."""
    target = home / info.archive.folder
    if (target / _MARKER).is_file():
        return target  # complete: no lock needed to read it
    # One process at a time per corpus and data home; the others wait, then find the marker.
    with FileLock(str(home / f".{info.archive.folder}.lock")):
        return _fetch_locked(info, home, target, download_if_missing, allow_http)


def _fetch_locked(info: Corpus, home: Path, target: Path, download_if_missing: bool,
                  allow_http: bool) -> Path:
    archive = info.archive
    if (target / _MARKER).is_file():
        return target  # another process published it while this one waited
    if target.exists():
        raise FileExistsError(
            f"'{target}' exists but is not a complete {info.title} download by sklearn-ser "
            f"(it has no {_MARKER} marker). If it holds a complete copy, load it directly "
            f"with the loader (e.g. load_corpus({info.name!r}, {str(target)!r})); otherwise "
            "delete it and fetch again."
        )
    if not download_if_missing:
        raise FileNotFoundError(
            f"{info.title} is not in '{home}' and download_if_missing=False. Call again with "
            f"download_if_missing=True to download it from {archive.url}."
        )
    _remove_leftovers(home, archive)
    archive_path = _download(archive, home / _ARCHIVE_DIR, info.title, allow_http)
    _extract_and_publish(info, archive_path, home, target)
    archive_path.unlink(missing_ok=True)
    return target


def _remove_leftovers(home: Path, archive: RemoteArchive) -> None:
    # Left behind only if a previous run was killed (normal failures clean up after
    # themselves): partial extractions of this corpus and pooch's temporary download files.
    for partial in home.glob(f".{archive.folder}.partial-*"):
        shutil.rmtree(partial, ignore_errors=True)
    archives = home / _ARCHIVE_DIR
    if archives.is_dir():
        for tmp in archives.glob("tmp*"):
            if tmp.is_file():
                tmp.unlink(missing_ok=True)


def _download(archive: RemoteArchive, folder: Path, corpus: str, allow_http: bool) -> Path:
    import requests  # pooch's own HTTP dependency; imported lazily like pooch does

    try:
        return _retrieve(archive.url, archive, folder, corpus, allow_http)
    except (requests.ConnectionError, requests.HTTPError) as exc:
        # Refused, TLS failure or an error page before any byte of the archive: only then,
        # and only if the caller allowed it, is the plain-http address tried (a transfer cut
        # short is retried by calling again, never downgraded).
        if archive.fallback_url is None:
            raise _transfer_error(archive.url, corpus, exc) from exc
        if not allow_http:
            raise DownloadError(
                f"Downloading the {corpus} archive from {archive.url} failed: {exc}. Its "
                f"authors also publish it at {archive.fallback_url}, without TLS; pass "
                "allow_http=True to download it from there (it is then checked by its "
                "CRC-32 and its exact clip counts only)."
            ) from exc
        warnings.warn(
            f"{corpus}: {archive.url} could not be reached ({exc}); downloading from "
            f"{archive.fallback_url} instead. Without TLS, the archive is checked by "
            "its per-member CRC-32 and the exact clip, speaker and emotion counts.",
            UserWarning,
            stacklevel=5,
        )
    try:
        return _retrieve(archive.fallback_url, archive, folder, corpus, allow_http)
    except requests.RequestException as exc:
        raise _transfer_error(archive.fallback_url, corpus, exc) from exc


def _retrieve(url: str, archive: RemoteArchive, folder: Path, corpus: str,
              allow_http: bool = False) -> Path:
    import requests

    try:
        path = pooch.retrieve(
            url,
            known_hash=archive.known_hash,
            fname=archive.filename,
            path=folder,
            # capped at the expected size; its bar shows only in a terminal
            downloader=CappedDownloader(download_limit(archive), corpus, allow_http),
        )
    except ValueError as exc:  # pooch: checksum mismatch
        raise DownloadError(
            f"The {corpus} archive downloaded from {url} does not match its pinned "
            f"checksum {archive.known_hash} ({exc}). The download was discarded; call again "
            "to retry. If it keeps failing, the file on the server changed: please report it."
        ) from exc
    except (requests.ConnectionError, requests.HTTPError):
        raise  # the caller may try the fallback address
    except requests.RequestException as exc:  # timed out, cut short
        raise _transfer_error(url, corpus, exc) from exc
    return Path(path)


def _transfer_error(url: str, corpus: str, exc: Exception) -> DownloadError:
    return DownloadError(
        f"Downloading the {corpus} archive from {url} failed: {exc}. Nothing was kept; call "
        "again to restart the download."
    )


def _expected_member(archive: RemoteArchive):
    """``select`` for extraction: audio files and the archive's own label files only."""
    patterns = [p.lower() for p in archive.label_files]

    def select(name: str) -> bool:
        lower = name.lower()
        return Path(lower).suffix in AUDIO_EXTENSIONS or any(
            fnmatch.fnmatchcase(lower, p) for p in patterns
        )

    return select


def _extract_and_publish(info: Corpus, archive_path: Path, home: Path, target: Path) -> None:
    archive = info.archive
    # mkdir, not mkdtemp: the published folder gets the umask's permissions (0o755 usually),
    # so a shared data home stays readable to its other users; mkdtemp's are 0o700
    partial = (home / f".{archive.folder}.partial-{secrets.token_hex(6)}").resolve()
    partial.mkdir()
    try:
        try:
            with zipfile.ZipFile(archive_path) as zf:
                names = [i.filename for i in zf.infolist() if not i.is_dir()]
            select = _expected_member(archive)
            written = safe_extract_zip(
                archive_path, partial, max_size=archive.max_size, select=select
            )
            clips = _check_content(info, partial)
        except (DownloadError, zipfile.BadZipFile) as exc:
            # The archive itself is bad: drop it so that the next call downloads it again.
            archive_path.unlink(missing_ok=True)
            if isinstance(exc, zipfile.BadZipFile):
                raise DownloadError(
                    f"The {info.title} archive from {archive.url} is not a valid zip file "
                    f"({exc}); it was deleted, call again to download it again."
                ) from exc
            raise
        left_out = sorted(n for n in names if not select(n))
        for path in written:  # audio that is not a clip of the corpus is not published
            if Path(path).suffix.lower() in AUDIO_EXTENSIONS and os.fspath(path) not in clips:
                left_out.append(path.relative_to(partial).as_posix())
                path.unlink()
        marker = {
            "corpus": info.title,
            "url": archive.url,
            "known_hash": archive.known_hash,
            "clips": len(clips),
            "left_out": len(left_out),
            "left_out_examples": left_out[:_MAX_LISTED],
        }
        (partial / _MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        _publish(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if left_out:
        warnings.warn(
            f"{info.title}: {len(left_out)} archive member(s) that are neither clips of the "
            f"corpus nor its label files were not published in '{target}', e.g. "
            f"{left_out[:3]}; all are listed in its {_MARKER}.",
            CorpusFileWarning,
            stacklevel=4,
        )


def _publish(partial: Path, target: Path) -> None:
    """Rename ``partial`` to ``target``: atomic, the folder appears complete or not at all."""
    try:
        os.rename(partial, target)
    except OSError as exc:
        # Only another fetcher that ignored the lock (an older sklearn-ser) can get here
        # first; its result is as good as ours once it holds the marker.
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST) and (target / _MARKER).is_file():
            shutil.rmtree(partial, ignore_errors=True)
            return
        raise


def _check_content(info: Corpus, folder: Path) -> set[str]:
    """The paths of the clips the loader finds, if their number is what the archive holds."""
    archive = info.archive
    with warnings.catch_warnings():
        # The same warnings are shown when the caller loads the published folder.
        warnings.simplefilter("ignore")
        try:
            data = info.load(folder)
        except FileNotFoundError as exc:
            raise DownloadError(
                f"The {info.title} archive from {archive.url} holds no {info.title} clips; it "
                f"was deleted. The server may have changed its layout. ({exc})"
            ) from exc
    frame = data["frame"]
    n_clips, n_speakers = len(frame), frame["speaker"].nunique()
    problems = []
    if info.clips is not None and n_clips != info.clips:
        problems.append(f"{n_clips} clips instead of {info.clips}")
    if info.speakers is not None and n_speakers != info.speakers:
        problems.append(f"{n_speakers} speakers instead of {info.speakers}")
    counts = frame["emotion"].value_counts().to_dict()
    if info.emotion_counts is not None and not problems and counts != info.emotion_counts:
        problems.append(f"clips per emotion {counts} instead of {dict(info.emotion_counts)}")
    if problems:
        raise DownloadError(
            f"The {info.title} archive from {archive.url} is incomplete or changed: "
            f"{' and '.join(problems)}. It was deleted; call again to download it again."
        )
    return set(frame["path"])
