"""Safe extraction of a downloaded corpus archive: nothing escapes, nothing explodes.

Every member is checked *before* anything is written, so a malicious archive extracts nothing
at all: absolute paths, ``..`` components and symbolic links are refused, and so is an archive
whose members add up to more than a bound or compress implausibly well (a zip bomb: a 315 KB
zip can announce a 300 MB member). While extracting, no member may produce more bytes than its
header announced (its CRC-32 fails otherwise), so the bound holds even against a header that
lies.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["DownloadError", "UnsafeArchiveError", "safe_extract_zip"]

#: Default bound on the total uncompressed size of an archive (2 GiB; the registry sets one
#: per archive).
MAX_SIZE = 2 * 1024**3
#: Bound on the compression ratio of a member of at least ``_RATIO_FLOOR`` bytes. Speech
#: audio deflates by 1.1-2x and even long silences stay far below this; zip bombs reach 1000x.
MAX_RATIO = 100
# Tiny members (empty files, short texts) compress arbitrarily well without being a risk.
_RATIO_FLOOR = 1024**2
_CHUNK = 1024**2
_DRIVE = re.compile(r"^[A-Za-z]:")


class DownloadError(OSError):
    """A corpus download failed, did not match its checksum or held unexpected content."""


class UnsafeArchiveError(DownloadError):
    """An archive member would be written outside the target folder, is a link, or the
    archive would expand beyond its size or compression-ratio bound."""


def safe_extract_zip(
    archive: Path | str,
    destination: Path | str,
    *,
    max_size: int = MAX_SIZE,
    max_ratio: float = MAX_RATIO,
    select: Callable[[str], bool] | None = None,
) -> list[Path]:
    """Extract a zip archive into ``destination``, refusing members that would escape it.

    Every member is checked before anything is written, so a malicious archive extracts
    nothing at all. Refused: absolute paths (``/x``, ``\\x``, ``C:x``), any ``..`` component,
    symbolic links, any path that resolves outside ``destination``, a total uncompressed size
    above ``max_size`` and a member (of 1 MiB or more) that compresses better than
    ``max_ratio``. Each member's CRC-32 is verified while extracting
    (:class:`zipfile.BadZipFile` on corruption).

    Parameters
    ----------
    archive : str or os.PathLike
        The zip file.
    destination : str or os.PathLike
        Existing folder to extract into.
    max_size : int, default=2 GiB
        Bound on the sum of the members' uncompressed sizes, in bytes.
    max_ratio : float, default=100
        Bound on a member's uncompressed size over its compressed size.
    select : callable, default=None
        ``select(member_name)`` says whether a (safe) member is extracted; None extracts all.
        Members left out are never written, so they do not count towards ``max_size``.

    Returns
    -------
    paths : list of Path
        The extracted files.

    Raises
    ------
    UnsafeArchiveError
        If a member would be written outside ``destination`` or is a link, or the archive
        exceeds ``max_size`` or ``max_ratio``.
    """
    archive = Path(archive)
    destination = Path(destination).resolve()
    with zipfile.ZipFile(archive) as zf:
        members = [info for info in zf.infolist() if not info.is_dir()]
        for info in members:
            _check_member(info, destination, archive, max_ratio)
        if select is not None:
            members = [info for info in members if select(info.filename)]
        total = sum(info.file_size for info in members)
        if total > max_size:
            raise UnsafeArchiveError(
                f"Refusing to extract '{archive}': its members would take {total:,} bytes, "
                f"more than the bound of {max_size:,} bytes. Nothing was extracted."
            )
        return [_copy(zf, info, destination, archive) for info in members]


def _check_member(info: zipfile.ZipInfo, destination: Path, archive: Path, max_ratio) -> None:
    name = info.filename
    reason = None
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        reason = "absolute path"
    elif ".." in parts:
        reason = "'..' path component"
    elif stat.S_ISLNK(info.external_attr >> 16):
        reason = "symbolic link"
    elif not (destination / name).resolve().is_relative_to(destination):
        reason = "path outside the target folder"
    elif info.file_size >= _RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        reason = (
            f"expands {info.compress_size:,} bytes to {info.file_size:,} (ratio {ratio:,.0f}, "
            f"bound {max_ratio:g}): a zip bomb, not audio"
        )
    if reason is not None:
        raise UnsafeArchiveError(
            f"Refusing to extract '{archive}': member {name!r} is unsafe ({reason}). "
            "Nothing was extracted."
        )


def _copy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path, archive: Path) -> Path:
    # Streamed in chunks: memory stays bounded whatever the member's size. zipfile stops a
    # member at the size its header announces and then checks the CRC-32, so a header that
    # understates the size ends in BadZipFile instead of an unbounded expansion.
    target = destination / info.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    with zf.open(info) as source, open(target, "wb") as sink:
        while chunk := source.read(_CHUNK):
            sink.write(chunk)
    return target
