"""Checks of a ``.keras`` member before either runtime builds or reads anything from it.

Keras (and the NumPy runtime) trust a ``.keras`` archive more than a model file may be
trusted: they read ``config.json`` whole, build every variable the config declares and read
each HDF5 weight before comparing its shape. Here, before any of that: every inner member is
decompressed under a cap and charged to the file's budget, the config's layer settings are
kept to sizes a speech-emotion network can have, the HDF5 file is walked through its metadata
only (declared shapes and types, no external storage, no links) and, for the Keras runtime,
the architecture's variables are created without memory (``keras.StatelessScope``) so their
shapes can be compared with the declared weights before a single weight is read.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
import zlib
from numbers import Integral

_CONFIG, _WEIGHTS, _METADATA = "config.json", "model.weights.h5", "metadata.json"
#: Largest ``config.json`` inside a ``.keras`` member; the five architectures' are 10-30 KB.
MAX_CONFIG_BYTES = 4 * 2**20
_MAX_METADATA_BYTES = 64 * 2**10
_CHUNK = 2**20
# Layer settings by what they size, and the largest value loading accepts. Windows (kernels,
# pools, strides) slide over frames: a few hundred at most in any SER network, and a window
# of 10^9 makes predict allocate gigabytes. Widths are bounded again by the weight budget.
_WINDOW_KEYS = frozenset({"kernel_size", "pool_size", "strides", "dilation_rate", "size",
                          "cropping", "padding", "length", "window_size"})
_WIDTH_KEYS = frozenset({"units", "filters", "num_heads", "key_dim", "value_dim",
                         "output_dim", "input_dim", "depth_multiplier", "groups",
                         "num_classes", "output_sequence_length"})
_SHAPE_KEYS = frozenset({"batch_shape", "batch_input_shape", "shape", "input_shape",
                         "target_shape", "output_shape", "dims"})
_LIMITS = ((_WINDOW_KEYS, 4096, "a window"), (_WIDTH_KEYS, 65536, "a width"),
           (_SHAPE_KEYS, 2**20, "a dimension"))
_MAX_H5_OBJECTS = 100_000
_MAX_H5_DEPTH = 32
_NUMERIC_KINDS = "biuf"


class _Refused(Exception):
    """A reason to refuse the member; turned into a ModelFileError naming it."""


def check_keras_member(data: bytes, member: str, reader, *, runtime: str) -> None:
    """Refuse a ``.keras`` member that would take more than its share of memory to load.

    Parameters
    ----------
    data : bytes
        The member's bytes (already verified against the manifest and charged).
    member : str
        Its name, for messages.
    reader : ArchiveReader
        The open model file: its budget is charged and its errors name the file.
    runtime : {"keras", "numpy"}
        Which runtime will build the network; only the Keras one builds the architecture
        (lazily) for the shape comparison, so the NumPy one never imports TensorFlow.

    Raises
    ------
    ModelFileError
        Naming the file, the member and the reason.
    """
    try:
        config, weights = _read(data, member, reader)
        _check_settings(config)
        declared = _declared_weights(weights)
        reader.charge(sum(n for _, _, n in declared), member,
                      f"the weights {_WEIGHTS} declares")
        if runtime == "keras":
            _compare_with_architecture(config, declared, member, reader)
    except _Refused as err:
        reader._fail(f"has a Keras model {member!r} that is refused: {err}")


def _read(data, member, reader):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OverflowError, EOFError,
            NotImplementedError) as err:
        raise _Refused(f"it is not a valid .keras archive ({err})") from None
    contents = {}
    with archive:
        names = archive.namelist()
        if len(set(names)) != len(names):
            raise _Refused("it holds the same inner member twice")
        for name in (_CONFIG, _WEIGHTS):
            if name not in names:
                raise _Refused(f"it has no {name}")
        for name in names:
            limit = {_CONFIG: MAX_CONFIG_BYTES, _METADATA: _MAX_METADATA_BYTES}.get(name)
            contents[name] = _inner(archive, name, limit, member, reader)
    try:
        config = json.loads(contents[_CONFIG])
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise _Refused(f"its {_CONFIG} is not valid JSON ({type(err).__name__})") from None
    if not isinstance(config, dict):
        raise _Refused(f"its {_CONFIG} is not a JSON object")
    return config, contents[_WEIGHTS]


def _inner(archive, name, limit, member, reader) -> bytes:
    """An inner member, decompressed in chunks: never past ``limit`` nor the budget."""
    chunks, size = [], 0
    try:
        with archive.open(name) as file:
            while chunk := file.read(_CHUNK):
                size += len(chunk)
                if limit is not None and size > limit:
                    raise _Refused(f"its {name} is larger than {limit} bytes; no network's "
                                   "is that large")
                reader.charge(len(chunk), member, f"its {name}")
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError,
            RuntimeError) as err:
        raise _Refused(f"its {name} is damaged ({err})") from None
    return b"".join(chunks)


def _check_settings(config) -> None:
    """Every sizing setting of every layer within :data:`_LIMITS`, or refuse it."""
    stack = [(config, None, "the model")]
    seen = 0
    while stack:
        value, key, layer = stack.pop()
        seen += 1
        if seen > 10**6:
            raise _Refused(f"its {_CONFIG} has more than a million values")
        if isinstance(value, dict):
            inner = value.get("config")
            if isinstance(value.get("class_name"), str) and isinstance(inner, dict):
                layer = f"layer {inner.get('name', '?')!r} ({value['class_name']})"
            stack.extend((v, k, layer) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, key, layer) for v in value)
        elif isinstance(value, Integral) and not isinstance(value, bool) and key is not None:
            for keys, limit, what in _LIMITS:
                if key in keys and abs(value) > limit:
                    raise _Refused(
                        f"its {_CONFIG} sets {key}={value} in {layer}, {what} larger than "
                        f"any speech-emotion network has (at most {limit}); nothing was "
                        "built from it")


def _declared_weights(weights: bytes):
    """``(path, shape, nbytes)`` of every HDF5 dataset, read from metadata only."""
    import h5py

    found = []
    try:
        with h5py.File(io.BytesIO(weights), "r") as store:
            _walk(store, "", found, 0, h5py)
    except _Refused:
        raise
    except Exception as err:  # h5py raises many types for a malformed file
        raise _Refused(f"its {_WEIGHTS} cannot be read ({type(err).__name__}: {err})") \
            from None
    return found


def _walk(group, prefix, found, depth, h5py):
    if depth > _MAX_H5_DEPTH:
        raise _Refused(f"its {_WEIGHTS} nests groups deeper than {_MAX_H5_DEPTH}")
    for name in group:
        path = f"{prefix}{name}"
        if len(found) + depth > _MAX_H5_OBJECTS:
            raise _Refused(f"its {_WEIGHTS} holds more than {_MAX_H5_OBJECTS} objects")
        link = group.get(name, getlink=True)
        if not isinstance(link, h5py.HardLink):
            # soft and external links point elsewhere in the file, or to another file
            raise _Refused(f"its {_WEIGHTS} has a {type(link).__name__} at {path!r}; Keras "
                           "never writes one")
        obj = group[name]
        if isinstance(obj, h5py.Group):
            _walk(obj, f"{path}/", found, depth + 1, h5py)
            continue
        if not isinstance(obj, h5py.Dataset):
            raise _Refused(f"its {_WEIGHTS} has an object of unknown type at {path!r}")
        if obj.is_virtual or obj.external:
            # their bytes live in other files, which a model file must never make us read
            raise _Refused(f"its {_WEIGHTS} has a dataset {path!r} stored outside the file")
        dtype = obj.dtype
        if dtype.kind not in _NUMERIC_KINDS or dtype.itemsize > 16 or obj.shape is None:
            raise _Refused(f"its {_WEIGHTS} has a dataset {path!r} of type {dtype}, not "
                           "numbers")
        shape = tuple(int(n) for n in obj.shape)
        found.append((path, shape, math.prod(shape) * dtype.itemsize))


def _compare_with_architecture(config, declared, member, reader) -> None:
    """The variables ``config.json`` creates must be exactly the declared weights."""
    architecture = _architecture_shapes(config)
    reader.charge(sum(math.prod(s) * size for s, size in architecture), member,
                  f"the variables its {_CONFIG} creates")
    # an optimizer's state, if any, is never read (the networks load uncompiled)
    stored = sorted(shape for path, shape, _ in declared if not path.startswith("optimizer/"))
    wanted = sorted(shape for shape, _ in architecture)
    if stored != wanted:
        missing = [s for s in wanted if s not in stored][:3]
        extra = [s for s in stored if s not in wanted][:3]
        raise _Refused(
            f"its {_WEIGHTS} does not match its architecture: {_CONFIG} creates "
            f"{len(wanted)} variable(s), the weights file holds {len(stored)}"
            + (f"; shapes missing: {missing}" if missing else "")
            + (f"; shapes not in the architecture: {extra}" if extra else ""))


def _architecture_shapes(config):
    """``(shape, itemsize)`` of each variable the config creates, without allocating them."""
    import keras
    import numpy as np

    import sklearn_ser.models  # noqa: F401  (registers the custom layers)

    # as keras.saving.load_model(compile=False) does: no optimizer, so no optimizer variables;
    # a copy, since deserialising consumes parts of the dict
    config = json.loads(json.dumps({k: v for k, v in config.items() if k != "compile_config"}))
    pending = _uninitialized()
    before = len(pending)
    try:
        # initialize_variables=False: variables get a shape but no memory
        with keras.StatelessScope(initialize_variables=False):
            model = keras.saving.deserialize_keras_object(config, safe_mode=True)
        variables = list(model.weights)
    except Exception as err:  # Keras raises many types; the message says which
        raise _Refused(f"Keras refused to build its architecture in safe mode: {err}") \
            from None
    finally:
        # Keras initialises every lazily created variable at the next StatelessScope that
        # initialises: these ones must never be, or their memory would be spent then
        del pending[before:]
    return [(tuple(int(n) for n in v.shape), np.dtype(v.dtype).itemsize) for v in variables]


def _uninitialized() -> list:
    """Keras's global list of variables created in a stateless scope (a private detail)."""
    from keras.src.backend.common import global_state

    return global_state.get_global_attribute("uninitialized_variables", [],
                                             set_to_default=True)
