"""sklearn-ser: Speech Emotion Recognition that speaks scikit-learn.

Public names: :class:`AudioFeatureTransformer`, :class:`SERClassifier`; corpora in
:mod:`sklearn_ser.datasets`, splitters in :mod:`sklearn_ser.model_selection`.
"""

__version__ = "0.1.0.dev0"

__all__ = ["AudioFeatureTransformer", "SERClassifier", "__version__"]


def __dir__():
    return sorted(set(globals()) | set(__all__))


def __getattr__(name):
    # Imported on first use: TensorFlow takes seconds to import, and scikit-learn would be
    # imported again by every joblib worker, which only needs sklearn_ser._clip.
    if name == "SERClassifier":
        from .classifier import SERClassifier

        return SERClassifier
    if name == "AudioFeatureTransformer":
        from .transformer import AudioFeatureTransformer

        return AudioFeatureTransformer
    raise AttributeError(f"module 'sklearn_ser' has no attribute {name!r}")
