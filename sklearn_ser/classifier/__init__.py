"""SERClassifier: the Keras architectures as scikit-learn classifiers, via scikeras.

The estimator (``_estimator``) validates what it is given (``_input``), sorts its routed
parameters (``_routing``) and trains with the pieces in ``_training``; ``_inference`` is its
predict side, which :class:`NumpySERClassifier` (``_numpy_runtime``) shares to predict
without TensorFlow. Names are imported on first use: only ``SERClassifier`` needs Keras.
"""

import importlib

_LAZY = {
    "SERClassifier": "._estimator",
    "NumpySERClassifier": "._numpy_runtime",
}

__all__ = sorted(_LAZY)


def __dir__():
    return sorted(set(globals()) | set(__all__))


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'sklearn_ser.classifier' has no attribute {name!r}")
