"""Which failures the command line reports on one line, and which keep their traceback.

A user can cause a bad option value, a missing or unreadable file, a corrupt recording, a
failed download or an untrusted model file; each of those is raised where the input is
judged, as one of :func:`user_errors`, with a message naming the option or file and the
reason. Anything else (a plain ValueError or TypeError from deep inside) is a bug in
sklearn-ser, and hiding its traceback behind a one-liner would hide the bug.
"""

from __future__ import annotations

__all__ = ["CommandError", "one_line", "user_errors"]


class CommandError(Exception):
    """A user error found by the command line; the message names the option and the reason."""


def user_errors() -> tuple[type[BaseException], ...]:
    """The exception types ``main`` reports as a single ``error:`` line."""
    from ..frontend.decode import AudioInputError
    from ..persistence import ModelFileError

    # OSError: missing, unreadable or unwritable files and failed downloads (DownloadError)
    return (CommandError, AudioInputError, ModelFileError, OSError)


def one_line(exc) -> str:
    """The message of ``exc`` on one line (or its type's name when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__
