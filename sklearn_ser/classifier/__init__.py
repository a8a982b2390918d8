"""SERClassifier: the Keras architectures as scikit-learn classifiers, via scikeras.

The estimator (``_estimator``) validates what it is given (``_input``), sorts its routed
parameters (``_routing``) and trains with the pieces in ``_training``.
"""

from ._estimator import SERClassifier

__all__ = ["SERClassifier"]
