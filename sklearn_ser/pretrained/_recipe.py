"""The recipe of the pretrained model, and its adaptation to a user's unlabelled recordings.

:func:`recipe` is the unfitted Pipeline behind :func:`~sklearn_ser.load_pretrained`: frozen
Whisper-encoder features, a standardisation, a linear head. What a user trains on their own
corpus with their own labels. :func:`adapt` re-estimates the standardisation of a fitted
pipeline on recordings without labels, which is where most of the distance between corpora
lies (microphones, rooms, languages, speakers): the head stays as it was trained.
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from .. import defaults

__all__ = ["RECIPE_C", "RECIPE_LAYER", "adapt", "recipe"]

#: The encoder layer and the inverse L2 strength of the head, chosen on validation speakers
#: and corpora inside the training data (docs/accuracy.rst, "Whisper's encoder").
RECIPE_LAYER = defaults.WHISPER_LAYER
RECIPE_C = 0.01


def recipe(*, layer=RECIPE_LAYER, C=RECIPE_C, random_state=0, **whisper_params) -> Pipeline:
    """The pretrained model's recipe, unfitted: audio in, any label set out.

    ``Pipeline([("features", WhisperTransformer(layer=layer, pooling="mean_std")),
    ("scale", StandardScaler()), ("clf", LogisticRegression(C=0.01,
    class_weight="balanced"))])``: the mean and standard deviation over a clip's frames of
    one layer of Whisper's encoder, standardised, and a multinomial logistic regression
    whose classes weigh equally whatever their counts. Fitting it trains the head only (a
    few seconds once the clips are embedded); cross-validating it embeds each clip once
    (see :class:`~sklearn_ser.WhisperTransformer`).

    Parameters
    ----------
    layer : int, default=3
        Encoder layer (:class:`~sklearn_ser.WhisperTransformer`'s ``layer``).
    C : float, default=0.01
        Inverse L2 strength of the logistic regression: 1,024 correlated features and a
        few thousand clips want a strong penalty.
    random_state : int, RandomState instance or None, default=0
        The logistic regression's seed.
    **whisper_params
        Other parameters of the :class:`~sklearn_ser.WhisperTransformer`
        (``input_sr``, ``duration``, ``top_db``, ``model_dir``, ...).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted; its steps are named ``features``, ``scale`` and ``clf``.

    See Also
    --------
    adapt : Re-estimate the standardisation on unlabelled recordings.
    sklearn_ser.load_pretrained : This recipe trained on three corpora.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.pretrained import recipe
    >>> rng = np.random.default_rng(0)
    >>> X = [0.1 * rng.standard_normal(16000) * (1 + 4 * (i % 2)) for i in range(8)]
    >>> y = ["calm", "loud"] * 4
    >>> model = recipe().fit(X, y)
    >>> model.predict(X[:2]).tolist()
    ['calm', 'loud']
    """
    from ..transformers.whisper import WhisperTransformer

    return Pipeline([
        ("features", WhisperTransformer(layer=layer, pooling="mean_std", **whisper_params)),
        ("scale", StandardScaler()),
        ("clf", LogisticRegression(C=C, class_weight="balanced", max_iter=2000,
                                   random_state=random_state)),
    ])


def _scale_index(model) -> int:
    if not isinstance(model, Pipeline):
        raise TypeError(f"adapt needs a fitted Pipeline (such as load_pretrained() or a "
                        f"fitted recipe()); got {type(model).__name__}.")
    check_is_fitted(model)
    for i, (_, step) in enumerate(model.steps[:-1]):
        if isinstance(step, StandardScaler):
            return i
    raise ValueError(
        "adapt re-estimates the pipeline's StandardScaler, and this pipeline has none "
        f"(steps: {', '.join(name for name, _ in model.steps)}); build it with recipe().")


def adapt(model, X, groups=None):
    """A copy of a fitted pipeline standardised with the statistics of unlabelled recordings.

    The pipeline's :class:`~sklearn.preprocessing.StandardScaler` is re-fitted on the
    features of ``X``: the mean and scale of the recordings the model will judge replace
    those of its training corpora. Nothing else changes, no label is used, and ``model``
    itself is untouched. Adapt on a few dozen recordings or more, of several emotions:
    the statistics of a handful of clips, or of one emotion only, move the model's
    decisions rather than correct them.

    Parameters
    ----------
    model : Pipeline
        Fitted, with a StandardScaler before its final step (:func:`recipe`,
        :func:`~sklearn_ser.load_pretrained`).
    X : sequence of path-like or waveforms
        The user's recordings, as the pipeline's first step reads them.
    groups : array-like of shape (n_samples,) or None, default=None
        Speaker of each recording. Given, each speaker gets their own statistics: the result
        is a dict from speaker to that speaker's adapted copy.

    Returns
    -------
    adapted : Pipeline or dict of Pipeline
        The adapted copy; a dict ``{speaker: copy}`` when ``groups`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.pretrained import adapt, recipe
    >>> rng = np.random.default_rng(0)
    >>> X = [0.1 * rng.standard_normal(16000) * (1 + 4 * (i % 2)) for i in range(8)]
    >>> model = recipe().fit(X, ["calm", "loud"] * 4)
    >>> adapted = adapt(model, X[4:])
    >>> adapted is model, adapted.predict(X[:2]).shape
    (False, (2,))
    >>> sorted(adapt(model, X, groups=["a", "b"] * 4))
    ['a', 'b']
    """
    index = _scale_index(model)
    features = model[:index].transform(X) if index else X
    if groups is None:
        return _with_scaler(model, index, features)
    groups = np.asarray(groups)
    if groups.shape != (len(features),):
        raise ValueError(f"groups has shape {groups.shape}; it needs one speaker per "
                         f"recording of X ({len(features)}).")
    return {g: _with_scaler(model, index, features[groups == g])
            for g in dict.fromkeys(groups.tolist())}


def _with_scaler(model, index, features):
    adapted = copy.deepcopy(model)
    name, scaler = adapted.steps[index]
    adapted.steps[index] = (name, clone(scaler).fit(features))
    return adapted
