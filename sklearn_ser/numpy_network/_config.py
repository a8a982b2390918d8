"""Reading a ``.keras`` archive as data: its layer configs, weights and call-graph references.

Every config key a layer has is checked against what the runtime implements; anything
else raises :class:`UnsupportedNetworkError` naming the layer and the setting.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from numbers import Integral

import numpy as np

from ._ops import _ACTIVATIONS, _FLOAT

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
