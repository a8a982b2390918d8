"""Fine-tuning: continue training a fitted model's network on a user's clips.

:class:`~sklearn_ser.SERClassifier` builds a new network on every ``fit``. Fine-tuning keeps
the fitted network (its weights, its standardisation statistics and its classes) and trains it
further, with a small learning rate, on the views of the new clips; this is what a user with a
small corpus of the same emotions wants from a model trained on thousands of clips.
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = ["fine_tune", "fine_tune_classifier"]

#: Peak learning rate of fine-tuning, that of training from scratch: the smaller 1e-4 left
#: the network too close to its training corpus (measured in docs/pretrained.rst).
FINE_TUNE_LEARNING_RATE = 1e-3
FINE_TUNE_EPOCHS = 10


def _check_number(name, value, kind, low):
    if isinstance(value, bool) or not isinstance(value, kind) or not value >= low:
        raise ValueError(f"{name} must be a number >= {low}; got {value!r}.")


def fine_tune_classifier(classifier, X, y, *, epochs=FINE_TUNE_EPOCHS,
                         learning_rate=FINE_TUNE_LEARNING_RATE, views_per_epoch=None,
                         random_state=0):
    """A copy of a fitted :class:`~sklearn_ser.SERClassifier` trained further on ``(X, y)``.

    The copy keeps the network's weights, its standardisation statistics (those of the
    original training data) and its classes; its training continues with Adam and the
    classifier's cosine schedule, peaking at ``learning_rate``, with the classifier's class
    weights. The original classifier is not changed.

    Parameters
    ----------
    classifier : SERClassifier
        A fitted classifier, e.g. ``load_pretrained("cnn_gru")[-1]``.
    X : array-like of shape (n_clips, n_views, n_frames, n_features) or \
(n_clips, n_frames, n_features)
        Features of the new clips, made by the feature step the classifier was trained
        behind (views: ``fit_transform`` of a transformer with augmentations).
    y : array-like of shape (n_clips,)
        Labels of the new clips: a subset of ``classifier.classes_``.
    epochs : int, default=10
        Passes over the new clips.
    learning_rate : float, default=1e-3
        Peak learning rate.
    views_per_epoch : int or None, default=None
        Views of each clip per epoch; None uses every view.
    random_state : int or None, default=0
        Seed of the view draws, the shuffling and dropout.

    Returns
    -------
    classifier : SERClassifier
        The fine-tuned copy.

    Raises
    ------
    ValueError
        If ``X`` does not have the classifier's frame and feature shape, or ``y`` holds a label
        the classifier does not know (fine-tuning keeps the output layer: train a new
        classifier for other emotions).
    """
    check_is_fitted(classifier, "model_")
    _check_number("epochs", epochs, Integral, 1)
    _check_number("learning_rate", learning_rate, Real, 0)
    if views_per_epoch is not None:
        _check_number("views_per_epoch", views_per_epoch, Integral, 1)
    tuned = copy.deepcopy(classifier)
    tuned._continue_training(X, y, epochs=epochs, learning_rate=float(learning_rate),
                             views_per_epoch=views_per_epoch,
                             seed=None if random_state is None else int(random_state))
    return tuned


def fine_tune(X, y, *, model=None, epochs=FINE_TUNE_EPOCHS,
              learning_rate=FINE_TUNE_LEARNING_RATE, views_per_epoch=None, random_state=0):
    """Fine-tune a fitted Pipeline (by default the pretrained ``"cnn_gru"``) on a user's clips.

    The feature step is cloned and fitted on ``X`` (with its augmentations, the training
    views), then :func:`fine_tune_classifier` trains a copy of the classifier on them; the
    returned Pipeline predicts like any other and saves with :func:`sklearn_ser.save`.

    Parameters
    ----------
    X : sequence of path-like or list of 1-D arrays
        Audio clips, as the pipeline's feature step accepts them.
    y : array-like of shape (n_clips,)
        Their labels, among the model's classes.
    model : Pipeline or None, default=None
        A fitted ``Pipeline(AudioFeatureTransformer, SERClassifier)``; None loads
        ``load_pretrained("cnn_gru")``. It is not changed.
    epochs, learning_rate, views_per_epoch, random_state
        See :func:`fine_tune_classifier`.

    Returns
    -------
    pipeline : Pipeline
        A new fitted Pipeline: the feature step and the fine-tuned classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.pretrained import fine_tune
    >>> rng = np.random.default_rng(0)
    >>> clips = [0.1 * rng.standard_normal(16000).astype(np.float32) for _ in range(4)]
    >>> tuned = fine_tune(clips, ["angry", "sad", "angry", "sad"], epochs=1)
    >>> set(tuned.predict(clips)) <= set(tuned.classes_)
    True
    """
    if model is None:
        from . import load_pretrained

        model = load_pretrained("cnn_gru")
    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        raise TypeError("model must be a fitted Pipeline of a feature step and a "
                        f"SERClassifier; got {type(model).__name__}.")
    (name, features), (clf_name, classifier) = model.steps
    features = clone(features)
    views = features.fit_transform(X)
    tuned = fine_tune_classifier(classifier, views, y, epochs=epochs,
                                 learning_rate=learning_rate,
                                 views_per_epoch=views_per_epoch, random_state=random_state)
    return Pipeline([(name, features), (clf_name, tuned)])
