"""The forward pass of the library's saved Keras networks, computed in NumPy.

:class:`NumpyNetwork` reads a Keras 3 native archive (``.keras``: a zip of ``config.json``
and ``model.weights.h5``) and runs the network it describes with NumPy only. Predicting
then needs neither TensorFlow nor Keras, which is most of the memory (TensorFlow alone
takes ~725 MB) and of the start-up time of a process that only predicts.

The archive is read as data: the layer graph from ``config.json``, the weights from the
HDF5 file with :mod:`h5py`. Nothing is unpickled and no Keras code runs. Only the layers
and settings that the library's architectures use are implemented (the list is in
:class:`NumpyNetwork`); any other layer, option or call argument raises
:class:`UnsupportedNetworkError` naming it, never a silently different computation, so that
a caller can fall back to Keras.

All arithmetic is in float32, like Keras's, so the outputs equal Keras's up to float32
rounding (below 1e-6 on the probabilities of the shipped model).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from threadpoolctl import threadpool_limits

from ._config import UnsupportedNetworkError, _merge_shapes, _read_archive
from ._graph import _MODELS, _Graph, _input_shape
from ._ops import _FLOAT

__all__ = ["NumpyNetwork", "UnsupportedNetworkError"]

# The modules follow the data flow: ``_config`` reads the archive (layer configs, weights,
# call references), ``_layers`` and ``_sequence`` turn each layer into a NumPy function
# (``_ops`` holds their shared arithmetic), ``_graph`` wires them in call order.


class NumpyNetwork:
    """A saved Keras network's forward pass (inference only), computed with NumPy.

    Build one with :meth:`from_keras_archive`. The network is read from the archive's
    ``config.json`` (the layer graph: any DAG of the layers below, nested models included)
    and ``model.weights.h5``; neither TensorFlow nor Keras is imported.

    Implemented layers and settings (anything else raises
    :class:`UnsupportedNetworkError`):

    - ``InputLayer``; nested ``Functional`` and ``Sequential`` models;
    - ``Conv1D`` (padding ``"same"``, ``"valid"`` or ``"causal"``; strides, dilation and
      groups 1; with or without bias), ``Dense`` (on any rank);
    - ``BatchNormalization`` (moving statistics; ``center``, ``scale``),
      ``LayerNormalization`` (``center``, ``scale``, ``rms_scaling``), ``Normalization``
      (statistics given or adapted; ``invert``), all over the last axis;
    - ``MaxPooling1D`` (``"same"`` or ``"valid"``, any stride), ``GlobalAveragePooling1D``,
      ``GlobalMaxPooling1D`` (``keepdims``);
    - ``GRU`` (``reset_after`` True or False) and ``LSTM`` (``return_sequences``,
      ``go_backwards``, ``use_bias``), and ``Bidirectional`` around them (``merge_mode``
      ``"concat"``, ``"sum"``, ``"ave"`` or ``"mul"``);
    - ``MultiHeadAttention`` over the time axis without masks (``key_dim``, ``value_dim``,
      ``num_heads``, ``use_bias``, ``output_shape``; self- or cross-attention);
    - ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum``,
      ``Concatenate``;
    - ``Activation`` and the ``activation`` of ``Conv1D``, ``Dense`` and the recurrent
      layers: ``"linear"``, ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"softmax"``;
    - ``Dropout`` (the identity, as at inference);
    - sklearn-ser's :class:`~sklearn_ser.models.ClipCentering`,
      :class:`~sklearn_ser.models.StatisticsPooling1D` and
      :class:`~sklearn_ser.models.AttentionPooling1D`.

    Every layer must compute in float32 (no mixed precision). The model must have one input
    and one output.

    Attributes
    ----------
    name : str
        The Keras model's name.
    input_shape : tuple
        Shape of one input, without the batch axis (``(n_frames, n_features)`` for the
        library's networks; ``n_frames`` is None if the network accepts any length).
    output_shape : tuple
        Shape of one output, without the batch axis (``(n_classes,)``).

    See Also
    --------
    sklearn_ser.load : ``runtime="numpy"`` loads a model file's networks as NumpyNetworks.

    Examples
    --------
    A network that averages its input over time, written as a ``.keras`` archive by hand
    (Keras writes the same members):

    >>> import io, json, zipfile
    >>> import h5py, numpy as np
    >>> from sklearn_ser.numpy_network import NumpyNetwork
    >>> frames = {"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}}
    >>> config = {"class_name": "Functional", "module": "keras.src.models.functional",
    ...           "config": {"name": "mean", "input_layers": ["x", 0, 0],
    ...                      "output_layers": ["avg", 0, 0], "layers": [
    ...     {"class_name": "InputLayer", "module": "keras.layers", "name": "x",
    ...      "config": {"name": "x", "batch_shape": [None, None, 2]}, "inbound_nodes": []},
    ...     {"class_name": "GlobalAveragePooling1D", "module": "keras.layers", "name": "avg",
    ...      "config": {"name": "avg"}, "inbound_nodes": [{"args": [frames], "kwargs": {}}]},
    ... ]}}
    >>> weights = io.BytesIO()
    >>> h5py.File(weights, "w").close()
    >>> archive = io.BytesIO()
    >>> with zipfile.ZipFile(archive, "w") as zf:
    ...     zf.writestr("config.json", json.dumps(config))
    ...     zf.writestr("model.weights.h5", weights.getvalue())
    >>> network = NumpyNetwork.from_keras_archive(archive.getvalue())
    >>> network
    NumpyNetwork(name='mean', input_shape=(None, 2), output_shape=(2,))
    >>> network.predict(np.array([[[1, 10], [3, 20]]])).tolist()
    [[2.0, 15.0]]
    """

    def __init__(self, run, name, input_shape, output_shape):
        self._run = run
        self.name = name
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(output_shape)

    @classmethod
    def from_keras_archive(cls, source) -> NumpyNetwork:
        """Read a Keras 3 ``.keras`` archive.

        Parameters
        ----------
        source : bytes or path-like
            The archive's content, or its path.

        Returns
        -------
        network : NumpyNetwork

        Raises
        ------
        UnsupportedNetworkError
            If the network has a layer, setting or call the NumPy runtime does not implement
            (the message names the layer and the setting). Keras can still run it.
        ValueError
            If ``source`` is not a Keras archive (not a zip, a member missing) or its
            weights do not match its layers (missing or of the wrong shape).

        Examples
        --------
        >>> from sklearn_ser.numpy_network import NumpyNetwork
        >>> NumpyNetwork.from_keras_archive(b"not a zip")
        Traceback (most recent call last):
        ...
        ValueError: The Keras archive is not a zip file, so not a Keras 3 .keras archive.
        """
        config, store = _read_archive(source)
        with store:
            if config.get("class_name") not in _MODELS or (
                    config.get("module") or "").split(".")[0] != "keras":
                raise UnsupportedNetworkError(
                    f"The Keras model is a {config.get('class_name')!r} (module "
                    f"{config.get('module')!r}); the NumPy runtime implements Functional and "
                    "Sequential models.")
            graph = _Graph(config, store, "")
            (input_layer,) = (graph.layers[r.layer] for r in graph.inputs)
            input_shape = _input_shape(input_layer)
            run, (output_shape,) = graph.compile([input_shape])
        return cls(run, graph.name, input_shape, output_shape)

    def predict(self, X, batch_size=256) -> np.ndarray:
        """The network's outputs for a batch of inputs.

        Parameters
        ----------
        X : array-like of shape ``(n_samples,) + input_shape``
            Inputs; computed in float32.
        batch_size : int, default=256
            Rows computed at once, which bounds the memory of the intermediate arrays.

        Returns
        -------
        outputs : ndarray of shape ``(n_samples,) + output_shape``, dtype float32
        """
        X = np.asarray(X)
        if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
            raise ValueError(f"X must be numeric, got dtype {X.dtype}.")
        if X.ndim != len(self.input_shape) + 1 or _merge_shapes(
                self.input_shape, X.shape[1:]) is None:
            raise ValueError(f"X must have shape (n_samples, *{self.input_shape}), got "
                             f"{X.shape}.")
        if X.ndim >= 3 and X.shape[1] == 0:
            raise ValueError("X has sequences of 0 frames.")
        if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) \
                or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        outputs = None
        # The products here are small (a batch's frames by a few dozen channels; one time
        # step of a recurrent layer): BLAS threads add more synchronisation than they save.
        # One thread took a third of the CPU time of two on the shipped model.
        with threadpool_limits(limits=1, user_api="blas"):
            for start in range(0, len(X), batch_size):
                chunk = np.ascontiguousarray(X[start:start + batch_size], dtype=_FLOAT)
                out = self._run([chunk])[0]
                if outputs is None:
                    outputs = np.empty((len(X), *out.shape[1:]), dtype=_FLOAT)
                outputs[start:start + len(out)] = out
        if outputs is None:
            outputs = np.empty((0, *(d or 0 for d in self.output_shape)), dtype=_FLOAT)
        return outputs

    def __repr__(self):
        return (f"{type(self).__name__}(name={self.name!r}, input_shape={self.input_shape}, "
                f"output_shape={self.output_shape})")
