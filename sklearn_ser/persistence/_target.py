"""Where a file is written: checked by creating beside it, never through a link, never partial.

``os.access`` answers for the permission bits only: it says yes for ``/proc`` and ``/sys``
entries that refuse a new file, and it says nothing about what sits at the path. A FIFO, a
device node or a symbolic link there would be replaced by (or, worse, written through to) a
regular file. Every writer of the library therefore goes through :func:`check_target` (what
sits at the path), :func:`probe_folder` (a file can really be created there) and
:func:`atomic_write` (a temporary file beside the target, renamed over it when complete).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

__all__ = ["OutputPathError", "atomic_write", "check_target", "probe_folder"]


class OutputPathError(OSError):
    """A path the library refuses to write: a link, a FIFO, a device or another non-file.

    An :class:`OSError`, so the command line reports it as one line naming the path.
    """


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a folder"))


def _kind(mode) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_target(path, *, what="write", folder=False) -> Path:
    """``path`` if it is absent or a regular file (a folder with ``folder=True``), else raise.

    Parameters
    ----------
    path : str or path-like
        The file (or folder) about to be written.
    what : str, default="write"
        The action, for the message (``"save to"``, ``"write the report to"``...).
    folder : bool, default=False
        Whether ``path`` is a folder to write into rather than a file.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    OutputPathError
        If ``path`` is a symbolic link (it is never followed: the link may point anywhere,
        including a file the user did not mean to replace), or exists and is not a regular
        file (a folder for ``folder=True``).
    """
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return path
    except NotADirectoryError:
        raise OutputPathError(f"Cannot {what} '{path}': a part of the path is a file, not a "
                              "folder.") from None
    if stat.S_ISLNK(mode):
        raise OutputPathError(
            f"Cannot {what} '{path}': it is a symbolic link (to '{os.readlink(path)}'), which "
            "is never followed when writing. Give the real path, or remove the link.")
    wanted, name = (stat.S_ISDIR, "folder") if folder else (stat.S_ISREG, "regular file")
    if not wanted(mode):
        raise OutputPathError(f"Cannot {what} '{path}': it exists and is {_kind(mode)}, not a "
                              f"{name}; nothing is written to it.")
    return path


def _temporary(path: Path) -> Path:
    # a random part, so two writers of one target (two processes, two threads) never share it
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _os_error(err: OSError, path, what: str) -> OSError:
    reason = ("the disk is full" if err.errno == errno.ENOSPC
              else err.strerror or str(err))
    return OSError(err.errno, f"Cannot {what} '{path}': {reason}")


def _create_exclusive(tmp: Path) -> int:
    # O_EXCL|O_NOFOLLOW: never open something that appeared at the temporary name meanwhile
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.open(tmp, flags, 0o666)  # the umask decides the final permissions, as for open


def probe_folder(folder, *, target=None, what="write") -> Path:
    """Create and remove a temporary file in ``folder`` (or its nearest existing ancestor).

    This is what an ``--out`` check does before hours of work: it proves that a file can be
    created there, which ``os.access`` cannot (``/proc``, read-only mounts, full quotas).

    Parameters
    ----------
    folder : str or path-like
        The folder the output goes to; missing folders are not created, the nearest existing
        ancestor is probed instead (the folders would be created there).
    target : str or path-like, optional
        The output, named in messages (default: ``folder``).
    what : str, default="write"
        The action, for the message.

    Returns
    -------
    folder : pathlib.Path
        The folder that was probed.

    Raises
    ------
    OSError
        Naming ``target`` and the reason, if no file can be created.
    """
    folder = Path(folder)
    target = folder if target is None else target
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputPathError(f"Cannot {what} '{target}': '{existing}' is a file, not a "
                              "folder.")
    tmp = _temporary(existing / "probe")
    try:
        os.close(_create_exclusive(tmp))
    except OSError as err:
        raise _os_error(err, target, what) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return existing


def atomic_write(path, write, *, what="write"):
    """Write ``path`` through a temporary file beside it, renamed over it once complete.

    Parameters
    ----------
    path : str or path-like
        The target, checked by :func:`check_target`; its folder must exist.
    write : callable
        Called with the temporary file opened for binary writing.
    what : str, default="write"
        The action, for messages.

    Raises
    ------
    OutputPathError
        As :func:`check_target`.
    OSError
        Naming ``path`` and the reason (``the disk is full``...), if writing fails; the
        temporary file is removed and an existing target is left as it was.
    """
    path = check_target(path, what=what)
    tmp = _temporary(path)
    try:
        try:
            with os.fdopen(_create_exclusive(tmp), "wb") as file:
                write(file)
                file.flush()
                os.fsync(file.fileno())
            check_target(path, what=what)  # something may have appeared while writing
            os.replace(tmp, path)
        except OutputPathError:
            raise
        except OSError as err:
            raise _os_error(err, path, what) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
