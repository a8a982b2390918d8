"""Argument types, name-list checks and output-path checks of the command line.

Everything here judges what the user typed, before any data is loaded or any work starts,
and reports it naming the option.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from ..utils._names import check_names
from .errors import CommandError

__all__ = ["check_output_dir", "folds", "fraction", "n_jobs",
           "names", "positive_float", "positive_int"]


def _converter(parse, accept, expected):
    """An argparse ``type``: ``parse`` the text, then ``accept`` the value or say why not."""

    def convert(text):
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            # argparse prefixes "argument --option: "
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return convert


def _number_of_folds(text):
    return "corpus" if text.strip().lower() in ("corpus", "loco") else int(text)


positive_int = _converter(int, lambda v: v >= 1, "a positive integer")
positive_float = _converter(float, lambda v: math.isfinite(v) and v > 0, "a positive number")
fraction = _converter(float, lambda v: 0 < v < 1, "a number in (0, 1)")
# joblib's convention: -1 all cores, -2 all but one; 0 means nothing and joblib rejects it
n_jobs = _converter(int, lambda v: v != 0, "a non-zero integer (-1: all cores)")
folds = _converter(_number_of_folds, lambda v: v == "corpus" or v >= 2,
                   "a number of folds (>= 2) or 'corpus'")


def names(values, known, *, option, what, alternatives=()):
    """``values`` as a list, or a :class:`CommandError` naming ``option`` and the reason."""
    return check_names(values, known, what=what, param=option, error=CommandError,
                       alternatives=alternatives)


def _check_can_create(folder: Path, option: str, target: Path):
    """``folder`` exists as a writable folder, or can be created in one."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise CommandError(f"{option}: '{target}' cannot be created: '{existing}' is a file, "
                           "not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CommandError(f"{option}: '{target}' cannot be written: no permission to write "
                           f"in '{existing}'.")


def check_output_dir(path, option) -> Path:
    """A folder the command will write into: a folder if it exists, else creatable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CommandError(f"{option}: '{path}' is a file; give a folder (it is created if "
                           "needed).")
    _check_can_create(path, option, path)
    return path
