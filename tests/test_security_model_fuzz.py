"""Model-file fuzz (issue 30): mutated copies of a small saved model load or are refused.

Each mutation is re-signed (the manifest lists the new digests), so it reaches the parsers
behind the SHA-256 check: estimator.json values, .npy headers and bytes, the .keras member's
config.json, its HDF5 weights and the zip structures. ``load`` must return a model or raise
``ModelFileError`` (``UnsupportedNetworkError`` too with ``runtime="numpy"``, which names what
that runtime lacks): never another exception, a crash or a hang. A few hundred mutations by
default; set ``SKLEARN_SER_FUZZ_ITERATIONS`` for more.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import zipfile

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_ser import AudioFeatureTransformer, load, save
from sklearn_ser.numpy_network import UnsupportedNetworkError
from sklearn_ser.persistence import ModelFileError

ITERATIONS = int(os.environ.get("SKLEARN_SER_FUZZ_ITERATIONS", "300"))
_VALUES = [None, True, -1, 0, 1, 2**31, 10**9, -(10**18), 10**40, 1.5, float("nan"), "", "x",
           "transform", "../../etc/passwd", [], [1, 2], {}, {"$": "ndarray"},
           {"$": "ndarray", "member": "arrays/0000.npy"}, {"$": "ref", "id": 0},
           {"$": "object_array", "shape": [10**6], "items": []}, {"$": "scalar", "dtype": "<f8"},
           {"$": "estimator", "class": "sklearn.pipeline.Pipeline", "params": {}, "attrs": {}},
           {"$": "generator", "state": {"bit_generator": "PCG64", "state": 5}},
           {"$": "random_state", "state": [1, 2]}, {"$": "keras", "member": "x"},
           {"$": "tuple", "items": [1, {"$": "float", "value": "1e999"}]}]


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    """The members of a saved pipeline: features, a SERClassifier (a .keras) and a skops step."""
    from sklearn.ensemble import VotingClassifier

    from sklearn_ser import SERClassifier

    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], 6)
    X = rng.normal(size=(12, 8, 5)).astype(np.float32)
    clf = SERClassifier(arch="cnn_gru", epochs=1, batch_size=8, model__filters=4,
                        random_state=0).fit(X, y)
    folder = tmp_path_factory.mktemp("fuzz")
    t = np.arange(8000) / 16000
    waves = [(0.2 + 0.1 * i) * np.sin(2 * np.pi * 200 * t) for i in range(4)]
    classical = make_pipeline(
        AudioFeatureTransformer(duration=0.5, output="stats", features=("rms",),
                                input_sr=16000),
        VotingClassifier([("lr", LogisticRegression())], voting="soft")).fit(waves, ["a", "b"] * 2)
    out = {}
    for name, model in (("network", clf), ("classical", classical)):
        with zipfile.ZipFile(save(model, folder / f"{name}.skser")) as zf:
            out[name] = {n: zf.read(n) for n in zf.namelist()}
    return out


def _mutate_json(data: bytes, rng) -> bytes:
    tree = json.loads(data)
    nodes = []

    def collect(value, parent, key):
        nodes.append((parent, key))
        if isinstance(value, dict):
            for k, v in value.items():
                collect(v, value, k)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                collect(v, value, i)

    collect(tree, None, None)
    parent, key = nodes[rng.integers(len(nodes))]
    if parent is None:
        return json.dumps(_VALUES[rng.integers(len(_VALUES))]).encode()
    choice = rng.integers(3)
    if choice == 0:
        parent[key] = _VALUES[rng.integers(len(_VALUES))]
    elif choice == 1 and isinstance(parent, dict):
        del parent[key]
    else:
        parent[key] = [parent[key]] * int(rng.integers(2, 4))
    return json.dumps(tree, allow_nan=True).encode()


def _flip(data: bytes, rng, n=None) -> bytes:
    data = bytearray(data)
    for _ in range(n or int(rng.integers(1, 8))):
        i = int(rng.integers(len(data)))
        data[i] = int(rng.integers(256))
    return bytes(data)


def _mutate_keras(data: bytes, rng) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        inner = {n: zf.read(n) for n in zf.namelist()}
    name = ["config.json", "model.weights.h5", "metadata.json"][rng.integers(3)]
    if name.endswith(".json") and rng.random() < 0.7:
        inner[name] = _mutate_json(inner[name], rng)
    elif name.endswith(".h5"):
        inner[name] = _flip(inner[name], rng, int(rng.integers(1, 40)))
    else:
        inner[name] = _flip(inner[name], rng)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, d in inner.items():
            zf.writestr(n, d)
    return out.getvalue()


def _mutated(original: dict, rng) -> bytes:
    members = dict(original)
    manifest = json.loads(members.pop("manifest.json"))
    names = sorted(members)
    name = names[rng.integers(len(names))]
    if name.endswith(".json"):
        members[name] = _mutate_json(members[name], rng)
    elif name.endswith(".keras"):
        members[name] = _mutate_keras(members[name], rng)
    else:
        members[name] = _flip(members[name], rng)
    manifest["members"] = {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for n, d in members.items():
            zf.writestr(n, d)
    data = out.getvalue()
    # a few raw flips of the container itself (most end in the zip's own checks)
    return _flip(data, rng, 3) if rng.random() < 0.1 else data


@pytest.mark.slow
def test_mutated_model_files_load_or_are_refused(members, tmp_path):
    rng = np.random.default_rng(int(os.environ.get("SKLEARN_SER_FUZZ_SEED", "0")))
    path = tmp_path / "mutated.skser"
    outcomes, slowest = {"loaded": 0, "refused": 0}, 0.0
    for i in range(ITERATIONS):
        kind = "network" if i % 3 else "classical"
        path.write_bytes(_mutated(members[kind], rng))
        runtime = "numpy" if i % 2 else "keras"
        started = time.perf_counter()
        try:
            load(path, runtime=runtime)
            outcomes["loaded"] += 1
        except ModelFileError:
            outcomes["refused"] += 1
        except UnsupportedNetworkError:
            assert runtime == "numpy"
            outcomes["refused"] += 1
        except Exception as err:  # the point of the test: report what escaped
            raise AssertionError(f"mutation {i} ({kind}, runtime={runtime}) raised "
                                 f"{type(err).__name__}: {err}") from err
        slowest = max(slowest, time.perf_counter() - started)
    assert outcomes["refused"] > ITERATIONS // 3, outcomes
    assert slowest < 30, slowest
