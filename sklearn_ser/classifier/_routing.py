"""Routed parameters of SERClassifier (scikeras's ``<prefix>__<name>`` convention).

``model__dropout=0.3`` goes to the architecture builder, ``optimizer__learning_rate=3e-4`` to
the optimizer, and so on. This module sorts a classifier's parameters by prefix, refuses the
names the classifier sets itself, and checks architecture hyperparameters against the
builder's signature, so that a typo fails before training instead of being ignored.
"""

from __future__ import annotations

from ..models import HYPERPARAMETERS, builder_hyperparameters, get_builder

__all__ = ["ROUTING_PREFIXES", "architecture", "routed_params"]

#: Prefixes a SERClassifier understands.
ROUTING_PREFIXES = ("model", "optimizer", "loss", "metrics", "callbacks", "compile", "fit",
                    "predict")
# ``fit__<name>`` parameters that reach training; the others are set by fit itself.
_ROUTED_FIT_ARGS = frozenset({"batch_size", "shuffle", "validation_batch_size"})
_ROUTED_PREDICT_ARGS = frozenset({"batch_size"})


def routed_params(params: dict, named, owner: str) -> dict:
    """``{prefix: {name: value}}`` of the routed parameters in ``params``.

    Parameters
    ----------
    params : dict
        ``get_params(deep=False)`` of the classifier.
    named : set of str
        The classifier's own (not routed) parameter names.
    owner : str
        Class name, for the error messages.

    Returns
    -------
    routed : dict of str to dict
        One dict per prefix of :data:`ROUTING_PREFIXES`.

    Examples
    --------
    >>> from sklearn_ser.classifier._routing import routed_params
    >>> routed = routed_params({"epochs": 3, "model__dropout": 0.2}, {"epochs"}, "SERClassifier")
    >>> routed["model"]
    {'dropout': 0.2}
    """
    routed = {prefix: {} for prefix in ROUTING_PREFIXES}
    for key, value in params.items():
        if key in named:
            continue
        prefix, sep, name = key.partition("__")
        if not sep or prefix not in routed or not name:
            raise ValueError(
                f"Unknown parameter {key!r} for {owner}. Architecture hyperparameters are "
                f"routed with the 'model__' prefix (e.g. model__{key}={value!r}); other "
                f"routed prefixes are {', '.join(p + '__' for p in ROUTING_PREFIXES[1:])}."
            )
        routed[prefix][name] = value
    bad_fit = set(routed["fit"]) - _ROUTED_FIT_ARGS
    if bad_fit:
        raise ValueError(
            f"Routed parameter(s) {sorted('fit__' + k for k in bad_fit)} cannot be set: "
            f"{owner} controls them (use the parameters epochs, validation_fraction, "
            "class_weight, callbacks). In particular a Keras validation_split would split "
            "unrolled views, putting copies of one clip on both sides. Allowed: "
            f"{sorted('fit__' + k for k in _ROUTED_FIT_ARGS)}."
        )
    bad_predict = set(routed["predict"]) - _ROUTED_PREDICT_ARGS
    if bad_predict:
        raise ValueError(
            f"Routed parameter(s) {sorted('predict__' + k for k in bad_predict)} are not "
            "supported; only predict__batch_size is."
        )
    return routed


def architecture(arch, model_params: dict):
    """The builder of ``arch`` and the hyperparameters it receives.

    A name of the shared vocabulary (:data:`~sklearn_ser.models.HYPERPARAMETERS`) that the
    chosen built-in architecture has no layer for is dropped, like ``degree`` in
    :class:`~sklearn.svm.SVC`; any other unknown name is an error. A builder that takes
    ``**kwargs`` receives everything.
    """
    builder = get_builder(arch)
    accepted, takes_any = builder_hyperparameters(builder)
    if takes_any:
        return builder, dict(model_params)
    hyper = {}
    for name, value in model_params.items():
        if name in accepted:
            hyper[name] = value
        elif not (isinstance(arch, str) and name in HYPERPARAMETERS):
            label = arch if isinstance(arch, str) else getattr(builder, "__name__", repr(builder))
            raise ValueError(
                f"Architecture {label!r} has no hyperparameter {name!r} (model__{name}); it "
                f"takes {sorted(accepted)}."
            )
    return builder, hyper
