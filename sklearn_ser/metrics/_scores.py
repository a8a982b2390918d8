"""Held-out scores, one classification report per model, and their summary over folds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
)

__all__ = ["METRICS", "evaluate_predictions", "heldout_scores", "summarize_folds",
           "trainable_parameters"]

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


def heldout_scores(y_true, y_pred) -> dict[str, float]:
    """Accuracy, UAR (balanced accuracy) and macro-F1 of predictions on held-out clips.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_clips,)
        True and predicted labels.

    Returns
    -------
    scores : dict
        ``test_accuracy``, ``uar`` and ``macro_f1``.

    Examples
    --------
    >>> from sklearn_ser.metrics import heldout_scores
    >>> scores = heldout_scores(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> {k: round(v, 3) for k, v in scores.items()}
    {'test_accuracy': 0.75, 'uar': 0.75, 'macro_f1': 0.733}
    """
    return {
        "test_accuracy": accuracy_score(y_true, y_pred),
        "uar": balanced_accuracy_score(y_true, y_pred),
        "macro_f1": f1_score(y_true, y_pred, average="macro", zero_division=0),
    }


def evaluate_predictions(y_true, y_pred, labels: Sequence[str]) -> dict:
    """Everything ``sklearn-ser evaluate`` reports about predictions on a corpus.

    Parameters
    ----------
    y_true, y_pred : array-like of str of shape (n_clips,)
        True and predicted labels.
    labels : sequence of str
        Row and column order of the confusion matrix and the classification report (the
        model's classes and any label only the corpus has).

    Returns
    -------
    evaluation : dict
        ``accuracy``, ``balanced_accuracy``, ``macro_f1`` (floats), ``confusion_matrix``
        (ndarray, rows: true labels), ``report`` (the classification report as text) and
        ``report_dict`` (the same as a dict).

    Examples
    --------
    >>> from sklearn_ser.metrics import evaluate_predictions
    >>> result = evaluate_predictions(["a", "b", "b"], ["a", "b", "a"], ["a", "b"])
    >>> round(result["balanced_accuracy"], 2), result["confusion_matrix"].tolist()
    (0.75, [[1, 0], [1, 1]])
    """
    scores = heldout_scores(y_true, y_pred)
    labels = list(labels)
    kwargs = {"labels": labels, "zero_division": 0}
    return {
        "accuracy": scores["test_accuracy"],
        "balanced_accuracy": scores["uar"],
        "macro_f1": scores["macro_f1"],
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels),
        "report": classification_report(y_true, y_pred, digits=3, **kwargs),
        "report_dict": classification_report(y_true, y_pred, output_dict=True, **kwargs),
    }


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
    >>> from sklearn_ser.metrics import summarize_folds
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


def trainable_parameters(model) -> int:
    """Number of trainable weights of a Keras model (without importing Keras)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))
