"""sklearn-ser: Speech Emotion Recognition that speaks scikit-learn.

Public names: :class:`AudioFeatureTransformer`, :class:`SERClassifier`; corpora in
:mod:`sklearn_ser.datasets`, splitters in :mod:`sklearn_ser.model_selection`.
"""

from .transformer import AudioFeatureTransformer

__version__ = "0.1.0.dev0"

__all__ = ["AudioFeatureTransformer", "SERClassifier", "__version__"]


def __getattr__(name):
    # TensorFlow takes seconds to import: only pay for it when the classifier is used
    if name == "SERClassifier":
        from .classifier import SERClassifier

        return SERClassifier
    raise AttributeError(f"module 'sklearn_ser' has no attribute {name!r}")
