"""What the commands print: status lines on stderr, predictions as a table, CSV or JSON.

A recording that could not be analysed is a :class:`Failure`; it gets a row of its own in
every format, so a reader of the output sees which files are missing and why.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..persistence._target import check_target, probe_folder
from ..report.files import safe_name
from .errors import CommandError
from .parser import PROG

__all__ = ["Console", "Failure", "announce_device", "check_output_folder",
           "check_output_target", "plot_paths", "predictions_csv", "predictions_json",
           "predictions_table"]

# What TensorFlow prints on stderr while it loads on a machine without a GPU, before its own
# log level applies (absl writes these before it is initialised): noise to a user, and one of
# them is an "E0000 ... failed call to cuInit" error line that means nothing is wrong.
_TF_NOISE = ("absl::InitializeLog()", "cudart_stub.cc", "cuda_platform.cc",
             "cuda_executor.cc", "failed call to cuInit", "Unable to register cu",
             "computation_placer.cc", "TF-TRT Warning", "oneDNN custom operations",
             "This TensorFlow binary is optimized", "rebuild TensorFlow with")


class Console:
    """Status lines on stderr (silenced by --quiet); results go to stdout."""

    def __init__(self, quiet):
        self.quiet = quiet

    def info(self, message):
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    @staticmethod
    def warn(message):
        print(f"{PROG}: warning: {message}", file=sys.stderr, flush=True)


@dataclass
class Failure:
    """A recording that could not be analysed, and why."""

    source: str
    reason: str


def _record(result, classes):
    if isinstance(result, Failure):
        return {"path": result.source, "error": result.reason}
    return {
        "path": result.source,
        "duration": round(result.duration, 3),
        "n_windows": len(result.timeline),
        "label": result.label,
        "probabilities": {c: float(result.distribution[c]) for c in classes},
        "windows": [
            {"start": float(r["start"]), "end": float(r["end"]), "label": r["label"],
             "probabilities": {c: float(r[c]) for c in classes}}
            for _, r in result.timeline.iterrows()
        ],
    }


def predictions_json(results, classes) -> str:
    """One object per recording with its windows; a failed file has ``path`` and ``error``."""
    return json.dumps([_record(r, classes) for r in results], indent=2)


def predictions_table(results, classes) -> str:
    """One row per recording (a failed one says ``error`` and why), then long timelines."""
    rows = []
    for r in results:
        if isinstance(r, Failure):
            rows.append({"recording": r.source, "duration (s)": "-", "windows": "-",
                         "label": "error", **{c: "-" for c in classes}, "error": r.reason})
        else:
            rows.append({"recording": r.source, "duration (s)": f"{r.duration:.1f}",
                         "windows": len(r.timeline), "label": r.label,
                         **{c: f"{r.distribution[c]:.3f}" for c in classes}})
    table = pd.DataFrame(rows)
    if "error" in table:
        table["error"] = table["error"].fillna("")
    parts = [table.to_string(index=False)]
    for r in results:
        if not isinstance(r, Failure) and len(r.timeline) > 1:
            timeline = r.timeline.copy()
            for column in ("start", "end"):
                timeline[column] = timeline[column].map("{:.2f}".format)
            for c in classes:
                timeline[c] = timeline[c].map("{:.3f}".format)
            parts.append(f"\nTimeline of {r.source} ({len(r.timeline)} windows):\n"
                         + timeline.to_string(index=False))
    return "\n".join(parts)


def predictions_csv(results, classes) -> str:
    """Rows of scope ``recording``, ``window`` and, for a failed file, ``error``."""
    rows = []
    for r in results:
        if isinstance(r, Failure):
            rows.append({"path": r.source, "scope": "error", "label": "", "error": r.reason})
            continue
        rows.append({"path": r.source, "scope": "recording", "start": 0.0,
                     "end": round(r.duration, 3), "label": r.label,
                     **{c: r.distribution[c] for c in classes}})
        for _, w in r.timeline.iterrows():
            rows.append({"path": r.source, "scope": "window", "start": w["start"],
                         "end": w["end"], "label": w["label"], **{c: w[c] for c in classes}})
    columns = ["path", "scope", "start", "end", "label", *classes]
    if any(isinstance(r, Failure) for r in results):
        columns.append("error")
    frame = pd.DataFrame(rows, columns=columns)
    return frame.to_csv(index=False, float_format="%.6g").rstrip("\n")


def plot_paths(plot, sources) -> list[Path]:
    """The PNG of each recording: ``plot`` itself for one, ``<stem>_<recording>`` for many."""
    plot = Path(plot)
    if len(sources) == 1:
        return [plot]
    seen, paths = {}, []
    for source in sources:
        stem = safe_name(Path(source).stem)
        seen[stem] = seen.get(stem, 0) + 1
        if seen[stem] > 1:
            stem = f"{stem}_{seen[stem]}"
        paths.append(plot.with_name(f"{plot.stem}_{stem}{plot.suffix or '.png'}"))
    return paths


def check_output_target(path, option, *, example="out.png") -> Path:
    """A file the command will write, checked by creating a file beside it, before any work.

    Parameters
    ----------
    path : str or path-like
        The output file; its folder may not exist yet (it is created when writing).
    option : str
        The option that named it, for messages (``"--out"``).
    example : str, default="out.png"
        A file name to suggest when ``path`` is a folder.

    Returns
    -------
    path : pathlib.Path
        The file, as a path.

    Raises
    ------
    CommandError
        Naming the option, if ``path`` is a folder, a symbolic link (never followed), a FIFO,
        a device or anything else that is not a regular file, or if no file can be created
        beside it (no permission, a read-only or virtual file system such as ``/proc``).
    """
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        raise CommandError(f"{option}: '{path}' is a folder; give a file name such as "
                           f"{example}.")
    return _probed(path, option, folder=False)


def check_output_folder(path, option) -> Path:
    """A folder the command will write into, checked by creating a file in it, before any work.

    For the study's ``--out`` (tables, figures, checkpoints): the folder may exist (it must
    then be a real folder, not a symbolic link) or be created later under an existing folder
    where files can be created.

    Parameters
    ----------
    path : str or path-like
        The output folder.
    option : str
        As in :func:`check_output_target`.

    Returns
    -------
    path : pathlib.Path
        The folder, as a path.

    Raises
    ------
    CommandError
        Naming the option and the reason.
    """
    return _probed(Path(path), option, folder=True)


def _probed(path: Path, option: str, *, folder: bool) -> Path:
    """``path`` once a file could be created where the command will write (else the
    option's CommandError with the reason)."""
    try:
        check_target(path, folder=folder)
        probe_folder(path if folder else path.parent, target=path)
    except OSError as err:
        raise CommandError(f"{option}: {err.strerror or err}") from None
    return path


@contextlib.contextmanager
def _without_tensorflow_noise():
    """Hold back the known start-up lines TensorFlow's C++ code writes to stderr itself."""
    from . import TF_LOG_LEVEL_FROM_USER

    if TF_LOG_LEVEL_FROM_USER or "tensorflow" in sys.modules:
        # the user chose TensorFlow's log level, or it is too late: show what it prints
        yield
        return
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to protect
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode(errors="replace").splitlines(keepends=True):
                if not any(noise in line for noise in _TF_NOISE):
                    sys.stderr.write(line)
            sys.stderr.flush()


def training_device() -> str:
    """One line naming the device TensorFlow trains on (TensorFlow is imported quietly)."""
    with _without_tensorflow_noise():
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "Training on CPU (no GPU found)."
    names = ", ".join(d.name.replace("/physical_device:", "") for d in gpus)
    return f"Training on GPU ({names})."


def announce_device(console) -> None:
    """Import TensorFlow without its start-up noise and say which device it trains on.

    Call it in a command that trains networks, after its arguments are judged and before
    anything imports TensorFlow; the line goes to stderr unless ``--quiet``.
    """
    console.info(training_device())
