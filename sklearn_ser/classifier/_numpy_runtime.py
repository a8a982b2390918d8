"""A fitted SERClassifier's predictions computed in NumPy, without TensorFlow."""

from __future__ import annotations

from sklearn.base import BaseEstimator, ClassifierMixin

from ._inference import _PREDICT_CHUNK, _Inference

__all__ = ["NumpySERClassifier"]

# SERClassifier's fitted attributes that prediction reads or a user inspects; anything else
# stored with it (scikeras bookkeeping) is rebuilt by Keras only and not needed here.
_FITTED = ("classes_", "n_classes_", "n_features_in_", "input_shape_", "n_views_",
           "clip_centering_", "history_", "best_epoch_", "final_metrics_")


class NumpySERClassifier(_Inference, ClassifierMixin, BaseEstimator):
    """The predict side of a fitted :class:`~sklearn_ser.SERClassifier`, run in NumPy.

    ``sklearn_ser.load(path, runtime="numpy")`` puts one in place of every fitted
    SERClassifier of a saved model: the same network (read from the file's ``.keras``
    member by :class:`sklearn_ser.numpy_network.NumpyNetwork`), the same classes and input
    checks, the same ``predict_proba``, ``predict`` and ``score``, but no TensorFlow in the
    process. That takes the memory of predicting from TensorFlow's ~725 MB floor to the few
    hundred MB of NumPy, librosa and scikit-learn, and the start-up from seconds to a
    fraction of one. The probabilities equal Keras's up to float32 rounding (~1e-6).

    It only predicts. To train, fine-tune or refit a saved model, load it with the default
    ``runtime="keras"``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, as the SERClassifier had them.
    n_classes_ : int
    input_shape_ : tuple of int
        ``(n_frames, n_features)`` of one clip's features.
    n_features_in_ : int
    network_ : sklearn_ser.numpy_network.NumpyNetwork
        The network, input standardisation included.
    trained_params_ : dict
        The parameters of the SERClassifier that was trained (``arch``, ``epochs``...), for
        reference.
    history_, best_epoch_, final_metrics_, n_views_, clip_centering_
        As the SERClassifier had them.

    See Also
    --------
    sklearn_ser.load : ``runtime="numpy"`` returns models with this step.
    sklearn_ser.SERClassifier : The estimator that trains the network.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from sklearn_ser import SERClassifier, load, save
    >>> X = np.random.default_rng(0).normal(size=(20, 10, 4)).astype("float32")
    >>> y = np.tile(["a", "b"], 10)
    >>> clf = SERClassifier(arch="cnn", epochs=1, model__filters=4, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     fast = load(save(clf, pathlib.Path(folder) / "clf.skser"), runtime="numpy")
    >>> fast
    NumpySERClassifier()
    >>> bool(np.allclose(fast.predict_proba(X), clf.predict_proba(X), atol=1e-5))
    True
    """

    def fit(self, X, y=None, **fit_params):
        """Refused: this runtime has no training; load the model with ``runtime="keras"``.

        Parameters
        ----------
        X, y, **fit_params
            Ignored.

        Raises
        ------
        TypeError
            Always.
        """
        raise TypeError(
            "NumpySERClassifier runs a fitted SERClassifier's network without TensorFlow "
            "and cannot train. Load the model with sklearn_ser.load(path) (runtime='keras', "
            "the default) to fit, refit or fine-tune it."
        )

    @classmethod
    def _from_persistence_state(cls, params: dict, attrs: dict) -> NumpySERClassifier:
        """The runtime of a stored SERClassifier: its parameters and fitted attributes, the
        network (``model_``) read by :class:`~sklearn_ser.numpy_network.NumpyNetwork`.

        An unfitted SERClassifier (a VotingClassifier's template) gives an unfitted runtime.
        """
        est = cls()
        if "model_" not in attrs:
            return est
        network = attrs["model_"]
        for name in _FITTED:
            if name in attrs:
                setattr(est, name, attrs[name])
        est.network_ = network
        est.trained_params_ = dict(params)
        if tuple(network.input_shape) != tuple(est.input_shape_):
            raise ValueError(f"the network takes inputs of shape {network.input_shape}, but the "
                             f"classifier was fitted on {est.input_shape_}.")
        if tuple(network.output_shape) != (len(est.classes_),):
            raise ValueError(f"the network has outputs of shape {network.output_shape} for "
                             f"{len(est.classes_)} classes.")
        return est

    def _forward(self, X):
        return self.network_.predict(X, batch_size=_PREDICT_CHUNK)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
