"""Figures of the study and of a recording, drawn on explicit matplotlib figures.

Each function builds a :class:`matplotlib.figure.Figure` and saves it; nothing goes through
pyplot, so no back end is selected or switched (a notebook keeps its own) and no display is
needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["plot_confusion_matrix", "plot_emotion_profile", "plot_training_curves"]


_SAVED = """path : str or path-like
        Output PNG file; its folder must exist.
    title : str, default=None
        Figure title.

    Returns
    -------
    path : Path"""


def _saves_a_figure(function):
    """Fill in the Parameters and Returns entries every plotting function shares."""
    function.__doc__ = function.__doc__.replace("{saved}", _SAVED)
    return function


def _figure(**kwargs):
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _save(fig, path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return Path(path)


@_saves_a_figure
def plot_confusion_matrix(cm, labels: Sequence[str], path, *, title: str | None = None):
    """Save a confusion matrix as a PNG: colour is the row-normalised recall, text the count.

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes)
        Counts, rows are true labels and columns predicted labels (as
        :func:`sklearn.metrics.confusion_matrix` returns them).
    labels : sequence of str
        Class names in the order of the rows.
    {saved}

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_ser.report import plot_confusion_matrix
    >>> out = os.path.join(tempfile.mkdtemp(), "cm.png")
    >>> plot_confusion_matrix([[3, 1], [0, 4]], ["angry", "sad"], out).name
    'cm.png'
    """
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(labels):
        raise ValueError(
            f"cm must be square with one row per label; got shape {cm.shape} for "
            f"{len(labels)} labels."
        )
    totals = cm.sum(axis=1, keepdims=True)
    recall = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    size = 1.2 + 0.75 * len(labels)
    fig = _figure(figsize=(size + 1.2, size))
    ax = fig.subplots()
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
    return _save(fig, path)


def _stack_ragged(curves: Sequence[Sequence[float]]) -> np.ndarray:
    """(n_curves, max_len) array padded with NaN (early stopping ends folds at different epochs)."""
    length = max(len(c) for c in curves)
    out = np.full((len(curves), length), np.nan)
    for i, curve in enumerate(curves):
        out[i, : len(curve)] = curve
    return out


@_saves_a_figure
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
    {saved}

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
    from matplotlib.ticker import MaxNLocator

    fig = _figure(figsize=(10, 3.8))
    axes = fig.subplots(1, 2)
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
    return _save(fig, path)


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
    from matplotlib import colormaps

    colours = colormaps["tab10"](np.arange(len(labels)) % 10)
    if with_timeline:
        fig = _figure(figsize=(12, 3.8))
        ax_bar, ax_time = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.2]})
    else:
        fig = _figure(figsize=(5, 3.8))
        ax_bar = fig.subplots()
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
    return _save(fig, path)
