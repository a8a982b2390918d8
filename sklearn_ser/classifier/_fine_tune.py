"""Continued training of a fitted SERClassifier's network on new clips (fine-tuning).

``fit`` always builds a new network. Continuing keeps the fitted one (its weights, the
standardisation statistics of the original training data and the output layer, hence the
classes) and trains it further with the pieces ``fit`` uses (:mod:`._training`), so the
batches, the seeding, the schedule and the training summary are those of a fit.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_is_fitted

from ._inference import single_frame_quiet
from ._training import ViewBatches, compile_arguments, history_summary, seeded

__all__ = ["continue_training"]


def _fine_tune_input(classifier, X, y):
    """``(X, y)`` as 4-D float32 views and a label array, checked against the classifier."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 3:
        X = X[:, None]
    if X.ndim != 4 or tuple(X.shape[2:]) != tuple(classifier.input_shape_):
        raise ValueError(
            f"X has shape {X.shape}; fine-tuning needs (n_clips, n_views, "
            f"{', '.join(map(str, classifier.input_shape_))}): the frames and features the "
            "classifier was trained on (use its pipeline's feature step).")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y has shape {y.shape}; expected ({X.shape[0]},), one label per clip.")
    unknown = sorted(set(y.tolist()) - set(classifier.classes_.tolist()))
    if unknown:
        raise ValueError(
            f"y holds label(s) {unknown} the classifier does not know (its classes: "
            f"{classifier.classes_.tolist()}). Fine-tuning keeps the output layer: map your "
            "labels onto these classes, or train a new SERClassifier for other emotions.")
    return X, y


def continue_training(classifier, X, y, *, epochs, learning_rate, views_per_epoch=None,
                      seed=None):
    """Train a fitted classifier's network further on ``(X, y)``, in place.

    Adam (or the classifier's optimizer) follows the cosine schedule of ``fit`` peaking at
    ``learning_rate``, with the classifier's class weights, batch size and mixup; there is
    no validation split (the new corpus is usually small). ``history_``, ``best_epoch_`` and
    ``final_metrics_`` then describe the continued training.

    Parameters
    ----------
    classifier : SERClassifier
        A fitted classifier; changed in place (copy it first to keep the original).
    X : array-like of shape (n_clips, n_views, n_frames, n_features) or \
(n_clips, n_frames, n_features)
        Features of the new clips, with the classifier's frame and feature shape.
    y : array-like of shape (n_clips,)
        Labels of the new clips, among ``classifier.classes_``.
    epochs : int
        Passes over the new clips.
    learning_rate : float
        Peak learning rate.
    views_per_epoch : int or None, default=None
        Views of each clip per epoch; None uses every view.
    seed : int or None, default=None
        Seed of the view draws, the shuffling and dropout.

    Returns
    -------
    classifier : SERClassifier
        The same classifier, trained further.

    Raises
    ------
    ValueError
        If ``X`` does not have the classifier's frame and feature shape, or ``y`` holds a
        label the classifier does not know.
    """
    check_is_fitted(classifier, "model_")
    X, y = _fine_tune_input(classifier, X, y)
    targets = classifier.target_encoder_.transform(y)
    weights = (None if classifier.class_weight is None
               else compute_sample_weight(classifier.class_weight, y).astype(np.float32))
    batches = ViewBatches(X, np.arange(X.shape[0]), targets, weights,
                          views_per_epoch=X.shape[1] if views_per_epoch is None
                          else views_per_epoch, batch_size=classifier.batch_size, seed=seed,
                          mixup=classifier.mixup)
    # the fine-tuning rate replaces the optimizer's own, as the library default does in fit
    arguments = compile_arguments(classifier._scikeras_compile_kwargs(), "cosine",
                                  epochs * len(batches), default_learning_rate=learning_rate)
    with seeded(seed), single_frame_quiet(classifier.input_shape_[0]), batches:
        classifier.model_.compile(**arguments)
        history = classifier.model_.fit(batches, epochs=epochs, verbose=classifier.verbose,
                                        shuffle=False)
    classifier.history_, classifier.best_epoch_, classifier.final_metrics_ = (
        history_summary(history, stopper=None))
    return classifier
