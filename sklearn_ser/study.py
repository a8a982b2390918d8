"""The five-architecture study of the seed recipe, speaker-independent and fold by fold.

:func:`compare_architectures` is what ``sklearn-ser compare`` runs. Per fold it extracts the
features once (``fit_transform`` on the training clips, with their augmented views;
``transform`` on the held-out clips) and trains every architecture on them. That is exactly
what ``cross_validate(Pipeline([transformer, SERClassifier(arch=a)]))`` computes for each
architecture ``a`` (the transformer learns nothing from the audio, and its augmentations are
seeded), with the feature extraction done once instead of once per architecture.

Classical pipelines (``baselines``, e.g. openSMILE functionals and a logistic regression)
are fitted on the same folds, each from the audio with its own feature transformer, and
reported in the same tables, so the table shows what the networks are up against.
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
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedGroupKFold

from . import defaults
from ._names import check_names
from .classifier import SERClassifier
from .models import ARCHITECTURES
from .progress import Progress, is_terminal
from .scores import heldout_scores, summarize_folds, trainable_parameters
from .transformer import AudioFeatureTransformer

__all__ = ["ENSEMBLE", "StudyResult", "compare_architectures"]

#: Name of the soft-voting ensemble row (mean of the architectures' ``predict_proba``).
ENSEMBLE = "ensemble"

#: Figures a baseline has no source for (no Keras history, no epochs).
_NO_HISTORY = {"train_accuracy": np.nan, "val_accuracy": np.nan, "train_loss": np.nan,
               "val_loss": np.nan, "epochs": np.nan}


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
        A baseline row has no history either; its ``fit_time`` includes its own feature
        extraction on the training clips and ``n_params`` counts the coefficients of a
        linear final step (missing otherwise).
    summary : DataFrame
        Mean and std of each metric over folds, one row per model
        (:func:`~sklearn_ser.scores.summarize_folds`).
    labels : list of str
        Class labels, the order of the confusion matrices.
    confusion : dict of str to ndarray
        Confusion matrix per model, summed over folds (rows: true labels).
    histories : dict of str to list of dict
        Keras history of every fold, per architecture.
    extraction_time : list of float
        Seconds of feature extraction per fold (shared by all architectures; empty without
        architectures).
    settings : dict
        What was run: ``archs``, ``baselines`` (name -> the estimator's repr),
        ``ensemble`` (bool), ``n_folds``, ``random_state``,
        ``classifier`` (every parameter of the classifiers except ``arch`` and
        ``callbacks``), ``transformer`` (the feature transformer's parameters) and
        ``transformer_class`` (its class name), so that a report can say how to reproduce
        the result.
    total_time : float
        Seconds the whole study took (extraction, training and prediction).
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    labels: list
    confusion: dict
    histories: dict
    extraction_time: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    total_time: float = 0.0


class EpochProgress(keras.callbacks.Callback):
    """Advances a :class:`~sklearn_ser.progress.Progress` at the end of every epoch.

    The latest training loss and validation accuracy are shown with it.
    """

    def __init__(self, progress):
        super().__init__()
        self.progress = progress

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.progress.update(1, **{k: float(logs[k]) for k in ("loss", "val_accuracy")
                                   if k in logs})


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


def _check_baselines(baselines, archs) -> dict:
    """``baselines`` as a dict of name -> estimator, judged before any work starts."""
    if baselines is None:
        return {}
    if not isinstance(baselines, Mapping):
        raise TypeError(f"baselines must be a mapping of name -> estimator, got "
                        f"{type(baselines).__name__}.")
    for name, estimator in baselines.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"baselines: every name must be a non-empty string, got {name!r}.")
        if name in archs or name == ENSEMBLE:
            raise ValueError(f"baselines: the name {name!r} is already a row of the study "
                             "(an architecture or the ensemble); choose another.")
        if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
            raise TypeError(f"baselines[{name!r}] must be a scikit-learn estimator with fit "
                            f"and predict, got {type(estimator).__name__}.")
    return dict(baselines)


def _linear_parameters(estimator):
    """Coefficients of a linear final step (coef_ and intercept_), else NaN."""
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    coef = getattr(final, "coef_", None)  # None too for a kernel SVC (coef_ raises)
    if coef is None:
        return np.nan
    return int(np.size(coef) + np.size(getattr(final, "intercept_", 0)))


def compare_architectures(X, y, groups, *, archs=tuple(ARCHITECTURES), cv=3,
                          transformer=None, classifier_params: Mapping | None = None,
                          baselines: Mapping | None = None, ensemble=True, random_state=0,
                          progress=False, progress_file=None) -> StudyResult:
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
        Names from :data:`sklearn_ser.models.ARCHITECTURES`; may be empty when
        ``baselines`` are given.
    cv : int or cross-validator, default=3
        Number of :class:`~sklearn.model_selection.StratifiedGroupKFold` folds (shuffled
        with ``random_state``), or a splitter whose ``split(X, y, groups)`` is used as is
        (e.g. :class:`~sklearn_ser.model_selection.LeaveOneCorpusOut` with the corpus of
        each clip as ``groups``).
    transformer : transformer, default=None
        Frame features of the architectures (cloned per fold), e.g.
        :class:`~sklearn_ser.AudioFeatureTransformer` or
        ``OpenSmileTransformer(level="lld", duration=...)``; None uses
        ``AudioFeatureTransformer`` with the seed's five augmentations.
    classifier_params : mapping, default=None
        Parameters of every :class:`~sklearn_ser.SERClassifier` (e.g. ``epochs``,
        ``batch_size``, ``optimizer__learning_rate``); ``arch`` is set per model.
    baselines : mapping of str to estimator, default=None
        Classical rows beside the architectures, by name: scikit-learn estimators that
        take the clips themselves, i.e. a Pipeline starting with its own feature
        transformer (e.g. ``make_pipeline(OpenSmileTransformer("ComParE_2016"),
        StandardScaler(), LogisticRegression(C=0.1, class_weight="balanced"))``). Each is
        cloned, fitted on the training clips of every fold and scored on its held-out
        clips, like the architectures; it is not part of the ensemble.
    ensemble : bool, default=True
        Add a soft-voting ensemble row: the mean of the architectures' ``predict_proba``
        (only with at least one architecture).
    random_state : int, default=0
        Seeds the folds and every classifier (unless ``classifier_params`` sets one).
    progress : bool, default=False
        Report progress on ``progress_file``: on a terminal one bar per level (models with
        the study's ETA, epochs, clips of the feature extraction); elsewhere (a log file,
        CI, a pipe) plain lines every 10 % of the models and every 30 s
        (:class:`~sklearn_ser.progress.Progress`).
    progress_file : text stream, default=None
        Where progress goes; None is ``sys.stderr``.

    Returns
    -------
    result : StudyResult

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.svm import SVC
    >>> from sklearn_ser import AudioFeatureTransformer
    >>> from sklearn_ser.datasets import make_emotional_speech
    >>> from sklearn_ser.study import compare_architectures
    >>> data = make_emotional_speech(n_speakers=4, n_clips_per_emotion=2,
    ...                              emotions=["angry", "sad"], duration=1.0, random_state=0)
    >>> stats_svc = make_pipeline(AudioFeatureTransformer(duration=1.0, output="stats"),
    ...                           StandardScaler(), SVC())
    >>> result = compare_architectures(data.X, data.y, data.groups, archs=[], cv=2,
    ...                                baselines={"stats+svc": stats_svc})
    >>> result.summary.index.tolist(), int(result.summary.loc["stats+svc", "n_folds"])
    (['stats+svc'], 2)

    With architectures (a network per fold and architecture, too slow for this page):

    >>> result = compare_architectures(
    ...     data.X, data.y, data.groups, archs=["cnn", "cnn_gru"], cv=2,
    ...     transformer=AudioFeatureTransformer(duration=1.0),
    ...     classifier_params={"epochs": 2},
    ...     baselines={"stats+svc": stats_svc})  # doctest: +SKIP
    >>> result.summary.index.tolist()  # doctest: +SKIP
    ['cnn', 'cnn_gru', 'ensemble', 'stats+svc']
    """
    archs = ([] if baselines and not list(archs) else
             check_names(archs, ARCHITECTURES, what="architecture", param="archs"))
    baselines = _check_baselines(baselines, archs)
    ensemble = bool(ensemble and archs)
    y = np.asarray(y)
    groups = np.asarray(groups)
    n_clips = len(X)
    if y.shape[0] != n_clips or groups.shape[0] != n_clips:
        raise ValueError(
            f"X, y and groups must have one entry per clip; got {n_clips}, {y.shape[0]} and "
            f"{groups.shape[0]}."
        )
    if transformer is None:
        transformer = AudioFeatureTransformer(augment=defaults.AUGMENTATIONS,
                                              random_state=random_state)
    params = {"random_state": random_state, **(classifier_params or {})}
    params.pop("arch", None)
    labels = sorted(np.unique(y).tolist())
    splits = _splits(cv, y, groups, random_state)

    started = time.perf_counter()
    records, extraction_time = [], []
    confusion = {m: np.zeros((len(labels), len(labels)), dtype=int)
                 for m in [*archs, *([ENSEMBLE] if ensemble else []), *baselines]}
    histories = {a: [] for a in archs}
    epochs = params.get("epochs", SERClassifier().epochs)
    overall = Progress(len(splits) * (len(archs) + len(baselines)), "study", unit="model",
                       enabled=progress, file=progress_file)
    # the transformer's own per-clip bar only where bars stay readable
    verbose = int(progress and is_terminal(overall.file))
    with overall:
        for fold, (train, test) in enumerate(splits):
            where = f"fold {fold + 1}/{len(splits)}"
            # lists of clips, whatever X is (list, object array, 2-D table of waveforms)
            clips_train, clips_test = [X[i] for i in train], [X[i] for i in test]
            base = {"fold": fold, "n_train": len(train), "n_test": len(test)}
            if archs:
                overall.set_description(f"{where} features")
                overall.write(f"{where}: extracting features of {len(train)} training and "
                              f"{len(test)} test clips")
                features = clone(transformer).set_params(verbose=verbose)
                start = time.perf_counter()
                X_train = features.fit_transform(clips_train)
                X_test = features.transform(clips_test)
                extraction_time.append(time.perf_counter() - start)
            probas, fit_times, n_params = [], [], []
            for arch in archs:
                overall.set_description(f"{where} {arch}")
                with Progress(epochs, f"{where} {arch}", unit="epoch", level=1,
                              enabled=progress, file=overall.file) as bar:
                    callbacks = [*(params.get("callbacks") or []), EpochProgress(bar)]
                    clf = SERClassifier(arch=arch, **{**params, "callbacks": callbacks})
                    start = time.perf_counter()
                    clf.fit(X_train, y[train])
                    fit_time = time.perf_counter() - start
                proba = clf.predict_proba(X_test)
                y_pred = clf.classes_[proba.argmax(axis=1)]
                confusion[arch] += confusion_matrix(y[test], y_pred, labels=labels)
                final = clf.final_metrics_
                records.append({
                    "model": arch, **base,
                    "train_accuracy": final["accuracy"], "val_accuracy": final["val_accuracy"],
                    "train_loss": final["loss"], "val_loss": final["val_loss"],
                    **heldout_scores(y[test], y_pred),
                    "fit_time": fit_time, "n_params": trainable_parameters(clf.model_),
                    "epochs": len(clf.history_["loss"]),
                })
                histories[arch].append(clf.history_)
                probas.append(proba)
                fit_times.append(fit_time)
                n_params.append(records[-1]["n_params"])
                classes = clf.classes_
                overall.update(1, done=f"{arch} fold {fold + 1}", uar=records[-1]["uar"])
            if ensemble:
                # every architecture of a fold saw the same y, hence the same classes_ order
                y_pred = classes[np.mean(probas, axis=0).argmax(axis=1)]
                confusion[ENSEMBLE] += confusion_matrix(y[test], y_pred, labels=labels)
                records.append({
                    "model": ENSEMBLE, **base, **_NO_HISTORY,
                    **heldout_scores(y[test], y_pred),
                    "fit_time": float(np.sum(fit_times)), "n_params": int(np.sum(n_params)),
                })
            for name, estimator in baselines.items():
                overall.set_description(f"{where} {name}")
                model = clone(estimator)
                start = time.perf_counter()
                model.fit(clips_train, y[train])
                fit_time = time.perf_counter() - start
                y_pred = np.asarray(model.predict(clips_test))
                confusion[name] += confusion_matrix(y[test], y_pred, labels=labels)
                records.append({
                    "model": name, **base, **_NO_HISTORY, **heldout_scores(y[test], y_pred),
                    "fit_time": fit_time, "n_params": _linear_parameters(model),
                })
                overall.update(1, done=f"{name} fold {fold + 1}", uar=records[-1]["uar"])
    folds = pd.DataFrame.from_records(records)
    folds["epochs"] = folds["epochs"].astype("Int64")  # missing for ensemble and baselines
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
        total_time=time.perf_counter() - started,
        settings={
            "archs": list(archs), "ensemble": ensemble, "n_folds": len(splits),
            "baselines": {name: " ".join(repr(est).split()) for name, est in baselines.items()},
            "random_state": random_state,
            "classifier": {k: v for k, v in SERClassifier(**params).get_params(deep=False).items()
                           if k not in ("arch", "callbacks")},
            "transformer": transformer.get_params(deep=False),
            "transformer_class": type(transformer).__name__,
        },
    )
