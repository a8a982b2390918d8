"""compare_architectures: the study's plan, its resumable loop over (fold, model), its result."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .. import defaults
from ..classifier import SERClassifier
from ..models import ARCHITECTURES
from ..utils._names import check_names
from ..utils.progress import Progress, is_terminal
from ._checkpoint import Checkpoint, _digest, config_key, data_fingerprint
from ._fit import (
    EpochBar,
    FoldFeatures,
    fit_architecture,
    fit_baseline,
    make_splits,
    shares_features,
)
from ._result import ENSEMBLE, StudyResult, assemble

__all__ = ["compare_architectures", "study_settings"]

#: Parameters that change how a study runs, never what it computes: not in its key.
_RUN_ONLY = ("callbacks", "verbose", "n_jobs", "memory")


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


def _check_data(X, y, groups):
    y, groups = np.asarray(y), np.asarray(groups)
    if y.shape[0] != len(X) or groups.shape[0] != len(X):
        raise ValueError(
            f"X, y and groups must have one entry per clip; got {len(X)}, {y.shape[0]} and "
            f"{groups.shape[0]}."
        )
    return y, groups


def study_settings(X, y, groups, *, archs, baselines, ensemble, cv, splits, params,
                   transformer, random_state) -> dict:
    """Everything a study's results depend on: the configuration a checkpoint is keyed by.

    The data enter by a digest of every clip, label and speaker; the folds by their test
    clips; the estimators by their parameters (those that only change how the work runs,
    such as ``n_jobs``, ``verbose`` or a cache folder, are left out).
    """
    def own(estimator):
        return {k: v for k, v in estimator.get_params(deep=False).items()
                if k not in _RUN_ONLY}

    return {
        "data": data_fingerprint(X, y, groups),
        "cv": cv if isinstance(cv, Integral) else " ".join(repr(cv).split()),
        "folds": {"n_folds": len(splits),
                  "digest": _digest(*(",".join(map(str, test)) for _, test in splits))},
        "archs": list(archs),
        "baselines": {name: " ".join(repr(est).split()) for name, est in baselines.items()},
        "ensemble": ensemble,
        "random_state": random_state,
        "classifier": {k: v for k, v in own(SERClassifier(**params)).items() if k != "arch"},
        "transformer_class": type(transformer).__name__,
        "transformer": own(transformer),
    }


def _restore(folder, settings, units, what):
    """(checkpoint, restored results, what to tell the user) of ``folder``."""
    if folder is None:
        return None, {}, []
    store = Checkpoint(folder, settings)
    messages = []
    if store.status == "fresh":
        messages.append(f"starting fresh in {folder}: the settings changed since the "
                        f"{store.n_discarded} result(s) saved there ({'; '.join(store.changes)})"
                        "; they are discarded")
    found = {u: r for u in units if (r := store.load(*u)) is not None}
    if found:
        messages.append(f"resuming: {len(found)} of {len(units)} {what} results found in "
                        f"{folder}")
    return store, found, messages


def compare_architectures(X, y, groups, *, archs=tuple(ARCHITECTURES), cv=3,
                          transformer=None, classifier_params: Mapping | None = None,
                          baselines: Mapping | None = None, ensemble=True, random_state=0,
                          checkpoint=None, extract_once="auto", progress=False,
                          progress_file=None) -> StudyResult:
    """Train several architectures with speaker-independent cross-validation.

    Per fold, every architecture is trained on the same features and scored on the held-out
    speakers; that is exactly what ``cross_validate(Pipeline([transformer,
    SERClassifier(arch=a)]))`` computes for each architecture ``a``, with the feature
    extraction done once instead of once per architecture.

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
        Frame features of the architectures, e.g. :class:`~sklearn_ser.AudioFeatureTransformer`,
        ``OpenSmileTransformer(level="lld", duration=...)`` or Whisper encoder frames; None
        uses ``AudioFeatureTransformer`` with the seed's five augmentations.
    classifier_params : mapping, default=None
        Parameters of every :class:`~sklearn_ser.SERClassifier` (e.g. ``epochs``,
        ``views_per_epoch``, ``optimizer__learning_rate``); ``arch`` is set per model.
    baselines : mapping of str to estimator, default=None
        Classical rows beside the architectures, by name: scikit-learn estimators that
        take the clips themselves, i.e. a Pipeline starting with its own feature
        transformer. Each is cloned, fitted on the training clips of every fold and scored
        on its held-out clips, like the architectures; it is not part of the ensemble.
    ensemble : bool, default=True
        Add a soft-voting ensemble row: the mean of the architectures' ``predict_proba``
        (only with at least one architecture).
    random_state : int, default=0
        Seeds the folds and every classifier (unless ``classifier_params`` sets one).
    checkpoint : str or path-like, default=None
        Folder where every finished (model, fold) is saved the moment it is done (scores,
        test probabilities, training history; one file each, written atomically). A study
        run again with the same folder and the same configuration (data, folds, models,
        parameters, seed) restores those results and computes only the missing ones; with
        any other configuration it deletes them and starts afresh, saying which setting
        changed. None saves nothing.
    extract_once : bool or "auto", default="auto"
        Extract the features of every clip once, shared by all folds (training rows with
        their augmented views, test rows' clean view), instead of per fold. Only right for
        a transformer whose ``fit`` learns nothing from the audio and whose views are
        seeded per clip; "auto" does it for the library's own feature transformers.
    progress : bool, default=False
        Report progress on ``progress_file``: one line per finished model with its fold UAR
        and the study's ETA; on a terminal also a bar per level (models, epochs, clips of
        the feature extraction); elsewhere (a log file, CI, a pipe) the epochs of a model
        every 30 s as plain lines (:class:`~sklearn_ser.utils.progress.Progress`).
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

    With architectures (a network per fold and architecture, too slow for this page), saved
    as they finish so that running it again after an interruption resumes:

    >>> result = compare_architectures(
    ...     data.X, data.y, data.groups, archs=["cnn", "cnn_gru"], cv=2,
    ...     transformer=AudioFeatureTransformer(duration=1.0),
    ...     classifier_params={"epochs": 2}, checkpoint="study_checkpoint",
    ...     baselines={"stats+svc": stats_svc})  # doctest: +SKIP
    >>> result.summary.index.tolist()  # doctest: +SKIP
    ['cnn', 'cnn_gru', 'ensemble', 'stats+svc']
    """
    plan = _plan(X, y, groups, archs=archs, cv=cv, transformer=transformer,
                 classifier_params=classifier_params, baselines=baselines, ensemble=ensemble,
                 random_state=random_state, extract_once=extract_once)
    started = time.perf_counter()
    units = [(m, k) for k in range(len(plan.splits)) for m in [*plan.archs, *plan.baselines]]
    what = "(model, fold)" if plan.baselines else "(architecture, fold)"
    store, results, messages = _restore(checkpoint, plan.settings, units, what)
    n_resumed = len(results)
    overall = Progress(len(units), "study", unit="model", enabled=progress,
                       file=progress_file, every_update=True, initial=n_resumed)
    for message in messages:
        overall.write(message)
    # the transformer's own per-clip bar only where bars stay readable
    features = FoldFeatures(X, plan.transformer, plan.splits, once=plan.once,
                            verbose=int(progress and is_terminal(overall.file)),
                            log=overall.write)
    with overall:
        _train_missing(plan, X, [u for u in units if u not in results], results, store,
                       features, overall)
    return _study_result(plan, results, features, total=time.perf_counter() - started,
                         n_resumed=n_resumed)


@dataclass
class _Plan:
    """A study's validated inputs: what to train, on which folds, with which parameters."""

    archs: list
    baselines: dict
    ensemble: bool
    y: np.ndarray
    labels: list
    label_index: dict
    splits: list
    params: dict
    transformer: object
    once: bool
    settings: dict


def _plan(X, y, groups, *, archs, cv, transformer, classifier_params, baselines, ensemble,
          random_state, extract_once) -> _Plan:
    """Judge every input before any work, and fix the folds and the settings' key."""
    archs = ([] if baselines and not list(archs) else
             check_names(archs, ARCHITECTURES, what="architecture", param="archs"))
    baselines = _check_baselines(baselines, archs)
    ensemble = bool(ensemble and archs)
    y, groups = _check_data(X, y, groups)
    if transformer is None:
        from ..transformers.audio_features import AudioFeatureTransformer

        transformer = AudioFeatureTransformer(augment=defaults.AUGMENTATIONS,
                                              random_state=random_state)
    once = shares_features(transformer, extract_once)
    params = {"random_state": random_state, **(classifier_params or {})}
    params.pop("arch", None)
    labels = sorted(np.unique(y).tolist())
    splits = make_splits(cv, y, groups, random_state)
    settings = study_settings(X, y, groups, archs=archs, baselines=baselines,
                              ensemble=ensemble, cv=cv, splits=splits, params=params,
                              transformer=transformer, random_state=random_state)
    return _Plan(archs, baselines, ensemble, y, labels,
                 {label: i for i, label in enumerate(labels)}, splits, params, transformer,
                 once, settings)


def _train_missing(plan, X, todo, results, store, features, overall):
    """Fit and score every (model, fold) of ``todo``, saving each as soon as it is done."""
    epochs = EpochBar(plan.params.get("epochs", SERClassifier().epochs),
                      enabled=overall.enabled, file=overall.file)
    for model, fold in todo:
        overall.set_description(f"fold {fold + 1}/{len(plan.splits)} {model}")
        if model in plan.baselines:
            result = fit_baseline(model, plan.baselines[model], fold, X=X, y=plan.y,
                                  split=plan.splits[fold], label_index=plan.label_index)
        else:
            extracted = len(features.times)
            X_train, X_test = features.fold(fold)
            if features.once:  # one-off work: the ETA's pace is the models'
                overall.discount(sum(features.times[extracted:]))
            result = fit_architecture(model, fold, X_train, X_test, y=plan.y,
                                      split=plan.splits[fold], params=plan.params,
                                      label_index=plan.label_index, epoch_progress=epochs)
        if store is not None:
            store.save(result)
        results[model, fold] = result
        overall.update(1, done=f"{model} fold {fold + 1}", uar=result["record"]["uar"])


def _study_result(plan, results, features, *, total, n_resumed) -> StudyResult:
    folds, summary, confusion, histories = assemble(
        results, archs=plan.archs, baselines=plan.baselines, ensemble=plan.ensemble,
        splits=plan.splits, y_index=np.array([plan.label_index[v] for v in plan.y.tolist()]),
        labels=plan.labels)
    extraction = float(sum(features.times))
    classifier = SERClassifier(**plan.params).get_params(deep=False)
    return StudyResult(
        folds=folds, summary=summary, labels=[str(label) for label in plan.labels],
        confusion=confusion, histories=histories, extraction_time=list(features.times),
        total_time=total, phase_times={"extraction": extraction, "training": total - extraction},
        n_resumed=n_resumed,
        settings={
            "archs": list(plan.archs), "ensemble": plan.ensemble, "n_folds": len(plan.splits),
            "baselines": plan.settings["baselines"],
            "random_state": plan.settings["random_state"],
            "classifier": {k: v for k, v in classifier.items() if k not in ("arch", "callbacks")},
            "transformer": plan.transformer.get_params(deep=False),
            "transformer_class": type(plan.transformer).__name__,
            "config_key": config_key(plan.settings),
        },
    )
