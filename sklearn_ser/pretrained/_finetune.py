"""Fine-tuning: continue training a fitted model's network on a user's clips.

:class:`~sklearn_ser.SERClassifier` builds a new network on every ``fit``. Fine-tuning keeps
the fitted network (its weights, its standardisation statistics and its classes) and trains it
further, with a small learning rate, on the views of the new clips; this is what a user with a
small corpus of the same emotions wants from a model trained on thousands of clips.
"""

from __future__ import annotations

import copy
import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.class_weight import compute_sample_weight
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
    import keras

    from ..classifier._training import ViewBatches, compile_arguments, seeded

    check_is_fitted(classifier, "model_")
    _check_number("epochs", epochs, Integral, 1)
    _check_number("learning_rate", learning_rate, Real, 0)
    if views_per_epoch is not None:
        _check_number("views_per_epoch", views_per_epoch, Integral, 1)
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

    tuned = copy.deepcopy(classifier)
    targets = tuned.target_encoder_.transform(y)
    weights = (None if tuned.class_weight is None
               else compute_sample_weight(tuned.class_weight, y).astype(np.float32))
    seed = None if random_state is None else int(random_state)
    batches = ViewBatches(X, np.arange(X.shape[0]), targets, weights,
                          views_per_epoch=X.shape[1] if views_per_epoch is None
                          else views_per_epoch, batch_size=tuned.batch_size, seed=seed,
                          mixup=tuned.mixup)
    kwargs = tuned._scikeras_compile_kwargs()
    optimizer = keras.optimizers.get(kwargs["optimizer"])
    config = optimizer.get_config()
    config["learning_rate"] = float(learning_rate)
    kwargs["optimizer"] = type(optimizer).from_config(config)
    n_steps = epochs * len(batches)
    with seeded(seed):
        tuned.model_.compile(**compile_arguments(kwargs, "cosine", n_steps))
        history = tuned.model_.fit(batches, epochs=epochs, verbose=tuned.verbose,
                                   shuffle=False)
    tuned.history_ = {key: [float(v) for v in values]
                      for key, values in history.history.items()}
    tuned.best_epoch_ = len(tuned.history_["loss"]) - 1
    tuned.final_metrics_ = {key: tuned.history_[key][-1] if key in tuned.history_ else math.nan
                            for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
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
