"""sklearn-ser: Speech Emotion Recognition that speaks scikit-learn."""

from .transformer import AudioFeatureTransformer

__version__ = "0.1.0.dev0"

__all__ = ["AudioFeatureTransformer", "__version__"]
