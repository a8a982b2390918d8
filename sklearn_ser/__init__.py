"""sklearn-ser: Speech Emotion Recognition that speaks scikit-learn.

Public names: :class:`AudioFeatureTransformer`, :class:`SERClassifier`,
:class:`OpenSmileTransformer`, :class:`SpeechEmbeddingTransformer`, :func:`save`,
:func:`load` and :func:`load_pretrained`; corpora in :mod:`sklearn_ser.datasets`, splitters in
:mod:`sklearn_ser.model_selection`.
"""

import importlib

__version__ = "0.1.0.dev0"

# Public name -> the module that defines it, imported on first use: TensorFlow takes seconds
# to import, the optional extras (opensmile, torch/transformers) may be missing, and joblib
# workers, which only need sklearn_ser.clip_pipeline, would otherwise import everything.
_LAZY = {
    "AudioFeatureTransformer": ".transformer",
    "OpenSmileTransformer": ".smile",
    "SERClassifier": ".classifier",
    "SpeechEmbeddingTransformer": ".embeddings",
    "load": ".persistence",
    "load_pretrained": ".pretrained",
    "save": ".persistence",
}

__all__ = [*sorted(_LAZY), "__version__"]


def __dir__():
    return sorted(set(globals()) | set(__all__))


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'sklearn_ser' has no attribute {name!r}")
