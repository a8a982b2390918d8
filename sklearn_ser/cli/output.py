"""What the commands print: status lines on stderr, predictions as a table, CSV or JSON.

A recording that could not be analysed is a :class:`Failure`; it gets a row of its own in
every format, so a reader of the output sees which files are missing and why.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..report.files import safe_name
from .parser import PROG

__all__ = ["Console", "Failure", "plot_paths", "predictions_csv", "predictions_json",
           "predictions_table"]


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
