"""SERClassifier: the Keras architectures as scikit-learn classifiers, via scikeras.

The estimator (``_estimator``) validates what it is given (``_input``), sorts its routed
parameters (``_routing``) and trains with the pieces in ``_training``; ``_inference`` is its
predict side, which :class:`NumpySERClassifier` (``_numpy_runtime``) shares to predict
without TensorFlow. ``_fine_tune`` continues the training of a fitted network (what
:func:`sklearn_ser.pretrained.fine_tune` runs) and :class:`EpochProgress` (``_progress``)
reports training epochs. Names are imported on first use: ``SERClassifier`` and
``EpochProgress`` need Keras, ``NumpySERClassifier`` does not.
"""

from ..utils import _lazy

_LAZY = {
    "EpochProgress": "._progress",
    "SERClassifier": "._estimator",
    "NumpySERClassifier": "._numpy_runtime",
}

__all__ = sorted(_LAZY)

# What sklearn_ser.load builds for a stored SERClassifier with runtime="numpy" (the
# persistence protocol, sklearn_ser.persistence._classes): read from this module because
# importing it, unlike SERClassifier, loads no TensorFlow.
_PERSISTENCE_STAND_INS = {"SERClassifier": {"numpy": "NumpySERClassifier"}}

__getattr__, __dir__ = _lazy.lazy_attributes(__name__, _LAZY, globals())
