"""Scores of held-out predictions and their summary over folds (no TensorFlow needed).

The study (:mod:`sklearn_ser.study`) and ``sklearn-ser evaluate`` compute with these
functions; :mod:`sklearn_ser.report` only presents what they return.
"""

from ._scores import (
    METRICS,
    evaluate_predictions,
    heldout_scores,
    summarize_folds,
    trainable_parameters,
)

__all__ = ["METRICS", "evaluate_predictions", "heldout_scores", "summarize_folds",
           "trainable_parameters"]
