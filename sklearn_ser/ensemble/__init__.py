"""The deep default fused with openSMILE ComParE functionals: one scikit-learn estimator.

On held-out EmoDB speakers the library's deep default (log-mel frames, ``cnn_gru``) and the
classic anchor (ComParE_2016 functionals, standardised, an L2 logistic regression) make
different mistakes, and the plain mean of their probabilities beat both (docs/accuracy.rst,
"Fusing the deep default with ComParE"). :func:`make_fusion_classifier` builds that fusion
from the library's own parts as a soft :class:`~sklearn.ensemble.VotingClassifier` of two
Pipelines on audio, so it cross-validates, grid-searches (``deep__clf__epochs``,
``compare__clf__C``, ``weights``...) and saves in the safe model format like
any other estimator.
"""

from ._fusion import make_fusion_classifier

__all__ = ["make_fusion_classifier"]
