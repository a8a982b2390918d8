"""What SERClassifier accepts: feature arrays in three shapes, labels, weights, and the
clip-level validation split, each checked with an error that says what to pass instead."""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

__all__ = ["clip_weights", "training_rows", "validate_fit_input", "validate_predict_input",
           "validation_split"]


def _ndim(X) -> int:
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        try:
            ndim = np.asarray(X).ndim
        except ValueError:
            raise ValueError(
                "X must be an array of equal-shape samples: (n_samples, n_frames, "
                "n_features) sequences, (n_samples, n_views, n_frames, n_features) "
                "training views, or (n_samples, n_features) rows."
            ) from None
    return ndim

def validate_fit_input(estimator, X, y):
    """Validated float32 X as (n_clips, n_views, n_frames, n_features), and 1-D y."""
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    ndim = _ndim(X)
    if ndim > 4:
        raise ValueError(
            f"X has {ndim} dimensions; expected (n_samples, n_features), (n_samples, "
            "n_frames, n_features) or, for training views, (n_samples, n_views, "
            "n_frames, n_features)."
        )
    X, y = validate_data(estimator, X, y, reset=True, allow_nd=True, dtype=np.float32)
    if X.ndim == 2:
        X = X[:, np.newaxis, np.newaxis, :]
    else:
        if X.ndim == 3:
            X = X[:, np.newaxis]
        if 0 in X.shape:
            raise ValueError(f"X has an empty axis: shape {X.shape}.")
        # validate_data counted axis 1 (frames or views); the features are the last axis
        estimator.n_features_in_ = X.shape[-1]
    if y.dtype == object:
        missing = [i for i, label in enumerate(y) if label is None]
        if missing:
            raise ValueError(
                f"y holds {len(missing)} missing label(s) (None), at positions "
                f"{missing[:5]}{' ...' if len(missing) > 5 else ''}: every clip needs a label."
            )
    check_classification_targets(y)
    return X, y

def validate_predict_input(estimator, X):
    """Validated float32 ``(n_samples, *input_shape_)``; clear errors for the rest."""
    check_is_fitted(estimator)
    ndim = _ndim(X)
    if ndim == 4:
        raise ValueError(
            f"X has 4 dimensions {np.shape(X)}: (n_samples, n_views, n_frames, "
            "n_features) views are for training only. Predict on clean clips, "
            "(n_samples, n_frames, n_features), as AudioFeatureTransformer.transform "
            "returns."
        )
    if ndim <= 2:
        X = validate_data(estimator, X, reset=False, dtype=np.float32)
        shape = X.shape
        X = X[:, np.newaxis, :]
    elif ndim == 3:
        X = check_array(X, allow_nd=True, dtype=np.float32)
        shape = X.shape
    else:
        raise ValueError(f"X has {ndim} dimensions; expected 3-D (n_samples, n_frames, "
                         "n_features).")
    if X.shape[1:] != estimator.input_shape_:
        n_frames, n_features = estimator.input_shape_
        raise ValueError(
            f"X has samples of {X.shape[1]} frames x {X.shape[2]} features (X.shape = "
            f"{shape}), but {type(estimator).__name__} was fitted on {n_frames} frames x "
            f"{n_features} features. Extract the features with the same settings as for "
            "training (same duration, hop_length and feature list)."
        )
    return X

def clip_weights(sample_weight, X, y, class_weight):
    """Per-clip weights (sample_weight x class weights), or None when all are one."""
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                             ensure_non_negative=True)
        if not np.any(sample_weight > 0):
            raise ValueError("sample_weight is zero for every sample: nothing to train on.")
    if class_weight is not None:
        class_w = compute_sample_weight(class_weight, y)
        sample_weight = class_w if sample_weight is None else sample_weight * class_w
    return sample_weight


def training_rows(X, y, sample_weight, class_weight, *, owner):
    """Rows of X to train on, with their labels and weights; zero weight removes a clip.

    Rows are indices, because ``X[keep]`` would copy a disk-backed X whole. ``owner`` is the
    class name for the error when fewer than two classes keep a non-zero weight.
    """
    weights = clip_weights(sample_weight, X, y, class_weight)
    rows = np.arange(y.shape[0])
    if weights is not None and np.any(weights == 0):
        rows = np.flatnonzero(weights > 0)
        y, weights = y[rows], weights[rows]
    present = np.unique(y)
    if present.size < 2:
        raise ValueError(
            f"{owner} needs clips of at least 2 classes to learn from; "
            f"y has 1 class with non-zero weight: {present.tolist()[0]!r}."
        )
    return rows, y, weights


def validation_split(y, fraction, seed):
    """Indices of training and validation clips (stratified, before views are unrolled)."""
    n = y.shape[0]
    if not fraction:
        return np.arange(n), None
    labels, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        raise ValueError(
            f"validation_fraction={fraction} splits a validation set off "
            "by clip, stratified by label, which needs at least 2 clips of every class; "
            f"class {labels.tolist()[counts.argmin()]!r} has {counts.min()}. Pass "
            "validation_fraction=None to train without a validation set."
        )
    n_val = max(math.ceil(fraction * n), labels.size)
    if n - n_val < labels.size:
        raise ValueError(
            f"{n} clips of {labels.size} classes are too few for validation_fraction="
            f"{fraction}: both the training and the validation set need "
            "a clip of every class. Pass validation_fraction=None or more clips."
        )
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
    train, val = next(splitter.split(np.zeros(n), y))
    return np.sort(train), np.sort(val)

# ------------------------------------------------------------------ model and training
