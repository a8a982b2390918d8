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

import io
import itertools
import json
import math
import os
import re
import zipfile
from numbers import Integral

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["NumpyNetwork", "UnsupportedNetworkError"]

_FLOAT = np.float32
# Keras's backend.epsilon(), the floor of Normalization's standard deviation
_KERAS_EPSILON = 1e-7
_CONFIG = "config.json"
_WEIGHTS = "model.weights.h5"
_TENSOR = "__keras_tensor__"
_REQUIRED = object()

# config keys that only matter for training (initialisers, regularisers, constraints,
# seeds) or are checked separately (dtype); every other key is checked by the layer
_GENERIC_KEYS = frozenset({"name", "trainable", "dtype", "seed", "autocast"})
_GENERIC_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
# the package's own layers, identified by their registered name, not just a class name
_OWN_LAYERS_MODULE = "sklearn_ser.models.layers"
_OWN_LAYERS = ("ClipCentering", "StatisticsPooling1D", "AttentionPooling1D")


class UnsupportedNetworkError(ValueError):
    """A Keras network has a layer or setting that :class:`NumpyNetwork` does not implement.

    The message names the layer (name and class) and the setting. Keras itself can run such
    a network: load it with Keras instead.

    Examples
    --------
    >>> from sklearn_ser.numpy_network import UnsupportedNetworkError
    >>> issubclass(UnsupportedNetworkError, ValueError)
    True
    """


# ----------------------------------------------------------------------------- numerics


def _sigmoid(x):
    # the tanh form cannot overflow in exp, and keeps float32
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_ACTIVATIONS = {
    "linear": None,
    "relu": lambda x: np.maximum(x, 0),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "softmax": _softmax,
}


def _matmul_last(x, w):
    """``x @ w`` over the last axis of ``x``, as one matrix product whatever its rank."""
    if x.ndim == 2:
        return x @ w
    return (x.reshape(-1, x.shape[-1]) @ w).reshape(*x.shape[:-1], w.shape[-1])


def _same_padding(n, size, stride):
    """TensorFlow's "same" padding: ``ceil(n / stride)`` outputs, the extra at the end."""
    out = -(-n // stride)
    total = max((out - 1) * stride + size - n, 0)
    return out, total // 2, total - total // 2


def _unique_name(name, used):
    # Keras names the weights groups of a model's layers as saving_lib._get_unique_name
    # does: the snake-case class name, then _1, _2... in the order of model.layers
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _snake_case(name):
    # keras.src.utils.naming.to_snake_case
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _merge_dims(a, b):
    """The dimension known from either shape, or None if they disagree."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    return False


def _merge_shapes(a, b):
    if len(a) != len(b):
        return None
    dims = tuple(_merge_dims(x, y) for x, y in zip(a, b))
    return None if any(d is False for d in dims) else dims


# ----------------------------------------------------------------------------- reading


def _read_archive(source):
    """The model config and the open weights file of a ``.keras`` archive."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, label = bytes(source), "The Keras archive"
    elif isinstance(source, (str, os.PathLike)):
        label = f"The Keras archive {os.fspath(source)!r}"
        with open(source, "rb") as file:
            data = file.read()
    else:
        raise TypeError(f"source must be bytes or a path, got {type(source).__name__}.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError(f"{label} is not a zip file, so not a Keras 3 .keras archive.") \
            from None
    with archive:
        names = set(archive.namelist())
        for member in (_CONFIG, _WEIGHTS):
            if member not in names:
                raise ValueError(f"{label} has no {member} member; a Keras 3 .keras archive "
                                 f"has {_CONFIG} and {_WEIGHTS}.")
        try:
            config = json.loads(archive.read(_CONFIG))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"{label} has a {_CONFIG} that is not JSON: {err}.") from None
        weights = archive.read(_WEIGHTS)
    import h5py  # here, so that importing this module stays light

    try:
        store = h5py.File(io.BytesIO(weights), "r")
    except OSError as err:
        raise ValueError(f"{label} has a {_WEIGHTS} that is not an HDF5 file: {err}.") \
            from None
    if not isinstance(config, dict):
        store.close()
        raise ValueError(f"{label} has a {_CONFIG} that is not a JSON object.")
    return config, store


class _Ref:
    """A reference to a tensor of the graph: output ``tensor`` of call ``node`` of a layer."""

    __slots__ = ("layer", "node", "tensor")

    def __init__(self, layer, node, tensor):
        self.layer, self.node, self.tensor = layer, node, tensor

    @classmethod
    def parse(cls, value, what):
        if (not isinstance(value, (list, tuple)) or len(value) != 3
                or not isinstance(value[0], str)
                or not all(isinstance(v, Integral) and v >= 0 for v in value[1:])):
            raise ValueError(f"{what} is not a [layer, node, tensor] reference: {value!r}.")
        return cls(value[0], int(value[1]), int(value[2]))

    @property
    def key(self):
        return self.layer, self.node


def _parse_refs(value, what):
    """``value`` with every serialised Keras tensor replaced by a :class:`_Ref`."""
    if isinstance(value, dict):
        if value.get("class_name") == _TENSOR:
            history = (value.get("config") or {}).get("keras_history")
            return _Ref.parse(history, what)
        return {k: _parse_refs(v, what) for k, v in value.items()}
    if isinstance(value, list):
        return [_parse_refs(v, what) for v in value]
    return value


def _contains_ref(value):
    if isinstance(value, _Ref):
        return True
    if isinstance(value, dict):
        return any(_contains_ref(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_ref(v) for v in value)
    return False


def _check_dtype(dtype, where):
    """Refuse any dtype policy but plain float32 (``where`` raises the error)."""
    if dtype is None or dtype == "float32":
        return
    if isinstance(dtype, dict) and dtype.get("class_name") in ("DTypePolicy",
                                                                "FloatDTypePolicy"):
        name = (dtype.get("config") or {}).get("name")
        if name == "float32":
            return
        raise where(f"has dtype policy {name!r}", "it computes in float32 only")
    raise where(f"has dtype {dtype!r}", "it computes in float32 only")


class _Layer:
    """One layer entry of a model config, its weights and the checks of its settings."""

    def __init__(self, entry, model, store, path, owner=None):
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
            raise ValueError(f"model {model!r} has a layer entry that is not a Keras layer "
                             f"config: {str(entry)[:200]}.")
        self.cls = entry["class_name"]
        self.config = entry.get("config")
        if not isinstance(self.config, dict):
            raise ValueError(f"model {model!r} has a {self.cls} layer without a config.")
        self.name = entry.get("name", self.config.get("name"))
        if not isinstance(self.name, str):
            raise ValueError(f"model {model!r} has a {self.cls} layer without a name.")
        self.entry, self.model, self.store, self.path = entry, model, store, path
        self.owner = owner
        self.nodes = entry.get("inbound_nodes", [])
        self._used = set()
        self._weights = {}
        self._graph = None

    @property
    def label(self):
        inside = f"in layer {self.owner.name!r} ({self.owner.cls}) " if self.owner else ""
        return f"layer {self.name!r} ({self.cls}) {inside}of model {self.model!r}"

    def unsupported(self, what, hint=None):
        """The error for a setting ``what`` ("has x=1"), with an optional ``hint``."""
        return UnsupportedNetworkError(
            f"The {self.label} {what}, which the NumPy runtime does not implement"
            + (f" ({hint})." if hint else "."))

    def malformed(self, what):
        return ValueError(f"The {self.label} {what}.")

    def check_class(self, builtin):
        """Refuse a class that only shares its name with a Keras or sklearn-ser layer."""
        module = self.entry.get("module") or ""
        registered = self.entry.get("registered_name")
        if builtin:
            # scikeras registers the model class as ">Functional" when it pickles one (clone,
            # GridSearchCV), and models saved later in that process carry that name
            ok = (module.split(".")[0] == "keras"
                  and registered in (None, self.cls, f">{self.cls}"))
        else:
            ok = module == _OWN_LAYERS_MODULE and registered == f"sklearn_ser>{self.cls}"
        if not ok:
            raise self.unsupported(f"is a custom layer (module {module!r}, registered as "
                                   f"{registered!r})")

    def option(self, key, default=_REQUIRED, allowed=None):
        """The config value ``key`` (Keras's default if absent), checked against ``allowed``."""
        self._used.add(key)
        if key not in self.config:
            if default is _REQUIRED:
                raise self.malformed(f"has no {key!r} in its config")
            return default
        value = self.config[key]
        if allowed is not None and value not in allowed:
            raise self.unsupported(f"has {key}={value!r}")
        return value

    def int_option(self, key, default=_REQUIRED, *, single=False):
        """A positive int option; ``single``: also a one-element list (kernel sizes...)."""
        value = self.option(key, default)
        if single and isinstance(value, (list, tuple)) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise self.unsupported(f"has {key}={value!r}")
        return int(value)

    def activation(self, key="activation", default="linear"):
        name = self.option(key, default)
        if not isinstance(name, str) or name not in _ACTIVATIONS:
            raise self.unsupported(f"has {key}={name!r}",
                                   f"its activations: {', '.join(sorted(_ACTIVATIONS))}")
        return _ACTIVATIONS[name]

    def check_config(self):
        """Refuse every config key that no check of this layer has read."""
        _check_dtype(self.config.get("dtype"), self.unsupported)
        for key in self.config:
            if key in _GENERIC_KEYS or key.endswith(_GENERIC_SUFFIXES) or key in self._used:
                continue
            raise self.unsupported(f"has the config option {key}={self.config[key]!r}")

    def weights(self, expected, sub=""):
        """The arrays of ``<path>/<sub>vars`` as float32, checked against ``expected``.

        ``expected`` lists ``(label, shape)`` pairs in Keras's order; None in a shape
        accepts any size.
        """
        if sub in self._weights:
            return self._weights[sub]
        where = f"{self.path}/{sub}vars"
        group = self.store.get(where)
        if group is None:
            raise self.malformed(f"has no weights in {_WEIGHTS} (expected {where!r})")
        saved_name = group.attrs.get("name")
        if not sub and saved_name is not None and saved_name != self.name:
            # the paths follow the layer order; a mismatch means we would read another layer
            raise self.malformed(f"should have its weights at {where!r}, but {_WEIGHTS} has "
                                 f"the weights of layer {saved_name!r} there")
        keys = sorted(group.keys(), key=lambda k: (len(k), k))
        if keys != [str(i) for i in range(len(keys))] or len(keys) != len(expected):
            raise self.malformed(
                f"has {len(keys)} weights at {where!r} in {_WEIGHTS}, expected "
                f"{len(expected)} ({', '.join(label for label, _ in expected) or 'none'})")
        arrays = []
        for key, (label, shape) in zip(keys, expected):
            array = np.asarray(group[key][()])
            if array.ndim != len(shape) or any(
                    want is not None and have != want for have, want in zip(array.shape, shape)):
                raise self.malformed(f"has a {label} of shape {array.shape} in {_WEIGHTS}, "
                                     f"expected {tuple(shape)}")
            if not np.issubdtype(array.dtype, np.number):
                raise self.malformed(f"has a {label} of dtype {array.dtype} in {_WEIGHTS}")
            arrays.append(array.astype(_FLOAT, copy=False))
        self._weights[sub] = arrays
        return arrays


# ----------------------------------------------------------------------------- calls


def _bind(layer, node, positional):
    """The input refs and other call arguments of one serialised call of ``layer``.

    ``positional`` names the tensor arguments the layer takes: ``None`` for one tensor (or a
    list of them for merge layers), else a tuple of names (``("query", "value", "key")``).
    """
    what = f"An inbound node of the {layer.label}"
    if isinstance(node, list):
        # the older list form: [[layer, node, tensor, kwargs], ...]
        refs, kwargs = [], {}
        for item in node:
            if not isinstance(item, list) or len(item) not in (3, 4):
                raise ValueError(f"{what} is not a valid node: {item!r}.")
            refs.append(_Ref.parse(item[:3], what))
            if len(item) == 4:
                kwargs.update(_parse_refs(item[3], what))
        args = [refs[0] if len(refs) == 1 else refs]
    elif isinstance(node, dict):
        args = _parse_refs(node.get("args", []), what)
        kwargs = _parse_refs(node.get("kwargs", {}), what)
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ValueError(f"{what} has malformed args or kwargs.")
    else:
        raise ValueError(f"{what} is not a valid node: {node!r}.")

    if positional is None:
        if len(args) != 1:
            raise layer.unsupported(f"is called with {len(args)} positional arguments")
        (arg,) = args
        refs = arg if isinstance(arg, list) else [arg]
        if not refs or not all(isinstance(r, _Ref) for r in refs):
            raise layer.unsupported("is called on something other than Keras tensors")
        inputs = {"inputs": refs}
    else:
        if len(args) > len(positional):
            raise layer.unsupported(f"is called with {len(args)} positional arguments")
        inputs = dict(zip(positional, args))
        for name in positional:
            if name in kwargs:
                if name in inputs:
                    raise ValueError(f"{what} passes {name!r} twice.")
                inputs[name] = kwargs.pop(name)
        for name, value in inputs.items():
            if value is not None and not isinstance(value, _Ref):
                raise layer.unsupported(f"is called with {name}={value!r}")
    for name, value in kwargs.items():
        if _contains_ref(value):
            raise layer.unsupported(f"is called with the tensor argument {name!r}")
    for ref in (r for v in inputs.values() for r in (v if isinstance(v, list) else [v])):
        if isinstance(ref, _Ref) and ref.tensor != 0:
            raise layer.unsupported(f"takes output {ref.tensor} of layer {ref.layer!r}",
                                    "only single-output layers")
    return inputs, kwargs


# call arguments that leave an inference pass unchanged when they have these values
_NEUTRAL_KWARGS = {"mask": (None,), "training": (None, False)}


def _check_kwargs(layer, kwargs, extra=None):
    allowed = dict(_NEUTRAL_KWARGS, **(extra or {}))
    for name, value in kwargs.items():
        if name not in allowed or value not in allowed[name]:
            raise layer.unsupported(f"is called with {name}={value!r}")


# ----------------------------------------------------------------------------- layers
#
# Each builder takes the layer, the shapes of its inputs (without the batch axis; None for
# an unknown length) and the call's other arguments, checks them, and returns the function
# of the call on NumPy arrays and the shape of its output.


def _one_input(layer, shapes, ndim=None):
    if len(shapes) != 1:
        raise layer.unsupported(f"is called on {len(shapes)} tensors")
    (shape,) = shapes
    if ndim is not None and len(shape) != ndim:
        raise layer.unsupported(f"gets an input of rank {len(shape) + 1} (batch included)",
                                f"only rank {ndim + 1}")
    return shape


def _channels(layer, shape):
    if shape[-1] is None:
        raise layer.malformed("has an input with an unknown number of channels")
    return shape[-1]


def _last_axis(layer, key, ndim, default=-1):
    """Check that option ``key`` names only the last axis of an input of rank ``ndim``."""
    axis = layer.option(key, default)
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if len(axes) != 1 or axes[0] not in (-1, ndim - 1):
        raise layer.unsupported(f"has {key}={axis!r}", "only the last axis")


def _build_identity(layer, shapes, kwargs):
    shape = _one_input(layer, shapes)
    if layer.cls == "Dropout":
        for key in ("rate", "noise_shape"):  # dropout is the identity at inference
            layer.option(key, None)
    _check_kwargs(layer, kwargs)
    return (lambda x: x), shape


def _build_activation(layer, shapes, kwargs):
    shape = _one_input(layer, shapes)
    fn = layer.activation(default=_REQUIRED)
    _check_kwargs(layer, kwargs)
    return (fn or (lambda x: x)), shape


def _build_clip_centering(layer, shapes, kwargs):
    shape = _one_input(layer, shapes, ndim=2)
    _check_kwargs(layer, kwargs)
    return (lambda x: x - x.mean(axis=1, keepdims=True)), shape


def _build_normalization(layer, shapes, kwargs):
    shape = _one_input(layer, shapes)
    _last_axis(layer, "axis", len(shape) + 1)
    channels = _channels(layer, shape)
    invert = layer.option("invert", False, allowed=(False, True))
    mean, variance = layer.option("mean", None), layer.option("variance", None)
    if (mean is None) != (variance is None):
        raise layer.malformed("has only one of mean and variance in its config")
    if mean is None:
        # adapted, not given: the statistics are weights (count only matters to adapt)
        mean, variance, _ = layer.weights([("mean", (channels,)), ("variance", (channels,)),
                                           ("count", ())])
    stats = []
    for label, value in (("mean", mean), ("variance", variance)):
        try:
            value = np.asarray(value, dtype=_FLOAT)
        except (TypeError, ValueError):
            raise layer.malformed(f"has a {label} that is not numbers") from None
        if value.size == 1:
            value = np.full(channels, value.reshape(()), dtype=_FLOAT)
        elif value.size != channels or any(d != 1 for d in value.shape[:-1]):
            raise layer.unsupported(f"has a {label} of shape {value.shape} for "
                                    f"{channels} channels")
        stats.append(value.reshape(channels))
    mean, variance = stats
    std = np.maximum(np.sqrt(variance), _FLOAT(_KERAS_EPSILON))
    _check_kwargs(layer, kwargs)
    if invert:
        return (lambda x: mean + x * std), shape
    return (lambda x: (x - mean) / std), shape


def _build_conv1d(layer, shapes, kwargs):
    steps, channels = _one_input(layer, shapes, ndim=2)
    channels = _channels(layer, (channels,))
    filters = layer.int_option("filters")
    size = layer.int_option("kernel_size", single=True)
    for key in ("strides", "dilation_rate"):
        if layer.int_option(key, 1, single=True) != 1:
            raise layer.unsupported(f"has {key}={layer.config[key]!r}", "only 1")
    if layer.int_option("groups", 1) != 1:
        raise layer.unsupported(f"has groups={layer.config['groups']!r}")
    padding = layer.option("padding", "valid", allowed=("valid", "same", "causal"))
    layer.option("data_format", "channels_last", allowed=("channels_last", None))
    activation = layer.activation()
    use_bias = layer.option("use_bias", True, allowed=(True, False))
    expected = [("kernel", (size, channels, filters))]
    if use_bias:
        expected.append(("bias", (filters,)))
    weights = layer.weights(expected)
    kernel, bias = weights[0], (weights[1] if use_bias else None)
    if padding == "same":
        # TensorFlow puts the odd padding frame at the end
        before, after = (size - 1) // 2, size - 1 - (size - 1) // 2
    elif padding == "causal":
        before, after = size - 1, 0
    else:
        before = after = 0
    if steps is not None:
        steps = steps + before + after - size + 1
        if steps < 1:
            raise layer.malformed(f"gets {shapes[0][0]} frames, fewer than its kernel")
    _check_kwargs(layer, kwargs)

    def conv(x):
        if before or after:
            x = np.pad(x, ((0, 0), (before, after), (0, 0)))
        batch, frames, _ = x.shape
        n_out = frames - size + 1
        if n_out < 1:
            raise ValueError(f"The {layer.label} gets sequences of {frames - before - after} "
                             f"frames, fewer than its kernel of {size}.")
        # one matrix product per kernel tap over all frames, then shifted and summed
        flat = x.reshape(batch * frames, -1)
        out = None
        for tap in range(size):
            part = (flat @ kernel[tap]).reshape(batch, frames, filters)[:, tap:tap + n_out]
            out = part if out is None else out + part
        if bias is not None:
            out = out + bias
        return activation(out) if activation else out

    return conv, (steps, filters)


def _build_batch_normalization(layer, shapes, kwargs):
    shape = _one_input(layer, shapes)
    _last_axis(layer, "axis", len(shape) + 1)
    channels = _channels(layer, shape)
    epsilon = float(layer.option("epsilon", 1e-3))
    center = layer.option("center", True, allowed=(True, False))
    scale = layer.option("scale", True, allowed=(True, False))
    renorm = layer.option("renorm", False, allowed=(True, False))
    for key in ("momentum", "synchronized", "renorm_clipping", "renorm_momentum"):
        layer.option(key, None)  # training only: inference uses the moving statistics
    names = [n for n, on in (("gamma", scale), ("beta", center)) if on]
    names += ["moving_mean", "moving_variance"]
    if renorm:
        names += ["moving_stddev", "renorm_mean", "renorm_stddev"]
    weights = dict(zip(names, layer.weights([(n, (channels,)) for n in names])))
    # tf.nn.batch_normalization's arithmetic: x * inv + (beta - mean * inv)
    inv = 1.0 / np.sqrt(weights["moving_variance"] + _FLOAT(epsilon))
    if scale:
        inv = inv * weights["gamma"]
    shift = -weights["moving_mean"] * inv
    if center:
        shift = shift + weights["beta"]
    inv, shift = inv.astype(_FLOAT), shift.astype(_FLOAT)
    _check_kwargs(layer, kwargs)
    return (lambda x: x * inv + shift), shape


def _build_layer_normalization(layer, shapes, kwargs):
    shape = _one_input(layer, shapes)
    _last_axis(layer, "axis", len(shape) + 1)
    channels = _channels(layer, shape)
    epsilon = _FLOAT(layer.option("epsilon", 1e-3))
    center = layer.option("center", True, allowed=(True, False))
    scale = layer.option("scale", True, allowed=(True, False))
    rms = layer.option("rms_scaling", False, allowed=(True, False))
    names = [n for n, on in (("gamma", scale or rms), ("beta", center and not rms)) if on]
    weights = dict(zip(names, layer.weights([(n, (channels,)) for n in names])))
    gamma, beta = weights.get("gamma"), weights.get("beta")
    _check_kwargs(layer, kwargs)

    def normalize(x):
        if rms:
            # Keras's rms_scaling divides by the standard deviation, without centring
            out = x / np.sqrt(x.var(axis=-1, keepdims=True) + epsilon)
            return out * gamma if gamma is not None else out
        mean = x.mean(axis=-1, keepdims=True)
        inv = 1.0 / np.sqrt(np.square(x - mean).mean(axis=-1, keepdims=True) + epsilon)
        if gamma is not None:
            inv = inv * gamma
        out = x * inv - mean * inv
        return out + beta if beta is not None else out

    return normalize, shape


def _build_dense(layer, shapes, kwargs):
    shape = _one_input(layer, shapes)
    channels = _channels(layer, shape)
    units = layer.int_option("units")
    activation = layer.activation()
    use_bias = layer.option("use_bias", True, allowed=(True, False))
    layer.option("quantization_config", None, allowed=(None,))
    expected = [("kernel", (channels, units))] + ([("bias", (units,))] if use_bias else [])
    weights = layer.weights(expected)
    kernel, bias = weights[0], (weights[1] if use_bias else None)
    _check_kwargs(layer, kwargs)

    def dense(x):
        out = _matmul_last(x, kernel)
        if bias is not None:
            out = out + bias
        return activation(out) if activation else out

    return dense, (*shape[:-1], units)


def _build_max_pooling1d(layer, shapes, kwargs):
    steps, channels = _one_input(layer, shapes, ndim=2)
    size = layer.int_option("pool_size", 2, single=True)
    stride = layer.option("strides", None)
    stride = size if stride is None else layer.int_option("strides", single=True)
    padding = layer.option("padding", "valid", allowed=("valid", "same"))
    layer.option("data_format", "channels_last", allowed=("channels_last", None))
    _check_kwargs(layer, kwargs)

    def geometry(n):
        if padding == "same":
            return _same_padding(n, size, stride)
        if n < size:
            raise ValueError(f"The {layer.label} gets sequences of {n} frames, fewer than "
                             f"its pool size of {size}.")
        return (n - size) // stride + 1, 0, 0

    if steps is not None:
        steps = geometry(steps)[0]

    def pool(x):
        n_out, before, after = geometry(x.shape[1])
        if before or after:
            # padded frames never win the maximum, as in TensorFlow
            x = np.pad(x, ((0, 0), (before, after), (0, 0)), constant_values=-np.inf)
        span = (n_out - 1) * stride + 1
        out = x[:, 0:span:stride]
        for tap in range(1, size):
            out = np.maximum(out, x[:, tap:tap + span:stride])
        return out

    return pool, (steps, channels)


def _build_global_pooling1d(layer, shapes, kwargs):
    _, channels = _one_input(layer, shapes, ndim=2)
    layer.option("data_format", "channels_last", allowed=("channels_last", None))
    keepdims = layer.option("keepdims", False, allowed=(True, False))
    reduce = np.mean if layer.cls == "GlobalAveragePooling1D" else np.max
    _check_kwargs(layer, kwargs)
    return ((lambda x: reduce(x, axis=1, keepdims=keepdims)),
            (1, channels) if keepdims else (channels,))


def _build_statistics_pooling1d(layer, shapes, kwargs):
    _, channels = _one_input(layer, shapes, ndim=2)
    epsilon = _FLOAT(layer.option("epsilon", 1e-5))
    _check_kwargs(layer, kwargs)

    def pool(x):
        mean = x.mean(axis=1)
        variance = np.square(x - mean[:, None]).mean(axis=1)
        return np.concatenate([mean, np.sqrt(variance + epsilon)], axis=-1)

    return pool, (None if channels is None else 2 * channels,)


def _build_attention_pooling1d(layer, shapes, kwargs):
    shape = _one_input(layer, shapes, ndim=2)
    channels = _channels(layer, shape)
    units = layer.int_option("units", 64)
    kernel, bias, vector = layer.weights([("score_kernel", (channels, units)),
                                          ("score_bias", (units,)),
                                          ("score_vector", (units, 1))])
    _check_kwargs(layer, kwargs)

    def pool(x):
        scores = _matmul_last(np.tanh(_matmul_last(x, kernel) + bias), vector)
        return (_softmax(scores, axis=1) * x).sum(axis=1)

    return pool, (channels,)


def _merge_fn(cls):
    def fold(op):
        def merge(*xs):
            out = xs[0]
            for x in xs[1:]:
                out = op(out, x)
            return out
        return merge

    return {
        "Add": fold(np.add),
        "Multiply": fold(np.multiply),
        "Maximum": fold(np.maximum),
        "Minimum": fold(np.minimum),
        "Average": lambda *xs: fold(np.add)(*xs) / _FLOAT(len(xs)),
        "Subtract": lambda a, b: a - b,
    }[cls]


def _build_merge(layer, shapes, kwargs):
    if layer.cls == "Subtract" and len(shapes) != 2:
        raise layer.malformed(f"is called on {len(shapes)} tensors instead of 2")
    shape = shapes[0]
    for other in shapes[1:]:
        shape = _merge_shapes(shape, other)
        if shape is None:
            raise layer.unsupported(f"merges tensors of shapes {shapes}",
                                    "only tensors of one shape")
    _check_kwargs(layer, kwargs)
    return _merge_fn(layer.cls), shape


def _build_concatenate(layer, shapes, kwargs):
    ndim = len(shapes[0])
    axis = layer.option("axis", -1)
    if (isinstance(axis, bool) or not isinstance(axis, Integral)
            or not -ndim <= axis <= ndim or axis == 0):
        raise layer.unsupported(f"has axis={axis!r}")
    axis = axis - 1 if axis > 0 else ndim + axis  # without the batch axis
    merged = list(shapes[0])
    for shape in shapes[1:]:
        if len(shape) != ndim:
            raise layer.malformed(f"concatenates tensors of different ranks: {shapes}")
        for i, dim in enumerate(shape):
            if i == axis:
                merged[i] = None if merged[i] is None or dim is None else merged[i] + dim
            else:
                merged[i] = _merge_dims(merged[i], dim)
                if merged[i] is False:
                    raise layer.malformed(f"concatenates tensors of shapes {shapes}")
    _check_kwargs(layer, kwargs)
    return (lambda *xs: np.concatenate(xs, axis=axis + 1)), tuple(merged)


def _rnn_settings(layer, shape):
    """The checked settings and weights of a GRU or LSTM layer (perhaps a wrapped one)."""
    units = layer.int_option("units")
    settings = {
        "cls": layer.cls,
        "units": units,
        "activation": layer.activation(default="tanh"),
        "recurrent_activation": layer.activation("recurrent_activation", "sigmoid"),
        "use_bias": layer.option("use_bias", True, allowed=(True, False)),
        "return_sequences": layer.option("return_sequences", False, allowed=(True, False)),
        "go_backwards": layer.option("go_backwards", False, allowed=(True, False)),
        "reset_after": layer.cls == "GRU" and layer.option("reset_after", True,
                                                           allowed=(True, False)),
    }
    layer.option("return_state", False, allowed=(False,))
    layer.option("stateful", False, allowed=(False,))
    # dropout is off at inference; unroll and cuDNN change the speed, not the result;
    # masks are refused at the call, so zero_output_for_mask has nothing to do;
    # unit_forget_bias is an initialiser
    for key in ("dropout", "recurrent_dropout", "unroll", "zero_output_for_mask",
                "use_cudnn", "implementation", "unit_forget_bias"):
        layer.option(key, None)
    layer.check_config()
    channels = _channels(layer, shape)
    gates = 3 if layer.cls == "GRU" else 4
    expected = [("kernel", (channels, gates * units)),
                ("recurrent_kernel", (units, gates * units))]
    if settings["use_bias"]:
        expected.append(("bias", (2, gates * units) if settings["reset_after"]
                         else (gates * units,)))
    settings["weights"] = layer.weights(expected, sub="cell/")
    return settings


def _recurrence(s):
    """The function running one GRU or LSTM over ``(batch, time, channels)``."""
    units, act, rec_act = s["units"], s["activation"], s["recurrent_activation"]
    act = act or (lambda x: x)
    rec_act = rec_act or (lambda x: x)
    kernel, recurrent = s["weights"][0], s["weights"][1]
    bias = s["weights"][2] if s["use_bias"] else None
    gru = s["cls"] == "GRU"
    reset_after = gru and s["reset_after"]
    if gru and bias is not None and reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, None

    def run(x):
        if s["go_backwards"]:
            x = x[:, ::-1]
        batch, frames, _ = x.shape
        # the input projections of all frames at once; only the recurrence loops over time
        projected = _matmul_last(x, kernel)
        if input_bias is not None:
            projected = projected + input_bias
        h = np.zeros((batch, units), dtype=_FLOAT)
        c = np.zeros((batch, units), dtype=_FLOAT)
        outputs = np.empty((batch, frames, units), dtype=_FLOAT) if s["return_sequences"] \
            else None
        for t in range(frames):
            xt = projected[:, t]
            if gru:
                if reset_after:
                    inner = h @ recurrent
                    if recurrent_bias is not None:
                        inner = inner + recurrent_bias
                    z = rec_act(xt[:, :units] + inner[:, :units])
                    r = rec_act(xt[:, units:2 * units] + inner[:, units:2 * units])
                    hh = act(xt[:, 2 * units:] + r * inner[:, 2 * units:])
                else:
                    inner = h @ recurrent[:, :2 * units]
                    z = rec_act(xt[:, :units] + inner[:, :units])
                    r = rec_act(xt[:, units:2 * units] + inner[:, units:])
                    hh = act(xt[:, 2 * units:] + (r * h) @ recurrent[:, 2 * units:])
                h = z * h + (1 - z) * hh
            else:
                gates = xt + h @ recurrent
                i = rec_act(gates[:, :units])
                f = rec_act(gates[:, units:2 * units])
                c = f * c + i * act(gates[:, 2 * units:3 * units])
                h = rec_act(gates[:, 3 * units:]) * act(c)
            if outputs is not None:
                outputs[:, t] = h
        # like Keras, a backward layer's sequence stays in its reading order
        return outputs if outputs is not None else h

    return run


def _build_rnn(layer, shapes, kwargs):
    shape = _one_input(layer, shapes, ndim=2)
    settings = _rnn_settings(layer, shape)
    _check_kwargs(layer, kwargs, {"initial_state": (None,)})
    out = (shape[0], settings["units"]) if settings["return_sequences"] \
        else (settings["units"],)
    return _recurrence(settings), out


def _wrapped_rnn(layer, config, role):
    """The GRU or LSTM layer wrapped by the Bidirectional ``layer`` (``role``: which one)."""
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise layer.malformed(f"has no config for its {role}")
    inner = _Layer(dict(config, name=config["config"].get("name")), layer.model, layer.store,
                   f"{layer.path}/{role}", owner=layer)
    inner.check_class(builtin=True)
    if inner.cls not in ("GRU", "LSTM"):
        raise inner.unsupported("is wrapped in a Bidirectional", "only GRU and LSTM")
    return inner


def _build_bidirectional(layer, shapes, kwargs):
    shape = _one_input(layer, shapes, ndim=2)
    merge = layer.option("merge_mode", "concat", allowed=("concat", "sum", "ave", "mul"))
    forward_config = layer.option("layer")
    backward_config = layer.option("backward_layer", None)
    if backward_config is None and isinstance(forward_config, dict):
        # Keras makes the backward layer from the forward one, reading the other way
        inner = dict(forward_config.get("config") or {})
        inner["go_backwards"] = not inner.get("go_backwards", False)
        inner["name"] = f"backward_{inner.get('name')}"
        backward_config = dict(forward_config, config=inner)
    forward, backward = (
        _rnn_settings(_wrapped_rnn(layer, config, role), shape)
        for config, role in ((forward_config, "forward_layer"),
                             (backward_config, "backward_layer")))
    if forward["return_sequences"] != backward["return_sequences"]:
        raise layer.malformed("has forward and backward layers that disagree on "
                              "return_sequences")
    _check_kwargs(layer, kwargs, {"initial_state": (None,)})
    run_forward, run_backward = _recurrence(forward), _recurrence(backward)
    sequences = forward["return_sequences"]
    combine = {
        "concat": lambda a, b: np.concatenate([a, b], axis=-1),
        "sum": np.add,
        "ave": lambda a, b: (a + b) / _FLOAT(2),
        "mul": np.multiply,
    }[merge]

    def bidirectional(x):
        y, y_rev = run_forward(x), run_backward(x)
        if sequences:
            y_rev = y_rev[:, ::-1]
        return combine(y, y_rev)

    units = forward["units"] + backward["units"] if merge == "concat" else forward["units"]
    if merge != "concat" and forward["units"] != backward["units"]:
        raise layer.malformed("merges forward and backward layers of different sizes")
    return bidirectional, ((shape[0], units) if sequences else (units,))


def _build_multi_head_attention(layer, shapes, kwargs):
    query_shape, value_shape, key_shape = shapes
    for shape in shapes:
        if len(shape) != 2:
            raise layer.unsupported(f"gets an input of rank {len(shape) + 1}",
                                    "only (batch, time, channels)")
    heads = layer.int_option("num_heads")
    key_dim = layer.int_option("key_dim")
    value_dim = layer.option("value_dim", None)
    value_dim = key_dim if value_dim is None else layer.int_option("value_dim")
    use_bias = layer.option("use_bias", True, allowed=(True, False))
    layer.option("use_gate", False, allowed=(False,))
    layer.option("sliding_window", None, allowed=(None,))
    layer.option("dropout", None)  # attention dropout is off at inference
    layer.option("flash_attention", None)  # a kernel choice, same result
    axes = layer.option("attention_axes", None)
    if axes is not None:
        axes = axes if isinstance(axes, (list, tuple)) else [axes]
        if [a if a >= 0 else 3 + a for a in axes] != [1]:
            raise layer.unsupported(f"has attention_axes={axes!r}")
    out_dim = layer.option("output_shape", None)
    if isinstance(out_dim, (list, tuple)) and len(out_dim) == 1:
        out_dim = out_dim[0]
    d_query, d_value, d_key = (_channels(layer, s) for s in shapes)
    if out_dim is None:
        out_dim = d_query
    elif isinstance(out_dim, bool) or not isinstance(out_dim, Integral) or out_dim < 1:
        raise layer.unsupported(f"has output_shape={layer.config['output_shape']!r}")
    if _merge_dims(value_shape[0], key_shape[0]) is False:
        raise layer.malformed("gets value and key of different lengths")

    def projection(sub, channels, size, n_out=None):
        expected = [("kernel", (channels, heads, size) if n_out is None
                     else (heads, size, n_out))]
        if use_bias:
            expected.append(("bias", (heads, size) if n_out is None else (n_out,)))
        weights = layer.weights(expected, sub=f"{sub}/")
        return weights[0], (weights[1] if use_bias else None)

    wq, bq = projection("query_dense", d_query, key_dim)
    wk, bk = projection("key_dense", d_key, key_dim)
    wv, bv = projection("value_dense", d_value, value_dim)
    wo, bo = projection("output_dense", None, value_dim, out_dim)
    wq, wk, wv = (w.reshape(w.shape[0], -1) for w in (wq, wk, wv))
    wo = wo.reshape(heads * value_dim, out_dim)
    scale = _FLOAT(1.0 / math.sqrt(float(key_dim)))
    _check_kwargs(layer, kwargs, {
        "attention_mask": (None,), "query_mask": (None,), "value_mask": (None,),
        "key_mask": (None,), "return_attention_scores": (False,), "use_causal_mask": (False,),
    })

    def project(x, w, b, size):
        out = _matmul_last(x, w).reshape(x.shape[0], x.shape[1], heads, size)
        return out + b if b is not None else out

    def attend(query, value, key):
        q = project(query, wq, bq, key_dim) * scale
        k = project(key, wk, bk, key_dim)
        v = project(value, wv, bv, value_dim)
        # (batch, heads, target, source), softmax over the source frames
        weights = _softmax(np.einsum("bsnh,btnh->bnts", k, q), axis=-1)
        attended = np.einsum("bnts,bsnh->btnh", weights, v)
        out = _matmul_last(attended.reshape(*attended.shape[:2], -1), wo)
        return out + bo if bo is not None else out

    return attend, (query_shape[0], out_dim)


_BUILDERS = {
    "Activation": _build_activation,
    "Dropout": _build_identity,
    "Normalization": _build_normalization,
    "Conv1D": _build_conv1d,
    "BatchNormalization": _build_batch_normalization,
    "LayerNormalization": _build_layer_normalization,
    "Dense": _build_dense,
    "MaxPooling1D": _build_max_pooling1d,
    "GlobalAveragePooling1D": _build_global_pooling1d,
    "GlobalMaxPooling1D": _build_global_pooling1d,
    "GRU": _build_rnn,
    "LSTM": _build_rnn,
    "Bidirectional": _build_bidirectional,
    "MultiHeadAttention": _build_multi_head_attention,
    "Concatenate": _build_concatenate,
    **{cls: _build_merge for cls in ("Add", "Subtract", "Multiply", "Average", "Maximum",
                                     "Minimum")},
}
_OWN_BUILDERS = {
    "ClipCentering": _build_clip_centering,
    "StatisticsPooling1D": _build_statistics_pooling1d,
    "AttentionPooling1D": _build_attention_pooling1d,
}
_MERGES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"}
_MODELS = ("Functional", "Sequential")
_KNOWN = {"InputLayer", *_MODELS, *_BUILDERS, *_OWN_BUILDERS}


# ----------------------------------------------------------------------------- graphs


def _input_shape(layer):
    """The shape (without batch) an InputLayer declares, after checking its settings."""
    layer.check_class(builtin=True)
    if "batch_shape" in layer.config:
        shape = layer.option("batch_shape")
    else:
        shape = layer.option("batch_input_shape")
    if not isinstance(shape, list) or len(shape) < 2 or not all(
            d is None or (isinstance(d, Integral) and d > 0) for d in shape):
        raise layer.malformed(f"has batch_shape={shape!r}")
    for key in ("sparse", "ragged", "optional"):
        layer.option(key, False, allowed=(False,))
    layer.check_config()
    return tuple(shape[1:])


class _Graph:
    """A Functional (or Sequential) model config: its layers and the order of their calls."""

    def __init__(self, entry, store, path, parent=None):
        self.cls = entry.get("class_name")
        config = entry.get("config")
        self.name = (config or {}).get("name", "?")
        where = f"model {self.name!r}" + (f" (in model {parent!r})" if parent else "")
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(f"The {where} has no list of layers in its config.")
        allowed = {"name", "trainable", "layers"} | (
            {"input_layers", "output_layers"} if self.cls == "Functional"
            else {"dtype", "build_input_shape"})
        for key in config:
            if key not in allowed:
                raise UnsupportedNetworkError(f"The {where} ({self.cls}) has the config "
                                              f"option {key!r}, which the NumPy runtime "
                                              "does not implement.")
        _check_dtype(config.get("dtype"), lambda what, hint: UnsupportedNetworkError(
            f"The {where} {what}, which the NumPy runtime does not implement ({hint})."))
        used, self.layers = {}, {}
        entries = config["layers"]
        if self.cls == "Sequential":
            entries = self._sequential_entries(entries, config.get("build_input_shape"),
                                               where)
        for entry in entries:
            layer = _Layer(entry, self.name, store, "")
            # a Sequential's InputLayer is not in model.layers, so it has no weights path
            if not (self.cls == "Sequential" and layer.cls == "InputLayer"):
                layer.path = f"{path}layers/{_unique_name(_snake_case(layer.cls), used)}"
            if layer.name in self.layers:
                raise ValueError(f"The {where} has two layers named {layer.name!r}.")
            self.layers[layer.name] = layer
        if self.cls == "Sequential":
            names = list(self.layers)
            self.inputs, self.outputs = [_Ref(names[0], 0, 0)], [_Ref(names[-1], 0, 0)]
        else:
            self.inputs = self._io_refs(config.get("input_layers"), "input_layers", where)
            self.outputs = self._io_refs(config.get("output_layers"), "output_layers", where)
        for kind, refs in (("inputs", self.inputs), ("outputs", self.outputs)):
            if len(refs) != 1:
                raise UnsupportedNetworkError(
                    f"The {where} has {len(refs)} {kind}; the NumPy runtime implements "
                    f"models of one input and one output.")
        if self.layers[self.inputs[0].layer].cls != "InputLayer":
            raise ValueError(f"The {where} has an input that is not an InputLayer.")

    @staticmethod
    def _sequential_entries(entries, build_shape, where):
        if not entries or not all(isinstance(e, dict) for e in entries):
            raise ValueError(f"The {where} has no layers, or layer entries that are not "
                             "Keras layer configs.")
        entries = [dict(e, name=e.get("name", (e.get("config") or {}).get("name")))
                   for e in entries]
        if entries[0].get("class_name") != "InputLayer":
            if not isinstance(build_shape, list):
                raise UnsupportedNetworkError(f"The {where} (Sequential) has no input shape.")
            entries.insert(0, {"class_name": "InputLayer", "module": "keras.layers",
                               "name": f"{entries[0]['name']}_input",
                               "config": {"batch_shape": build_shape}})
        # a Sequential config has no graph: each layer is called on the previous output
        for previous, entry in itertools.pairwise(entries):
            entry["inbound_nodes"] = [{"args": [{"class_name": _TENSOR, "config": {
                "keras_history": [previous["name"], 0, 0]}}], "kwargs": {}}]
        return entries

    def _io_refs(self, value, key, where):
        if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise UnsupportedNetworkError(f"The {where} has {key}={value!r}, which the NumPy "
                                          "runtime does not implement.")
        refs = [_Ref.parse(v, f"The {key} of the {where}") for v in value]
        for ref in refs:
            layer = self.layers.get(ref.layer)
            if layer is None:
                raise ValueError(f"The {key} of the {where} name an unknown layer "
                                 f"{ref.layer!r}.")
            if ref.tensor:
                raise UnsupportedNetworkError(f"The {where} takes output {ref.tensor} of "
                                              f"layer {ref.layer!r}; multi-output layers "
                                              "are not implemented.")
            if layer.cls == "Functional":
                # Keras counts a nested model's own node first in input_layers and
                # output_layers (though not in the inbound nodes of other layers)
                ref.node -= 1
        return refs

    def compile(self, input_shapes):
        """The function of the model on a list of arrays, and its output shapes."""
        (ref,) = self.inputs
        layer = self.layers[ref.layer]
        declared = _input_shape(layer)
        shape = _merge_shapes(declared, input_shapes[0])
        if shape is None:
            raise ValueError(f"The model {self.name!r} takes inputs of shape {declared}, but "
                             f"is given {input_shapes[0]}.")
        shapes = {ref.key: shape}
        unknown = [f"{layer.name!r} ({layer.cls})" for layer in self.layers.values()
                   if layer.cls not in _KNOWN]
        if unknown:
            # all of them: Keras adds its own operations around some layers (Masking)
            raise UnsupportedNetworkError(
                f"The model {self.name!r} has layers or operations of classes the NumPy "
                f"runtime does not implement: {', '.join(unknown)}.")
        pending = []
        for layer in self.layers.values():
            if layer.cls == "InputLayer":
                if layer.nodes:
                    raise ValueError(f"The {layer.label} has inbound nodes.")
                if layer.name != ref.layer:
                    raise UnsupportedNetworkError(f"The model {self.name!r} has an unused "
                                                  f"input {layer.name!r}.")
                continue
            builder, positional = self._builder(layer)
            for index, node in enumerate(layer.nodes):
                inputs, kwargs = _bind(layer, node, positional)
                pending.append((layer, index, builder, inputs, kwargs))
        steps = []
        while pending:
            waiting = []
            for layer, index, builder, inputs, kwargs in pending:
                refs = [r for v in inputs.values() for r in (v if isinstance(v, list) else [v])
                        if r is not None]
                for r in refs:
                    if r.layer not in self.layers:
                        raise ValueError(f"An inbound node of the {layer.label} refers to an "
                                         f"unknown layer {r.layer!r}.")
                if not all(r.key in shapes for r in refs):
                    waiting.append((layer, index, builder, inputs, kwargs))
                    continue
                # before the weights, which a half-precision layer stores in its dtype
                _check_dtype(layer.config.get("dtype"), layer.unsupported)
                fn, keys, out = builder(layer, inputs, kwargs, shapes)
                layer.check_config()
                shapes[(layer.name, index)] = out
                steps.append((fn, keys, (layer.name, index)))
            if len(waiting) == len(pending):
                names = sorted({layer.name for layer, *_ in waiting})
                raise ValueError(f"The model {self.name!r} has calls of layers {names} whose "
                                 "inputs are never computed (a cycle, or a missing node).")
            pending = waiting
        output_keys = [r.key for r in self.outputs]
        for key in output_keys:
            if key not in shapes:
                raise ValueError(f"The model {self.name!r} outputs call {key[1]} of layer "
                                 f"{key[0]!r}, which does not exist.")
        return self._schedule(steps, [ref.key], output_keys), [shapes[k] for k in output_keys]

    def _builder(self, layer):
        """The builder of a layer's calls, and how its tensor arguments are passed."""
        if layer.cls in _MODELS:
            layer.check_class(builtin=True)
            return _build_model, None
        if layer.cls in _BUILDERS:
            layer.check_class(builtin=True)
            build = _BUILDERS[layer.cls]
            positional = ("query", "value", "key") if layer.cls == "MultiHeadAttention" \
                else None
        elif layer.cls in _OWN_BUILDERS:
            layer.check_class(builtin=False)
            build, positional = _OWN_BUILDERS[layer.cls], None
        else:
            raise UnsupportedNetworkError(
                f"The {layer.label} is of a class the NumPy runtime does not implement.")
        merge = layer.cls in _MERGES

        def builder(layer, inputs, kwargs, shapes):
            if positional is None:
                refs = inputs["inputs"]
                if not merge and len(refs) != 1:
                    raise layer.unsupported(f"is called on {len(refs)} tensors")
            else:
                if inputs.get("query") is None or inputs.get("value") is None:
                    raise layer.malformed("is called without query and value")
                if inputs.get("key") is None:
                    inputs = dict(inputs, key=inputs["value"])
                refs = [inputs[name] for name in positional]
            fn, out = build(layer, [shapes[r.key] for r in refs], kwargs)
            return fn, [r.key for r in refs], out

        return builder, positional

    @staticmethod
    def _schedule(steps, input_keys, output_keys):
        """Run only the calls the outputs need, freeing each array after its last use."""
        needed, kept = set(output_keys), []
        for fn, keys, out in reversed(steps):
            if out in needed:
                needed.update(keys)
                kept.append((fn, keys, out))
        kept.reverse()
        last_use = {}
        for i, (_, keys, _) in enumerate(kept):
            for key in keys:
                last_use[key] = i
        plan = [(fn, keys, out, [k for k in set(keys) if last_use[k] == i
                                 and k not in output_keys])
                for i, (fn, keys, out) in enumerate(kept)]

        def run(arrays):
            values = dict(zip(input_keys, arrays))
            for fn, keys, out, done in plan:
                values[out] = fn(*(values[k] for k in keys))
                for key in done:
                    del values[key]
            return [values[k] for k in output_keys]

        return run


def _build_model(layer, inputs, kwargs, shapes):
    """A nested Functional or Sequential model, called as a layer."""
    refs = inputs["inputs"]
    if layer._graph is None:
        entry = {"class_name": layer.cls, "config": layer.config}
        layer._graph = _Graph(entry, layer.store, layer.path + "/", parent=layer.model)
        layer._used.update(layer.config)  # _Graph checked the model's config
    if len(refs) != 1:
        raise layer.unsupported(f"is called on {len(refs)} tensors")
    _check_kwargs(layer, kwargs)
    run, (out,) = layer._graph.compile([shapes[refs[0].key]])
    return (lambda x: run([x])[0]), [refs[0].key], out


# ----------------------------------------------------------------------------- public


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
