"""The five-architecture study of the seed recipe, speaker-independent and fold by fold.

:func:`compare_architectures` is what ``sklearn-ser compare`` runs. Per fold it extracts the
features once (``fit_transform`` on the training clips, with their augmented views;
``transform`` on the held-out clips) and trains every architecture on them. That is exactly
what ``cross_validate(Pipeline([transformer, SERClassifier(arch=a)]))`` computes for each
architecture ``a`` (the transformer learns nothing from the audio, and its augmentations are
seeded), with the feature extraction done once instead of once per architecture.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral

import keras
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
)
from sklearn.model_selection import StratifiedGroupKFold
from tqdm.auto import tqdm

from .classifier import SERClassifier
from .models import ARCHITECTURES
from .report import summarize_folds
from .transformer import AudioFeatureTransformer

__all__ = ["ENSEMBLE", "StudyResult", "compare_architectures"]

#: Name of the soft-voting ensemble row (mean of the architectures' ``predict_proba``).
ENSEMBLE = "ensemble"


@dataclass
class StudyResult:
    """Everything :func:`compare_architectures` measured.

    Attributes
    ----------
    folds : DataFrame
        One row per (model, fold): ``model``, ``fold``, ``n_train``, ``n_test``,
        ``train_accuracy``, ``val_accuracy``, ``train_loss``, ``val_loss`` (the seed's
        "final" figures, from the Keras history at the epoch whose weights are kept),
        ``test_accuracy``, ``uar`` (balanced accuracy), ``macro_f1`` on the held-out
        speakers, ``fit_time`` (seconds), ``n_params`` (trainable) and ``epochs`` (trained).
        The ensemble row has no history (NaN); its time and parameters are its members' sums.
    summary : DataFrame
        Mean and std of each metric over folds, one row per model
        (:func:`~sklearn_ser.report.summarize_folds`).
    labels : list of str
        Class labels, the order of the confusion matrices.
    confusion : dict of str to ndarray
        Confusion matrix per model, summed over folds (rows: true labels).
    histories : dict of str to list of dict
        Keras history of every fold, per architecture.
    extraction_time : list of float
        Seconds of feature extraction per fold (shared by all architectures).
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    labels: list
    confusion: dict
    histories: dict
    extraction_time: list = field(default_factory=list)


class EpochProgress(keras.callbacks.Callback):
    """Advances a tqdm bar at the end of every epoch and shows the latest losses."""

    def __init__(self, bar):
        super().__init__()
        self.bar = bar

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = {k: f"{logs[k]:.3f}" for k in ("loss", "val_accuracy") if k in logs}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)


def _check_archs(archs) -> list[str]:
    if isinstance(archs, str):
        archs = [archs]
    archs = list(archs)
    if not archs:
        raise ValueError("archs is empty: name at least one architecture.")
    unknown = [a for a in archs if a not in ARCHITECTURES]
    if unknown:
        raise ValueError(
            f"Unknown architecture(s) {unknown}; choose from {list(ARCHITECTURES)}."
        )
    if len(set(archs)) != len(archs):
        raise ValueError(f"An architecture is named twice in {archs}.")
    return archs


def _splits(cv, y, groups, random_state):
    """Speaker-independent folds: StratifiedGroupKFold(cv) for an int, else the splitter."""
    if isinstance(cv, Integral):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 folds, got {cv}.")
        n_groups = np.unique(groups).size
        if n_groups < cv:
            raise ValueError(
                f"cv={cv} speaker-independent folds need at least {cv} speakers; the data "
                f"has {n_groups}."
            )
        cv = StratifiedGroupKFold(n_splits=cv, shuffle=True, random_state=random_state)
    return list(cv.split(np.zeros((len(y), 1)), y, groups))


def _trainable_params(model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def _scores(y_true, y_pred) -> dict:
    return {
        "test_accuracy": accuracy_score(y_true, y_pred),
        "uar": balanced_accuracy_score(y_true, y_pred),
        "macro_f1": f1_score(y_true, y_pred, average="macro", zero_division=0),
    }


def compare_architectures(X, y, groups, *, archs=tuple(ARCHITECTURES), cv=3,
                          transformer=None, classifier_params: Mapping | None = None,
                          ensemble=True, random_state=0, progress=False) -> StudyResult:
    """Train several architectures with speaker-independent cross-validation.

    Parameters
    ----------
    X : sequence of paths or waveforms
        Audio clips, as :class:`~sklearn_ser.AudioFeatureTransformer` accepts them.
    y : array-like of shape (n_clips,)
        Emotion labels.
    groups : array-like of shape (n_clips,)
        Speaker of each clip: no speaker is in the training and the test side of a fold.
    archs : sequence of str, default=all five
        Names from :data:`sklearn_ser.models.ARCHITECTURES`.
    cv : int or cross-validator, default=3
        Number of :class:`~sklearn.model_selection.StratifiedGroupKFold` folds (shuffled
        with ``random_state``), or a splitter whose ``split(X, y, groups)`` is used as is
        (e.g. :class:`~sklearn_ser.model_selection.LeaveOneCorpusOut` with the corpus of
        each clip as ``groups``).
    transformer : AudioFeatureTransformer, default=None
        Feature settings (cloned per fold); None uses the defaults with the seed's five
        augmentations.
    classifier_params : mapping, default=None
        Parameters of every :class:`~sklearn_ser.SERClassifier` (e.g. ``epochs``,
        ``batch_size``, ``optimizer__learning_rate``); ``arch`` is set per model.
    ensemble : bool, default=True
        Add a soft-voting ensemble row: the mean of the architectures' ``predict_proba``.
    random_state : int, default=0
        Seeds the folds and every classifier (unless ``classifier_params`` sets one).
    progress : bool, default=False
        Show progress bars (feature extraction per clip, training per epoch) on stderr.

    Returns
    -------
    result : StudyResult

    Examples
    --------
    >>> from sklearn_ser import AudioFeatureTransformer
    >>> from sklearn_ser.datasets import make_emotional_speech
    >>> from sklearn_ser.study import compare_architectures
    >>> data = make_emotional_speech(n_speakers=4, n_clips_per_emotion=2,
    ...                              emotions=["angry", "sad"], duration=1.0, random_state=0)
    >>> result = compare_architectures(
    ...     data.X, data.y, data.groups, archs=["cnn", "cnn_gru"], cv=2,
    ...     transformer=AudioFeatureTransformer(duration=1.0),
    ...     classifier_params={"epochs": 2})  # doctest: +SKIP
    >>> result.summary.index.tolist()  # doctest: +SKIP
    ['cnn', 'cnn_gru', 'ensemble']
    """
    archs = _check_archs(archs)
    y = np.asarray(y)
    groups = np.asarray(groups)
    n_clips = len(X)
    if y.shape[0] != n_clips or groups.shape[0] != n_clips:
        raise ValueError(
            f"X, y and groups must have one entry per clip; got {n_clips}, {y.shape[0]} and "
            f"{groups.shape[0]}."
        )
    if transformer is None:
        transformer = AudioFeatureTransformer(
            augment=("noise", "stretch_pitch", "shift", "echo", "reverb"),
            random_state=random_state,
        )
    params = {"random_state": random_state, **(classifier_params or {})}
    params.pop("arch", None)
    labels = sorted(np.unique(y).tolist())
    splits = _splits(cv, y, groups, random_state)

    records, extraction_time = [], []
    confusion = {m: np.zeros((len(labels), len(labels)), dtype=int)
                 for m in [*archs, *([ENSEMBLE] if ensemble else [])]}
    histories = {a: [] for a in archs}
    overall = tqdm(total=len(splits) * len(archs), desc="models", unit="model",
                   disable=not progress, position=0)
    try:
        for fold, (train, test) in enumerate(splits):
            features = clone(transformer).set_params(verbose=int(progress))
            start = time.perf_counter()
            # lists of clips, whatever X is (list, object array, 2-D table of waveforms)
            X_train = features.fit_transform([X[i] for i in train])
            X_test = features.transform([X[i] for i in test])
            extraction_time.append(time.perf_counter() - start)
            base = {"fold": fold, "n_train": len(train), "n_test": len(test)}
            probas, fit_times, n_params = [], [], []
            for arch in archs:
                overall.set_description(f"fold {fold + 1}/{len(splits)} {arch}")
                bar = tqdm(total=params.get("epochs", SERClassifier().epochs), desc="epochs",
                           unit="epoch", leave=False, disable=not progress, position=1)
                callbacks = [*(params.get("callbacks") or []), EpochProgress(bar)]
                clf = SERClassifier(arch=arch, **{**params, "callbacks": callbacks})
                try:
                    start = time.perf_counter()
                    clf.fit(X_train, y[train])
                    fit_time = time.perf_counter() - start
                finally:
                    bar.close()
                proba = clf.predict_proba(X_test)
                y_pred = clf.classes_[proba.argmax(axis=1)]
                confusion[arch] += confusion_matrix(y[test], y_pred, labels=labels)
                final = clf.final_metrics_
                records.append({
                    "model": arch, **base,
                    "train_accuracy": final["accuracy"], "val_accuracy": final["val_accuracy"],
                    "train_loss": final["loss"], "val_loss": final["val_loss"],
                    **_scores(y[test], y_pred),
                    "fit_time": fit_time, "n_params": _trainable_params(clf.model_),
                    "epochs": len(clf.history_["loss"]),
                })
                histories[arch].append(clf.history_)
                probas.append(proba)
                fit_times.append(fit_time)
                n_params.append(records[-1]["n_params"])
                classes = clf.classes_
                overall.update(1)
            if ensemble:
                # every architecture of a fold saw the same y, hence the same classes_ order
                y_pred = classes[np.mean(probas, axis=0).argmax(axis=1)]
                confusion[ENSEMBLE] += confusion_matrix(y[test], y_pred, labels=labels)
                records.append({
                    "model": ENSEMBLE, **base,
                    "train_accuracy": np.nan, "val_accuracy": np.nan,
                    "train_loss": np.nan, "val_loss": np.nan,
                    **_scores(y[test], y_pred),
                    "fit_time": float(np.sum(fit_times)), "n_params": int(np.sum(n_params)),
                    "epochs": np.nan,
                })
    finally:
        overall.close()
    folds = pd.DataFrame.from_records(records)
    folds["epochs"] = folds["epochs"].astype("Int64")  # missing for the ensemble
    order = {m: i for i, m in enumerate(confusion)}
    folds = folds.sort_values(["model", "fold"], key=lambda c: c.map(order) if c.name == "model"
                              else c, kind="stable").reset_index(drop=True)
    return StudyResult(
        folds=folds,
        summary=summarize_folds(folds),
        labels=[str(label) for label in labels],
        confusion=confusion,
        histories=histories,
        extraction_time=extraction_time,
    )
