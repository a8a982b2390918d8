"""The study's result: the per-fold rows, the ensemble, the confusion matrices, assembled."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix

from ..metrics import heldout_scores, summarize_folds

__all__ = ["ENSEMBLE", "StudyResult", "assemble"]

#: Name of the soft-voting ensemble row (mean of the architectures' ``predict_proba``).
ENSEMBLE = "ensemble"

#: Figures a row without a Keras history has no source for (the ensemble, a baseline).
NO_HISTORY = {"train_accuracy": np.nan, "val_accuracy": np.nan, "train_loss": np.nan,
              "val_loss": np.nan, "epochs": np.nan}


@dataclass
class StudyResult:
    """Everything :func:`~sklearn_ser.study.compare_architectures` measured.

    Attributes
    ----------
    folds : DataFrame
        One row per (model, fold): ``model``, ``fold``, ``n_train``, ``n_test``,
        ``train_accuracy``, ``val_accuracy``, ``train_loss``, ``val_loss`` (the seed's
        "final" figures, from the Keras history at the epoch whose weights are kept),
        ``test_accuracy``, ``uar`` (balanced accuracy), ``macro_f1`` on the held-out
        speakers, ``fit_time`` (seconds), ``n_params`` (trainable) and ``epochs`` (trained).
        The ensemble row has no history (NaN); its time and parameters are its members' sums.
        A baseline row has no history either; its ``fit_time`` includes its own feature
        extraction on the training clips and ``n_params`` counts the coefficients of a
        linear final step (missing otherwise).
    summary : DataFrame
        Mean and std of each metric over folds, one row per model
        (:func:`~sklearn_ser.metrics.summarize_folds`).
    labels : list of str
        Class labels, the order of the confusion matrices.
    confusion : dict of str to ndarray
        Confusion matrix per model, summed over folds (rows: true labels).
    histories : dict of str to list of dict
        Keras history of every fold, per architecture.
    extraction_time : list of float
        Seconds of each feature extraction of this run: one for all clips when the
        features are shared by the folds, else one per fold extracted (empty without
        architectures, or when every architecture's result was restored).
    settings : dict
        What was run: ``archs``, ``baselines`` (name -> the estimator's repr),
        ``ensemble`` (bool), ``n_folds``, ``random_state``,
        ``classifier`` (every parameter of the classifiers except ``arch`` and
        ``callbacks``), ``transformer`` (the feature transformer's parameters),
        ``transformer_class`` (its class name) and ``config_key`` (the hash of the full
        configuration that keys a checkpoint), so that a report can say how to reproduce
        the result.
    total_time : float
        Seconds this run of the study took (extraction, training and prediction).
    phase_times : dict of str to float
        Seconds of this run per phase: ``"extraction"`` and ``"training"`` (fitting and
        predicting, baselines included).
    n_resumed : int
        (model, fold) results restored from the checkpoint instead of computed.
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    labels: list
    confusion: dict
    histories: dict
    extraction_time: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    total_time: float = 0.0
    phase_times: dict = field(default_factory=dict)
    n_resumed: int = 0


def _confusion(y_true_index, y_pred_index, n_labels):
    return confusion_matrix(y_true_index, y_pred_index, labels=np.arange(n_labels))


def _ensemble_row(members, y_index, labels):
    """Soft voting over one fold's architectures: the row and the predicted label indices."""
    # every architecture of a fold saw the same y, hence the same classes_ order
    classes = np.asarray(members[0]["classes"])
    proba = np.mean([np.asarray(m["proba"], dtype=float) for m in members], axis=0)
    y_pred = classes[proba.argmax(axis=1)]
    first = members[0]["record"]
    record = {
        "model": ENSEMBLE, "fold": members[0]["fold"], "n_train": first["n_train"],
        "n_test": first["n_test"], **NO_HISTORY,
        **heldout_scores(labels[y_index], labels[y_pred]),
        "fit_time": float(np.sum([m["record"]["fit_time"] for m in members])),
        "n_params": int(np.sum([m["record"]["n_params"] for m in members])),
    }
    return record, y_pred


def assemble(results, *, archs, baselines, ensemble, splits, y_index, labels):
    """(folds, confusion, histories) from the results of every (model, fold).

    ``results`` maps (model, fold) to what the study saved: ``record`` (the row),
    ``y_pred`` (label indices of the test clips) and, for architectures, ``proba``,
    ``classes`` (label indices of its columns) and ``history``.
    """
    labels = np.asarray(labels, dtype=object)
    models = [*archs, *([ENSEMBLE] if ensemble else []), *baselines]
    confusion = {m: np.zeros((len(labels), len(labels)), dtype=int) for m in models}
    histories = {a: [] for a in archs}
    records = []
    for fold, (_, test) in enumerate(splits):
        for model in [*archs, *baselines]:
            result = results[model, fold]
            records.append(result["record"])
            confusion[model] += _confusion(y_index[test], result["y_pred"], len(labels))
            if model in histories:
                histories[model].append(result["history"])
        if ensemble:
            record, y_pred = _ensemble_row([results[a, fold] for a in archs], y_index[test],
                                           labels)
            records.append(record)
            confusion[ENSEMBLE] += _confusion(y_index[test], y_pred, len(labels))
    folds = pd.DataFrame.from_records(records)
    folds["epochs"] = folds["epochs"].astype("Int64")  # missing for ensemble and baselines
    order = {m: i for i, m in enumerate(models)}
    folds = folds.sort_values(["model", "fold"], key=lambda c: c.map(order) if c.name == "model"
                              else c, kind="stable").reset_index(drop=True)
    return folds, summarize_folds(folds), confusion, histories
