"""Estimators <-> a JSON tree of tagged nodes, with arrays, Keras models and skops blobs as members.

An estimator of a class in :data:`NATIVE_CLASSES` is stored as its class's public name,
``get_params(deep=False)`` and its other instance attributes (the fitted ones), each value
encoded recursively, so parameters added to a class later need no change here. Any other
scikit-learn estimator goes through skops.io, whose types must be scikit-learn's or on
:data:`TRUSTED_TYPES`. Loading builds objects only from these tables: a class name read from a
file is looked up, never imported, and no member is ever unpickled.
"""

from __future__ import annotations

import inspect
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

from ._archive import ModelFileError
from ._classes import NATIVE_CLASSES, TRUSTED_TYPES, native_class, native_name, stand_in_class
from ._keras_member import check_keras_member
from ._policy import CallerParams, check_attribute

_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
_SCALAR_KINDS = "biufU"
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _keras():
    """Keras with the sklearn_ser custom layers registered, or None if never imported."""
    if "keras" not in sys.modules:
        return None
    import keras

    import sklearn_ser.models  # noqa: F401  (registers the custom layers)

    return keras


def _type_name(obj) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


class Encoder:
    """Encodes one estimator into nodes, adding members to an ``ArchiveWriter``."""

    def __init__(self, writer):
        self.writer = writer
        self._seen: dict[int, int] = {}
        self._alive: list = []  # keeps encoded objects alive, so their ids stay unique
        # parameter names as scikit-learn routes them: ``clf__arch``, ``a__model__filters``
        self._prefix = ""  # of the next estimator met
        self._pair_prefix = ""  # of the estimator that owns a list of (name, estimator) pairs

    def fail(self, where: str, reason: str, hint: str = ""):
        raise TypeError(
            f"Cannot save {where}: {reason}. The safe format stores data only, never code or "
            f"objects it could not rebuild without unpickling.{' ' + hint if hint else ''}"
        )

    def encode(self, value, where: str):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            if value.dtype.kind not in _SCALAR_KINDS:
                self.fail(where, f"it holds a numpy scalar of dtype {value.dtype}")
            return {"$": "scalar", "dtype": value.dtype.str, "value": self.encode(value.item(),
                                                                                    where)}
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else {"$": "float", "value": repr(value)}
        if type(value) is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if type(value) is tuple:
            return self._tuple(value, where)
        if type(value) is dict:
            return {"$": "dict", "items": [[self.encode(k, f"{where} key"),
                                            self.encode(v, f"{where}[{k!r}]")]
                                           for k, v in value.items()]}
        if _type_name(value) == "sklearn.utils._bunch.Bunch":
            return {"$": "bunch", "items": {str(k): self.encode(v, f"{where}[{k!r}]")
                                            for k, v in value.items()}}
        if type(value) is np.ndarray:
            return self._array(value, where)
        if isinstance(value, np.random.RandomState):
            return {"$": "random_state", "state": self.encode(value.get_state(), where)}
        if isinstance(value, np.random.Generator):
            return {"$": "generator", "state": self.encode(value.bit_generator.state, where)}
        if id(value) in self._seen:
            return {"$": "ref", "id": self._seen[id(value)]}
        native = native_name(value)
        if native is not None:
            return self._estimator(value, native, where)
        keras = _keras()
        if keras is not None and isinstance(value, keras.Model):
            return self._keras_model(value, keras)
        if keras is not None and isinstance(
                value, (keras.optimizers.Optimizer, keras.losses.Loss, keras.metrics.Metric)):
            return self._keras_object(value, keras, where)
        if hasattr(value, "get_params") and _type_name(value).startswith("sklearn."):
            return self._skops(value, where)
        self._unsupported(value, where, keras)

    def _tuple(self, value, where):
        wheres = [f"{where}[{i}]" for i in range(len(value))]
        if len(value) == 2 and isinstance(value[0], str) and hasattr(value[1], "get_params"):
            # a (name, estimator) step: its parameters are routed as ``<name>__<parameter>``
            self._prefix = f"{self._pair_prefix}{value[0]}__"
            wheres[1] = f"step '{self._pair_prefix}{value[0]}' ({where})"
        return {"$": "tuple", "items": [self.encode(v, w) for v, w in zip(value, wheres)]}

    def _array(self, value, where):
        if value.dtype.hasobject:
            return {"$": "object_array", "shape": list(value.shape),
                    "items": [self.encode(v, f"{where}[{i}]")
                              for i, v in enumerate(value.ravel().tolist())]}
        try:
            return {"$": "ndarray", "member": self.writer.add_array(value)}
        except ValueError as err:
            self.fail(where, f"its array of dtype {value.dtype} cannot be stored ({err})")

    def _estimator(self, est, native: str, where: str):
        self._seen[id(est)] = len(self._seen)
        self._alive.append(est)
        node = {"$": "estimator", "class": native, "id": self._seen[id(est)]}
        prefix, outer_pair_prefix = self._prefix, self._pair_prefix
        params = est.get_params(deep=False)
        derived = getattr(type(est), "_persistence_derived", ())
        attrs = {k: v for k, v in vars(est).items() if k not in params and k not in derived}
        for key, values, role in (("params", params, "parameter"), ("attrs", attrs, "attribute")):
            node[key] = {}
            for name, value in values.items():
                self._prefix, self._pair_prefix = f"{prefix}{name}__", prefix
                where = f"{role} '{prefix}{name}' of {type(est).__name__}"
                node[key][name] = self.encode(value, where)
        self._prefix, self._pair_prefix = prefix, outer_pair_prefix
        return node

    def _keras_model(self, model, keras):
        self._seen[id(model)] = len(self._seen)
        self._alive.append(model)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.keras"
            model.save(path)
            member = self.writer.add("keras", ".keras", path.read_bytes())
        return {"$": "keras", "member": member, "id": self._seen[id(model)]}

    def _keras_object(self, value, keras, where):
        config = keras.saving.serialize_keras_object(value)
        try:
            json.dumps(config, allow_nan=False)
        except (TypeError, ValueError) as err:
            self.fail(where, f"the Keras object {type(value).__name__} has a configuration "
                             f"that is not plain data ({err})")
        return {"$": "keras_object", "config": config}

    def _skops(self, est, where):
        import skops.io as sio

        try:
            data = sio.dumps(est)
            untrusted = sio.get_untrusted_types(data=data)
        except Exception as err:  # skops raises many types; the message says which object
            self.fail(where, f"skops.io could not store the {type(est).__name__} ({err})")
        unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if unknown:
            self.fail(where, f"the {type(est).__name__} would need types outside the trusted "
                             f"list to load: {', '.join(unknown)}",
                      "Only scikit-learn's own types are trusted (see "
                      "sklearn_ser.persistence.TRUSTED_TYPES).")
        return {"$": "skops", "member": self.writer.add("skops", ".skops", data)}

    def _unsupported(self, value, where, keras):
        name = _type_name(value)
        if keras is not None and isinstance(value, keras.callbacks.Callback):
            self.fail(where, f"it holds a Keras callback ({type(value).__name__})",
                      "Callbacks only act during fit: set the parameter to None before saving "
                      "(e.g. est.set_params(clf__callbacks=None)); predictions do not change.")
        if name == "joblib.memory.Memory":
            self.fail(where, "it holds a joblib.Memory, a cache on this machine",
                      "Set it to None or to a cache folder path (a str) before saving.")
        if callable(value):
            label = getattr(value, "__qualname__", None) or name
            self.fail(where, f"it holds a callable ({label}), which is code",
                      "Use a registered name instead (e.g. an architecture of "
                      "sklearn_ser.models.ARCHITECTURES or an augmentation of "
                      "sklearn_ser.frontend.AUGMENTATIONS), or joblib if you will only load "
                      "files you trust.")
        self.fail(where, f"it holds an object of type {name}")


class Decoder:
    """Rebuilds the objects of a tree read by an ``ArchiveReader``."""

    def __init__(self, reader, runtime="keras", params=None):
        self.reader = reader
        self.runtime = runtime
        # classes of the stored estimators that a runtime's stand-in left unfitted
        self.unfitted_stand_ins: list[str] = []
        self._objects: dict[int, object] = {}
        self.caller = CallerParams(params, self.fail)
        # routed parameter names, as the Encoder tracks them (``features__memory``)
        self._prefix = self._pair_prefix = ""

    def fail(self, reason: str):
        raise ModelFileError(f"'{self.reader.path}' {reason}")

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        kind = node.get("$") if isinstance(node, dict) else None
        if kind == "float":
            if node["value"] not in _NONFINITE:
                self.fail(f"has an invalid float {node['value']!r}.")
            return _NONFINITE[node["value"]]
        if kind == "scalar":
            dtype = np.dtype(node["dtype"])
            if dtype.kind not in _SCALAR_KINDS:
                self.fail(f"has a scalar of unsupported dtype {dtype}.")
            return dtype.type(self.decode(node["value"]))
        if kind == "tuple":
            items = node["items"]
            if (len(items) == 2 and isinstance(items[0], str) and isinstance(items[1], dict)
                    and items[1].get("$") in ("estimator", "ref", "skops")):
                self._prefix = f"{self._pair_prefix}{items[0]}__"
            return tuple(self.decode(v) for v in items)
        if kind == "dict":
            return {self._key(k): self.decode(v) for k, v in node["items"]}
        if kind == "bunch":
            from sklearn.utils import Bunch

            return Bunch(**{k: self.decode(v) for k, v in node["items"].items()})
        if kind == "ndarray":
            return self.reader.read_array(node["member"])
        if kind == "object_array":
            out = np.empty(len(node["items"]), dtype=object)
            out[:] = [self.decode(v) for v in node["items"]]
            return out.reshape([int(n) for n in node["shape"]])
        if kind == "random_state":
            rng = np.random.RandomState()
            rng.set_state(self.decode(node["state"]))
            return rng
        if kind == "generator":
            return self._generator(self.decode(node["state"]))
        if kind == "ref":
            if node["id"] not in self._objects:
                self.fail(f"refers to object {node['id']!r} before it is defined.")
            return self._objects[node["id"]]
        if kind == "estimator":
            return self._estimator(node)
        if kind == "keras":
            network = (self._numpy_network if self.runtime == "numpy" else self._keras_model)
            return self._remember(node, network(node["member"]))
        if kind == "keras_object":
            # the numpy runtime keeps a training parameter (an optimizer...) as its config
            return (node["config"] if self.runtime == "numpy"
                    else self._keras_object(node["config"]))
        if kind == "skops":
            return self._skops(node["member"])
        self.fail(f"has a node of unknown type {kind!r} in its estimator.json.")

    def _key(self, node):
        key = self.decode(node)
        if isinstance(key, list):
            self.fail("has a dict key that is a list.")
        return key

    def _remember(self, node, obj):
        self._objects[node["id"]] = obj
        return obj

    def _generator(self, state):
        name = state.get("bit_generator") if isinstance(state, dict) else None
        if name not in _BIT_GENERATORS:
            self.fail(f"has a random generator of unknown kind {name!r}.")
        bit_generator = getattr(np.random, name)()
        bit_generator.state = state
        return np.random.Generator(bit_generator)

    def _estimator(self, node):
        name = node["class"]
        if name not in NATIVE_CLASSES:
            self.fail(f"holds an estimator of class {name!r}, which this sklearn-ser does not "
                      "load natively.")
        prefix, outer_pair_prefix = self._prefix, self._pair_prefix
        params = {}
        for key, value in node["params"].items():
            self._prefix, self._pair_prefix = f"{prefix}{key}__", prefix
            params[key] = self.decode(value)
        self._prefix, self._pair_prefix = prefix, outer_pair_prefix
        stand_in = None if self.runtime == "keras" else stand_in_class(name, self.runtime)
        if stand_in is not None:
            return self._remember(node, self._stand_in(stand_in, name, params, node["attrs"]))
        cls = native_class(name)
        signature = list(inspect.signature(cls.__init__).parameters.values())[1:]
        accepted = {p.name for p in signature if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        takes_any = any(p.kind is p.VAR_KEYWORD for p in signature)
        unknown = sorted(set(params) - accepted)
        if unknown and not takes_any:
            self.fail(f"sets parameter(s) {unknown} that this version of {cls.__name__} does "
                      "not have; it was written by another version of the library "
                      f"(sklearn-ser {self.reader.manifest['versions'].get('sklearn-ser')}).")
        est = cls(**self.caller.apply(name, cls, params, prefix))
        for attr, value in node["attrs"].items():
            check_attribute(cls, attr, self.fail)
            setattr(est, attr, self.decode(value))
        # looked up on the class: an instance attribute of that name came from the file
        restore = getattr(cls, "_persistence_restore", None)
        if restore is not None:
            restore(est)
        return self._remember(node, est)

    def _keras_model(self, member):
        import keras

        import sklearn_ser.models  # noqa: F401  (registers the custom layers)

        data = self.reader.read(member)
        check_keras_member(data, member, self.reader, runtime="keras")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.keras"
            path.write_bytes(data)
            try:
                # compile=False: the network only predicts (fit always builds a new one)
                return keras.saving.load_model(path, compile=False, safe_mode=True)
            except Exception as err:  # Keras raises many types; the message says which
                self.fail(f"has a Keras model {member!r} that Keras refused to load in safe "
                          f"mode: {err}")

    def _stand_in(self, stand_in, name, params, attrs):
        """``stand_in`` made from a stored estimator of class ``name``, for this runtime."""
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        attrs = {k: self.decode(v) for k, v in attrs.items()}
        try:
            est = stand_in._from_persistence_state(params, attrs)
        except ValueError as err:
            self.fail(f"has a {name.rsplit('.', 1)[-1]} that runtime={self.runtime!r} cannot "
                      f"rebuild: {err}")
        try:
            check_is_fitted(est)
        except NotFittedError:
            # an unfitted template (a VotingClassifier's ``estimators``) is harmless; load
            # refuses a model that is unfitted as a whole
            self.unfitted_stand_ins.append(name.rsplit(".", 1)[-1])
        return est

    def _numpy_network(self, member):
        from ..numpy_network import NumpyNetwork, UnsupportedNetworkError

        data = self.reader.read(member)
        check_keras_member(data, member, self.reader, runtime="numpy")
        try:
            return NumpyNetwork.from_keras_archive(data)
        except UnsupportedNetworkError as err:
            raise UnsupportedNetworkError(
                f"'{self.reader.path}': runtime='numpy' cannot run the Keras model {member!r}: "
                f"{err} Load it with runtime='keras'.") from None
        except ValueError as err:
            self.fail(f"has a Keras model {member!r} that cannot be read: {err}")

    def _keras_object(self, config):
        import keras

        try:
            return keras.saving.deserialize_keras_object(config, safe_mode=True)
        except Exception as err:  # Keras raises many types; the message says which
            self.fail(f"has a Keras object that Keras refused to load in safe mode: {err}")

    def _skops(self, member):
        import skops.io as sio

        data = self.reader.read(member)
        try:
            untrusted = sio.get_untrusted_types(data=data)
        except Exception as err:  # skops raises many types; the message says which
            self.fail(f"has a skops member {member!r} that cannot be read: {err}")
        unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if unknown:
            self.fail(f"has a skops member {member!r} holding types that are not trusted: "
                      f"{', '.join(unknown)}. Nothing was loaded from it.")
        try:
            return sio.loads(data, trusted=untrusted)
        except Exception as err:  # skops raises many types; the message says which
            self.fail(f"has a skops member {member!r} that cannot be loaded: {err}")
