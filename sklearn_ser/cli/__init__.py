"""The ``sklearn-ser`` command line: compare, train, predict, evaluate.

Run ``sklearn-ser --help`` (or ``python -m sklearn_ser --help``). A user error (a bad
argument, a missing folder or file, an unknown corpus or architecture, a corrupt recording,
an untrusted model file) is reported as a single ``sklearn-ser: error: ...`` line naming
the option or file, with exit status 2 (usage) or 1 (everything else); set
``SKLEARN_SER_DEBUG=1`` to see its traceback. Anything else is a bug and keeps its traceback.

TensorFlow is imported only by the commands that need it, so ``--help`` and argument errors
are immediate. Its C++ log level is set (to errors only, unless the user set
``TF_CPP_MIN_LOG_LEVEL``) when this package is imported, before TensorFlow can be, and the
commands that train import it without its start-up noise and print one line naming the
device (:func:`~sklearn_ser.cli.output.announce_device`).

Modules, in the order a command runs: :mod:`~sklearn_ser.cli.parser` (commands and
options), :mod:`~sklearn_ser.cli.options` (argument types, name lists, output paths),
:mod:`~sklearn_ser.cli.data` (the clips), :mod:`~sklearn_ser.cli.estimators`,
:mod:`~sklearn_ser.cli.model_file`, one module per command
(:mod:`~sklearn_ser.cli.compare`, :mod:`~sklearn_ser.cli.train`,
:mod:`~sklearn_ser.cli.predict`, :mod:`~sklearn_ser.cli.evaluate`) and
:mod:`~sklearn_ser.cli.output` (what is printed).
"""

from __future__ import annotations

import os

#: Whether the user chose TensorFlow's C++ log level; if so, nothing of it is hidden.
TF_LOG_LEVEL_FROM_USER = "TF_CPP_MIN_LOG_LEVEL" in os.environ
# here, before any import that could load TensorFlow: it reads the level once, when it loads;
# 3 also hides the "failed call to cuInit" error line of a machine without a GPU
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import sys  # noqa: E402
import warnings  # noqa: E402

from .errors import CommandError, one_line, user_errors  # noqa: E402
from .parser import EXIT_USAGE, PROG, build_parser  # noqa: E402

__all__ = ["CommandError", "main"]

_EXIT_FAILURE = 1


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"{PROG}: warning: {one_line(message)}", file=sys.stderr)


def _command(name):
    from . import compare, evaluate, predict, train

    return {"compare": compare.run, "train": train.run, "predict": predict.run,
            "evaluate": evaluate.run}[name]


def main(argv=None) -> int:
    """Run the ``sklearn-ser`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 1 when the command failed on a user error (the reason is printed on
        one line), 2 for invalid arguments.

    Raises
    ------
    Exception
        Anything that is not a user error: a bug, shown with its traceback.

    Examples
    --------
    >>> from sklearn_ser.cli import main
    >>> main(["compare", "--cv", "1"])
    2
    """
    from .output import Console

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    args.argv = argv
    console = Console(getattr(args, "quiet", False))
    debug = bool(os.environ.get("SKLEARN_SER_DEBUG"))
    with warnings.catch_warnings():
        if not debug:
            warnings.showwarning = _show_warning
        try:
            return _command(args.command)(args, console)
        except user_errors() as exc:
            if debug:
                raise
            print(f"{PROG} {args.command}: error: {one_line(exc)}", file=sys.stderr)
            return _EXIT_FAILURE
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130
