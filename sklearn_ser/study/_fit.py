"""One (model, fold) of the study: features, a fit, its scores, as plain data to save."""

from __future__ import annotations

import json
import time
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold

from ..classifier import EpochProgress, SERClassifier
from ..metrics import heldout_scores, trainable_parameters
from ..utils.progress import Progress
from ._result import NO_HISTORY

__all__ = ["FoldFeatures", "fit_architecture", "fit_baseline", "make_splits"]

#: The library's feature transformers: their ``fit`` learns nothing from the audio and a
#: clip's views are seeded by the clip itself, so features of all clips extracted once are
#: exactly each fold's (``fit_transform`` on its training clips, ``transform`` on its test
#: clips, which is view 0, the clean clip).
_STATELESS = ("AudioFeatureTransformer", "OpenSmileTransformer", "WhisperTransformer")


def make_splits(cv, y, groups, random_state):
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


def shares_features(transformer, extract_once) -> bool:
    """Whether the folds can share one extraction of every clip (see :data:`_STATELESS`)."""
    if extract_once == "auto":
        kind = type(transformer)
        return kind.__module__.startswith("sklearn_ser.") and kind.__name__ in _STATELESS
    if not isinstance(extract_once, bool):
        raise ValueError(f"extract_once must be True, False or 'auto', got {extract_once!r}.")
    return extract_once


class FoldFeatures:
    """The architectures' features of each fold, extracted when a fold first needs them.

    With ``once``, every clip is extracted a single time (with its training views) and each
    fold takes its rows: training rows with their views, test rows' clean view 0.
    """

    def __init__(self, X, transformer, splits, *, once, verbose, log):
        self.X, self.transformer, self.splits = X, transformer, splits
        self.once, self.verbose, self.log = once, verbose, log
        self.times = []
        self._all = self._views = None

    def _extract(self, train_clips, test_clips=None):
        """Fitted-transformer features of training clips (with views), then of test clips."""
        features = clone(self.transformer).set_params(verbose=self.verbose)
        start = time.perf_counter()
        out = [features.fit_transform(train_clips)]
        if test_clips is not None:
            out.append(features.transform(test_clips))
        self.times.append(time.perf_counter() - start)
        return out, getattr(features, "n_views_", 1) > 1

    def fold(self, k):
        """(X_train, X_test) of fold ``k``."""
        train, test = self.splits[k]
        if not self.once:
            self.log(f"fold {k + 1}/{len(self.splits)}: extracting features of {len(train)} "
                     f"training and {len(test)} test clips")
            (X_train, X_test), _ = self._extract([self.X[i] for i in train],
                                                 [self.X[i] for i in test])
            return X_train, X_test
        if self._all is None:
            self.log(f"extracting features of all {len(self.X)} clips once, shared by the "
                     f"{len(self.splits)} folds")
            (self._all,), self._views = self._extract([self.X[i] for i in range(len(self.X))])
            self.log(f"features extracted in {self.times[-1]:.0f} s")
        X_test = self._all[test, 0] if self._views else self._all[test]
        return self._all[train], X_test


def _plain_result(result) -> dict:
    """The result as JSON would give it back, so a fresh and a restored one are identical."""
    return json.loads(json.dumps(result, allow_nan=True, default=_to_python))


def _to_python(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def fit_architecture(arch, fold, X_train, X_test, *, y, split, params, label_index,
                     epoch_progress) -> dict:
    """Train ``arch`` on one fold and score it on the held-out speakers."""
    train, test = split
    epoch_progress.reset(f"fold {fold + 1} {arch}")
    callbacks = [*(params.get("callbacks") or []), EpochProgress(epoch_progress.bar)]
    clf = SERClassifier(arch=arch, **{**params, "callbacks": callbacks})
    start = time.perf_counter()
    clf.fit(X_train, y[train])
    fit_time = time.perf_counter() - start
    epoch_progress.close()
    proba = clf.predict_proba(X_test).astype(np.float64)
    y_pred = clf.classes_[proba.argmax(axis=1)]
    final = clf.final_metrics_
    record = {
        "model": arch, "fold": fold, "n_train": len(train), "n_test": len(test),
        "train_accuracy": final["accuracy"], "val_accuracy": final["val_accuracy"],
        "train_loss": final["loss"], "val_loss": final["val_loss"],
        **heldout_scores(y[test], y_pred),
        "fit_time": fit_time, "n_params": trainable_parameters(clf.model_),
        "epochs": len(clf.history_["loss"]),
    }
    return _plain_result({
        "model": arch, "fold": fold, "record": record,
        "classes": [label_index[c] for c in clf.classes_.tolist()],
        "y_pred": [label_index[c] for c in y_pred.tolist()],
        "proba": proba, "history": {k: list(map(float, v)) for k, v in clf.history_.items()},
    })


def _linear_parameters(estimator):
    """Coefficients of a linear final step (coef_ and intercept_), else NaN."""
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    coef = getattr(final, "coef_", None)  # None too for a kernel SVC (coef_ raises)
    if coef is None:
        return np.nan
    return int(np.size(coef) + np.size(getattr(final, "intercept_", 0)))


def fit_baseline(name, estimator, fold, *, X, y, split, label_index) -> dict:
    """Fit a classical pipeline on the training clips of one fold, score its test clips."""
    train, test = split
    model = clone(estimator)
    start = time.perf_counter()
    model.fit([X[i] for i in train], y[train])
    fit_time = time.perf_counter() - start
    y_pred = np.asarray(model.predict([X[i] for i in test]))
    record = {"model": name, "fold": fold, "n_train": len(train), "n_test": len(test),
              **NO_HISTORY, **heldout_scores(y[test], y_pred), "fit_time": fit_time,
              "n_params": _linear_parameters(model)}
    return _plain_result({"model": name, "fold": fold, "record": record,
                          "y_pred": [label_index[c] for c in y_pred.tolist()]})


class EpochBar:
    """The inner progress level of one model's epochs, made anew for every fit."""

    def __init__(self, epochs, *, enabled, file):
        self.epochs, self.enabled, self.file = epochs, enabled, file
        self.bar = None

    def reset(self, desc):
        self.close()
        self.bar = Progress(self.epochs, desc, unit="epoch", level=1,
                            enabled=self.enabled, file=self.file)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
