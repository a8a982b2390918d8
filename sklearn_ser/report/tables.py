"""Text and Markdown tables of study results."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..metrics import METRICS

__all__ = ["format_fold_table", "format_table"]

_INTEGER_METRICS = frozenset({"n_params"})
_TIME_METRICS = frozenset({"fit_time"})

def _cell(metric: str, mean: float, std: float) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    if metric in _INTEGER_METRICS:
        return f"{round(mean):,}"
    if metric in _TIME_METRICS:
        return f"{mean:.1f}"
    if std is None or math.isnan(std):
        return f"{mean:.3f}"
    return f"{mean:.3f} ± {std:.3f}"


def format_table(summary: pd.DataFrame, metrics: Sequence[str] | None = None,
                 *, markdown: bool = False) -> str:
    """Render a summary from :func:`summarize_folds` as an aligned text or Markdown table.

    Scores are shown as ``mean ± std`` over folds; fit time is the mean in seconds; the
    parameter count is the trainable parameters of one fitted model; ``-`` marks a metric
    that does not apply (the ensemble has no training history of its own).

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`summarize_folds`.
    metrics : sequence of str, default=None
        Metrics to show, in order; None shows those of :data:`METRICS` in ``summary``.
    markdown : bool, default=False
        Produce a GitHub-flavoured Markdown table instead of aligned plain text.

    Returns
    -------
    table : str

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ser.report import format_table, summarize_folds
    >>> folds = pd.DataFrame({"model": ["cnn", "cnn"], "uar": [0.5, 0.7]})
    >>> print(format_table(summarize_folds(folds)))
    Model            UAR
    cnn    0.600 ± 0.100
    """
    if metrics is None:
        metrics = [m for m in METRICS if f"{m}_mean" in summary.columns]
    headers = ["Model"] + [METRICS.get(m, m) for m in metrics]
    rows = []
    for model, row in summary.iterrows():
        rows.append([str(model)] + [
            _cell(m, float(row[f"{m}_mean"]), float(row.get(f"{m}_std", math.nan)))
            for m in metrics
        ])
    if markdown:
        lines = ["| " + " | ".join(headers) + " |",
                 "|" + "|".join(["---"] + ["---:"] * len(metrics)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                       for i, cell in enumerate(r)).rstrip() for r in [headers, *rows]]
    return "\n".join(lines)


def format_fold_table(folds: pd.DataFrame) -> str:
    """Markdown table of the held-out scores of every model in every fold.

    Parameters
    ----------
    folds : DataFrame
        One row per (model, fold), as in :attr:`sklearn_ser.study.StudyResult.folds`.

    Returns
    -------
    table : str
    """
    columns = [c for c in ("model", "fold", "n_train", "n_test", "test_accuracy", "uar",
                           "macro_f1", "epochs", "fit_time") if c in folds.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in folds[columns].iterrows():
        cells = []
        for column in columns:
            value = row[column]
            if value is pd.NA:
                cells.append("-")
            elif isinstance(value, (float, np.floating)):
                if math.isnan(value):
                    cells.append("-")
                elif column == "fit_time":
                    cells.append(f"{value:.1f}")
                elif column == "epochs":
                    cells.append(f"{value:.0f}")
                else:
                    cells.append(f"{value:.3f}")
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
