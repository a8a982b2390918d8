"""Inference of a fitted SERClassifier: probabilities, labels, accuracy, training summary."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.utils.validation import check_is_fitted

from ..utils._docstrings import fill_doc
from ._input import validate_predict_input

# Rows per call of the compiled predict function (``predict__batch_size`` overrides it).
_PREDICT_CHUNK = 1024


@contextmanager
def single_frame_quiet(n_frames):
    """Silence Keras's warning about a softmax over a one-frame axis.

    2-D input is a sequence of one frame; self-attention over it is well defined (weight 1),
    but keras.ops.softmax warns whenever the axis has size 1.
    """
    with warnings.catch_warnings():
        if n_frames == 1:
            warnings.filterwarnings("ignore", message="You are using a softmax over axis",
                                    category=UserWarning)
        yield


class _Inference:
    """The predict side of :class:`~sklearn_ser.SERClassifier`.

    Inference calls the compiled Keras predict function on chunks of rows
    (``predict_on_batch``) rather than ``Model.predict``, whose per-call set-up (data
    adapter, callbacks) costs tens of milliseconds; predicting one clip then takes about a
    millisecond for ``cnn`` and ten for the recurrent models. Calling the model eagerly is
    no alternative: an eager recurrent layer steps through time in Python.
    """

    def summary_metrics(self) -> dict:
        """The figures the seed recipe printed after training, from :attr:`final_metrics_`.

        Returns
        -------
        metrics : dict
            ``"Final Accuracy"``, ``"Final Validation Accuracy"``, ``"Final Loss"`` and
            ``"Final Validation Loss"`` at ``best_epoch_`` (NaN without a validation set).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_ser import SERClassifier
        >>> X = np.random.default_rng(0).normal(size=(20, 10, 4))
        >>> y = np.tile(["a", "b"], 10)
        >>> clf = SERClassifier(arch="cnn", epochs=1, validation_fraction=None,
        ...                     model__filters=4).fit(X, y)
        >>> list(clf.summary_metrics())
        ['Final Accuracy', 'Final Validation Accuracy', 'Final Loss', 'Final Validation Loss']
        """
        check_is_fitted(self)
        m = self.final_metrics_
        return {
            "Final Accuracy": m["accuracy"],
            "Final Validation Accuracy": m["val_accuracy"],
            "Final Loss": m["loss"],
            "Final Validation Loss": m["val_loss"],
        }

    def _forward(self, X) -> np.ndarray:
        chunk = self._routed_params()["predict"].get("batch_size", _PREDICT_CHUNK)
        with single_frame_quiet(self.input_shape_[0]):
            parts = [np.asarray(self.model_.predict_on_batch(X[start:start + chunk]))
                     for start in range(0, X.shape[0], chunk)]
        return np.concatenate(parts)

    @fill_doc
    def predict_proba(self, X):
        """Class probabilities of each clip.

        {{features_parameters}}

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities; column ``k`` belongs to ``classes_[k]``.
        """
        X = validate_predict_input(self, X)
        proba = self._forward(X).astype(np.float64)
        # renormalise in float64: float32 softmax rows can miss 1 by a few ulp
        return proba / proba.sum(axis=1, keepdims=True)

    @fill_doc
    def predict(self, X):
        """Most probable class of each clip.

        {{features_parameters}}

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    @fill_doc
    def score(self, X, y, sample_weight=None):
        """Accuracy on ``(X, y)``.

        {{features_parameters}}
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy of ``predict(X)``.
        """
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)
