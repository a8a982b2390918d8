"""sklearn-ser: Speech Emotion Recognition that speaks scikit-learn.

Public names: :class:`AudioFeatureTransformer`, :class:`SERClassifier`,
:class:`OpenSmileTransformer`, :class:`SpeechEmbeddingTransformer`,
:class:`WhisperTransformer`,
:func:`make_fusion_classifier`, :func:`save`, :func:`load` and :func:`load_pretrained`;
corpora in :mod:`sklearn_ser.datasets`, splitters in :mod:`sklearn_ser.model_selection`.
"""

import os

from .utils import _lazy

# TensorFlow's default CPU allocator hands every large temporary (a convolution's gradient
# buffers: several MB per training step) to malloc, which, depending on how the heap happens
# to be laid out, maps and unmaps them at every step; the page faults made a fit take up to
# ~40 % more CPU (benchmarks/README.md, "Sampled training views"). Its BFC allocator keeps
# that memory pooled. TensorFlow reads the variable when it makes its first tensor, so this
# holds unless TensorFlow ran before sklearn_ser was imported; 0 keeps TensorFlow's default.
os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "1")

__version__ = "0.1.0.dev0"

# Public name -> the module that defines it, imported on first use: TensorFlow takes seconds
# to import, the optional extras (opensmile, torch/transformers) may be missing, and joblib
# workers, which only need sklearn_ser.frontend.clip, would otherwise import everything.
_LAZY = {
    "AudioFeatureTransformer": ".transformers.audio_features",
    "OpenSmileTransformer": ".transformers.smile",
    "SERClassifier": ".classifier",
    "SpeechEmbeddingTransformer": ".transformers.embeddings",
    "WhisperTransformer": ".transformers.whisper",
    "load": ".persistence",
    "load_pretrained": ".pretrained",
    "make_fusion_classifier": ".ensemble",
    "save": ".persistence",
}

__all__ = [*sorted(_LAZY), "__version__"]

__getattr__, __dir__ = _lazy.lazy_attributes(__name__, _LAZY, globals())
