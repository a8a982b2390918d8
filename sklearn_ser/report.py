"""Tables, figures and the Markdown report of the command line.

Everything here is plain data in, text or files out: the study (:mod:`sklearn_ser.study`)
and the ``sklearn-ser`` commands compute, these functions present. Figures are drawn with
matplotlib's Agg back end, so no display is needed.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "METRICS",
    "format_fold_table",
    "format_table",
    "plot_confusion_matrix",
    "plot_emotion_profile",
    "plot_training_curves",
    "summarize_folds",
    "write_json",
    "write_markdown_report",
    "write_results",
]

#: Per-fold metrics of the study: column name -> table header. The first four are the
#: figures the seed recipe printed from the Keras history (at the epoch whose weights the
#: model keeps); the others are measured on the held-out speakers or on the fit itself.
METRICS: dict[str, str] = {
    "train_accuracy": "Final acc",
    "val_accuracy": "Final val acc",
    "train_loss": "Final loss",
    "val_loss": "Final val loss",
    "test_accuracy": "Held-out acc",
    "uar": "UAR",
    "macro_f1": "Macro-F1",
    "fit_time": "Fit time (s)",
    "n_params": "Params",
}

_INTEGER_METRICS = frozenset({"n_params"})
_TIME_METRICS = frozenset({"fit_time"})


def _pyplot():
    import matplotlib

    # Agg draws to files only: the commands run on servers and in CI without a display
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def summarize_folds(folds: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean and standard deviation of each metric over folds, one row per model.

    Parameters
    ----------
    folds : DataFrame
        One row per (model, fold) with a ``model`` column and the metric columns.
    metrics : sequence of str, default=None
        Metric columns to summarise; None takes those of :data:`METRICS` present in ``folds``.

    Returns
    -------
    summary : DataFrame
        Indexed by model in order of first appearance, with ``<metric>_mean`` and
        ``<metric>_std`` columns (population std over folds, NaN where a metric is undefined)
        and ``n_folds``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ser.report import summarize_folds
    >>> folds = pd.DataFrame({"model": ["cnn", "cnn"], "fold": [0, 1], "uar": [0.5, 0.7]})
    >>> summary = summarize_folds(folds)
    >>> summary.loc["cnn", ["uar_mean", "uar_std", "n_folds"]].astype(float).round(3).tolist()
    [0.6, 0.1, 2.0]
    """
    if metrics is None:
        metrics = [m for m in METRICS if m in folds.columns]
    order = list(dict.fromkeys(folds["model"]))
    grouped = folds.groupby("model", sort=False)
    columns = {}
    for metric in metrics:
        values = grouped[metric]
        columns[f"{metric}_mean"] = values.mean()
        # ddof=0: with 2-3 folds the sample std is itself very noisy; report the spread seen
        columns[f"{metric}_std"] = values.std(ddof=0)
    summary = pd.DataFrame(columns)
    summary["n_folds"] = grouped.size()
    return summary.loc[order]


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


def _jsonable(value):
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA:
        return None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


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


def write_json(path, document) -> Path:
    """Write ``document`` as indented JSON; NumPy values become Python ones, NaN null.

    Parameters
    ----------
    path : str or path-like
        Output file.
    document : object
        Mappings, sequences, NumPy arrays and scalars, strings and numbers.

    Returns
    -------
    path : Path
    """
    path = Path(path)
    path.write_text(json.dumps(_jsonable(document), indent=2) + "\n", encoding="utf-8")
    return path


def write_results(out_dir, folds: pd.DataFrame, summary: pd.DataFrame,
                  extra: Mapping | None = None) -> dict[str, Path]:
    """Write the results table as CSV (per fold and summary) and as one JSON document.

    Parameters
    ----------
    out_dir : str or path-like
        Folder, created if needed.
    folds : DataFrame
        One row per (model, fold).
    summary : DataFrame
        Output of :func:`summarize_folds`.
    extra : mapping, default=None
        More JSON-serialisable content for ``results.json`` (settings, confusion matrices,
        training histories...). NaN becomes null.

    Returns
    -------
    paths : dict of str to Path
        ``"folds_csv"``, ``"summary_csv"`` and ``"json"``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "folds_csv": out / "results_folds.csv",
        "summary_csv": out / "results_summary.csv",
        "json": out / "results.json",
    }
    folds.to_csv(paths["folds_csv"], index=False)
    summary.rename_axis("model").to_csv(paths["summary_csv"])
    document = {
        "folds": folds.to_dict(orient="records"),
        "summary": summary.rename_axis("model").reset_index().to_dict(orient="records"),
        **(dict(extra) if extra else {}),
    }
    write_json(paths["json"], document)
    return paths


def plot_confusion_matrix(cm, labels: Sequence[str], path, *, title: str | None = None):
    """Save a confusion matrix as a PNG: colour is the row-normalised recall, text the count.

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes)
        Counts, rows are true labels and columns predicted labels (as
        :func:`sklearn.metrics.confusion_matrix` returns them).
    labels : sequence of str
        Class names in the order of the rows.
    path : str or path-like
        Output PNG file; its folder must exist.
    title : str, default=None
        Figure title.

    Returns
    -------
    path : Path

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_ser.report import plot_confusion_matrix
    >>> out = os.path.join(tempfile.mkdtemp(), "cm.png")
    >>> plot_confusion_matrix([[3, 1], [0, 4]], ["angry", "sad"], out).name
    'cm.png'
    """
    plt = _pyplot()
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(labels):
        raise ValueError(
            f"cm must be square with one row per label; got shape {cm.shape} for "
            f"{len(labels)} labels."
        )
    totals = cm.sum(axis=1, keepdims=True)
    recall = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    size = 1.2 + 0.75 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    try:
        image = ax.imshow(recall, cmap="Blues", vmin=0.0, vmax=1.0)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="recall (row share)")
        ticks = np.arange(len(labels))
        ax.set_xticks(ticks, labels=labels, rotation=45, ha="right")
        ax.set_yticks(ticks, labels=labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        for i in range(len(labels)):
            for j in range(len(labels)):
                ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center",
                        color="white" if recall[i, j] > 0.5 else "black", fontsize=9)
        if title:
            ax.set_title(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return Path(path)


def _stack_ragged(curves: Sequence[Sequence[float]]) -> np.ndarray:
    """(n_curves, max_len) array padded with NaN (early stopping ends folds at different epochs)."""
    length = max(len(c) for c in curves)
    out = np.full((len(curves), length), np.nan)
    for i, curve in enumerate(curves):
        out[i, : len(curve)] = curve
    return out


def plot_training_curves(histories: Sequence[Mapping[str, Sequence[float]]], path, *,
                         title: str | None = None):
    """Save accuracy and loss per epoch, training and validation, as a two-panel PNG.

    Like the seed recipe's figures, with one thin line per fold and the mean over the folds
    still training at that epoch as a thick line.

    Parameters
    ----------
    histories : sequence of dict
        Keras histories, one per fold: ``accuracy``, ``loss`` and optionally
        ``val_accuracy``, ``val_loss`` lists.
    path : str or path-like
        Output PNG file; its folder must exist.
    title : str, default=None
        Figure title.

    Returns
    -------
    path : Path

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_ser.report import plot_training_curves
    >>> history = {"accuracy": [0.4, 0.6], "loss": [1.2, 0.9],
    ...            "val_accuracy": [0.3, 0.5], "val_loss": [1.4, 1.1]}
    >>> out = os.path.join(tempfile.mkdtemp(), "curves.png")
    >>> plot_training_curves([history], out).name
    'curves.png'
    """
    if not histories:
        raise ValueError("histories is empty: nothing to plot.")
    for i, history in enumerate(histories):
        missing = {"accuracy", "loss"} - set(history)
        if missing:
            raise ValueError(f"histories[{i}] lacks {sorted(missing)}.")
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    try:
        for ax, metric in zip(axes, ("accuracy", "loss")):
            for key, label, colour in ((metric, "training", "tab:blue"),
                                       (f"val_{metric}", "validation", "tab:orange")):
                curves = [h[key] for h in histories if len(h.get(key, ())) > 0]
                if not curves:
                    continue
                stacked = _stack_ragged(curves)
                epochs = np.arange(1, stacked.shape[1] + 1)
                if len(curves) > 1:
                    for curve in stacked:
                        ax.plot(epochs, curve, color=colour, alpha=0.25, linewidth=0.8)
                with np.errstate(invalid="ignore"):
                    mean = np.nanmean(stacked, axis=0)
                ax.plot(epochs, mean, color=colour, linewidth=2, label=label,
                        marker="o" if stacked.shape[1] < 3 else None)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch")
            ax.set_ylabel(metric)
            ax.set_title(f"Model {metric}")
            ax.grid(alpha=0.3)
            ax.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return Path(path)


def plot_emotion_profile(distribution: Mapping[str, float], path, *,
                         timeline: pd.DataFrame | None = None, title: str | None = None):
    """Save a recording's emotion distribution (bar chart) and, optionally, its timeline.

    Parameters
    ----------
    distribution : mapping of str to float
        Probability of each emotion over the whole recording (the mean over its windows).
    path : str or path-like
        Output PNG file; its folder must exist.
    timeline : DataFrame, default=None
        One row per window with ``start`` and ``end`` (seconds) and one probability column
        per emotion of ``distribution``; drawn as stacked probabilities over time when it
        has more than one window.
    title : str, default=None
        Figure title.

    Returns
    -------
    path : Path

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_ser.report import plot_emotion_profile
    >>> out = os.path.join(tempfile.mkdtemp(), "profile.png")
    >>> plot_emotion_profile({"angry": 0.7, "sad": 0.3}, out).name
    'profile.png'
    """
    labels = [str(k) for k in distribution]
    values = np.array([float(distribution[k]) for k in distribution])
    if not labels:
        raise ValueError("distribution is empty: nothing to plot.")
    with_timeline = timeline is not None and len(timeline) > 1
    if with_timeline:
        missing = [k for k in [*labels, "start", "end"] if k not in timeline.columns]
        if missing:
            raise ValueError(f"timeline lacks the column(s) {missing}.")
    plt = _pyplot()
    colours = plt.get_cmap("tab10")(np.arange(len(labels)) % 10)
    if with_timeline:
        fig, (ax_bar, ax_time) = plt.subplots(
            1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1, 2.2]})
    else:
        fig, ax_bar = plt.subplots(figsize=(5, 3.8))
    try:
        ax_bar.bar(labels, values, color=colours)
        ax_bar.set_ylim(0, 1)
        ax_bar.set_ylabel("probability")
        ax_bar.set_title("Emotion distribution")
        ax_bar.tick_params(axis="x", rotation=45)
        for i, v in enumerate(values):
            ax_bar.text(i, v + 0.02, f"{v:.2f}", ha="center", fontsize=8)
        if with_timeline:
            centres = (timeline["start"].to_numpy() + timeline["end"].to_numpy()) / 2
            probs = timeline[labels].to_numpy(dtype=float).T
            ax_time.stackplot(centres, probs, labels=labels, colors=colours, alpha=0.85)
            ax_time.set_xlim(centres.min(), centres.max())
            ax_time.set_ylim(0, 1)
            ax_time.set_xlabel("time (s, window centre)")
            ax_time.set_ylabel("probability")
            ax_time.set_title(f"Timeline ({len(timeline)} windows)")
            ax_time.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return Path(path)


def write_markdown_report(path, *, title: str, settings: Mapping[str, object],
                          table: str, sections: Sequence[tuple[str, str]] = (),
                          figures: Mapping[str, Mapping[str, str]] | None = None,
                          notes: Sequence[str] = ()) -> Path:
    """Write a self-contained Markdown report: settings, results table, notes and figures.

    Parameters
    ----------
    path : str or path-like
        Output ``.md`` file; figure links are written relative to its folder.
    title : str
        Top-level heading.
    settings : mapping
        Shown as a two-column table (what was run, so the report can be reproduced).
    table : str
        The results table in Markdown (see :func:`format_table` with ``markdown=True``).
    sections : sequence of (heading, markdown) pairs, default=()
        Extra sections after the table.
    figures : mapping of str to mapping of str to str, default=None
        Per model, caption -> image path; shown in one section per model.
    notes : sequence of str, default=()
        Bullet points under the table (how to read it).

    Returns
    -------
    path : Path
    """
    path = Path(path)
    lines = [f"# {title}", "", "## Settings", "", "| Setting | Value |", "|---|---|"]
    for key, value in settings.items():
        text = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        lines.append(f"| {key} | {text.replace('|', '/')} |")
    lines += ["", "## Results", "", table, ""]
    lines += [f"- {note}" for note in notes]
    if notes:
        lines.append("")
    for heading, body in sections:
        lines += [f"## {heading}", "", body.rstrip(), ""]
    if figures:
        lines += ["## Figures", ""]
        for model, images in figures.items():
            lines += [f"### {model}", ""]
            for caption, image in images.items():
                rel = os.path.relpath(image, path.parent).replace(os.sep, "/")
                lines += [f"![{caption}]({rel})", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
