"""Model files crafted to run code or to exhaust memory (issue 30, items 1, 2 and 7).

Every crafted file is small: members that would decompress, or declare, gigabytes are built
from a few KB of zeros, and each test asserts the refusal names the member and the reason.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_ser import AudioFeatureTransformer, load, save
from sklearn_ser.persistence import CALLER_PARAMS, ModelFileError

LABELS = np.array(["low", "high"])


def _waves():
    rng = np.random.default_rng(0)
    t = np.arange(8000) / 16000
    waves = [(0.1 + 0.3 * (i % 2)) * np.sin(2 * np.pi * (150 + 50 * (i % 2)) * t)
             + 0.01 * rng.standard_normal(t.size) for i in range(6)]
    return waves, LABELS[np.arange(6) % 2]


def _stats_pipeline(**params):
    waves, y = _waves()
    transformer = AudioFeatureTransformer(duration=0.5, output="stats", features=("rms",),
                                          input_sr=16000, **params)
    return make_pipeline(transformer, LogisticRegression()).fit(waves, y), waves


def _members(path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(members: dict, out) -> Path:
    """A model file holding ``members``, its manifest listing their real digests."""
    members = dict(members)
    manifest = json.loads(members.pop("manifest.json"))
    manifest["members"] = {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return Path(out)


def _edit_tree(path, out, edit) -> Path:
    members = _members(path)
    tree = json.loads(members["estimator.json"])
    edit(tree)
    members["estimator.json"] = json.dumps(tree).encode()
    return _write(members, out)


def _transformer_node(tree):
    """The AudioFeatureTransformer node of a saved make_pipeline(transformer, ...)."""
    steps = tree["params"]["steps"]
    return steps[0]["items"][1]


# ------------------------------------------------------------------ item 1: caller parameters

class _Marker:
    """Unpickling this creates ``path``: proof that a file made joblib unpickle."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_a_memory_folder_named_by_a_file_is_never_used(tmp_path, monkeypatch):
    import pickle

    cache = tmp_path / "cache"
    model, waves = _stats_pipeline(memory=str(cache))
    model.predict(waves)  # a real cache, as an attacker would ship it next to the file
    outputs = list(cache.rglob("output.pkl"))
    assert outputs, "the transformer no longer caches: this test needs another route"
    marker = tmp_path / "code-ran"
    for output in outputs:
        output.write_bytes(pickle.dumps(_Marker(marker)))
    path = save(model, tmp_path / "model.skser")
    assert _transformer_node(json.loads(_members(path)["estimator.json"]))["params"][
        "memory"] == str(cache)

    monkeypatch.chdir(tmp_path)
    loaded = load(path)
    assert loaded[0].memory is None
    loaded.predict(waves)
    assert not marker.exists()
    # the caller, not the file, may name a cache
    own = load(path, params={"audiofeaturetransformer__memory": str(tmp_path / "mine")})
    assert own[0].memory == str(tmp_path / "mine")


def test_every_path_or_cache_parameter_is_listed():
    import inspect

    from sklearn_ser.persistence import NATIVE_CLASSES
    from sklearn_ser.persistence._classes import native_class

    suspicious = ("memory", "cache", "dir", "path", "folder", "model", "revision", "files")
    for name in NATIVE_CLASSES:
        if name.endswith("SERClassifier"):
            continue  # importing it loads TensorFlow; its parameters name no path
        cls = native_class(name)
        for param in inspect.signature(cls.__init__).parameters:
            if any(word in param for word in suspicious):
                assert param in CALLER_PARAMS.get(name, {}), (name, param)


def test_a_pretrained_model_named_by_a_file_must_come_from_the_caller(tmp_path):
    from sklearn_ser import SpeechEmbeddingTransformer

    est = SpeechEmbeddingTransformer(model="facebook/hubert-base-ls960", revision="abc",
                                     cache_dir=str(tmp_path / "hf"), local_files_only=True)
    path = save(est, tmp_path / "emb.skser")
    with pytest.raises(ModelFileError, match=r"model='facebook/hubert-base-ls960'.*params="):
        load(path)
    loaded = load(path, params={"model": "facebook/hubert-base-ls960", "revision": "abc"})
    assert (loaded.model, loaded.revision) == ("facebook/hubert-base-ls960", "abc")
    # where downloads go and whether the network is used are never the file's
    assert loaded.cache_dir is None and loaded.local_files_only is False
    with pytest.raises(ValueError, match="match no parameter"):
        load(path, params={"model": "x", "revision": "abc", "modle": "typo"})


def test_a_pipeline_memory_is_never_restored(tmp_path):
    model, _ = _stats_pipeline()
    model.set_params(memory=str(tmp_path / "cache"))
    assert load(save(model, tmp_path / "m.skser")).memory is None


# ------------------------------------------------------------------ item 7: method names

@pytest.mark.parametrize("attr", ["transform", "fit", "get_params", "n_features_in_x"])
def test_an_attribute_named_like_a_method_is_refused(tmp_path, attr):
    model, _ = _stats_pipeline()
    path = save(model, tmp_path / "m.skser")
    forged = _edit_tree(path, tmp_path / "forged.skser",
                        lambda tree: _transformer_node(tree)["attrs"].__setitem__(attr, "x"))
    if attr == "n_features_in_x":  # a plain new attribute: loads
        assert load(forged)[0].n_features_in_x == "x"
        return
    with pytest.raises(ModelFileError, match=rf"attribute '{attr}'.*methods"):
        load(forged)


# ------------------------------------------------------------------ item 2: memory bounds

def test_a_member_referenced_many_times_counts_each_time(tmp_path):
    model, _ = _stats_pipeline()
    path = save(model, tmp_path / "m.skser")
    members = _members(path)
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(2**18, dtype=np.float32), allow_pickle=False)  # 1 MiB
    members["arrays/9999.npy"] = buffer.getvalue()
    tree = json.loads(members["estimator.json"])
    node = {"$": "ndarray", "member": "arrays/9999.npy"}
    _transformer_node(tree)["attrs"]["copies_"] = [node] * 8
    members["estimator.json"] = json.dumps(tree).encode()
    forged = _write(members, tmp_path / "forged.skser")
    assert forged.stat().st_size < 100_000
    assert len(load(forged, max_bytes=16 * 2**20)[0].copies_) == 8
    with pytest.raises(ModelFileError, match=r"'arrays/9999\.npy'.*budget of 4194304"):
        load(forged, max_bytes=4 * 2**20)


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """A small fitted SERClassifier saved in the safe format."""
    from sklearn_ser import SERClassifier

    rng = np.random.default_rng(1)
    y = np.repeat(LABELS, 6)
    X = rng.normal(size=(y.size, 8, 5)).astype(np.float32)
    clf = SERClassifier(arch="cnn", epochs=1, batch_size=8, model__filters=4, random_state=0,
                        compile__run_eagerly=True).fit(X, y)
    return save(clf, tmp_path_factory.mktemp("net") / "clf.skser"), X


def _keras_member(path):
    members = _members(path)
    (name,) = [n for n in members if n.endswith(".keras")]
    with zipfile.ZipFile(io.BytesIO(members[name])) as zf:
        inner = {n: zf.read(n) for n in zf.namelist()}
    return members, name, inner


def _with_inner(path, out, change) -> Path:
    members, name, inner = _keras_member(path)
    change(inner)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, data in inner.items():
            zf.writestr(n, data)
    members[name] = buffer.getvalue()
    return _write(members, out)


def _set_everywhere(value, key, new):
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                value[k] = new
            else:
                _set_everywhere(v, key, new)
    elif isinstance(value, list):
        for v in value:
            _set_everywhere(v, key, new)


RUNTIMES = ["keras", "numpy"]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_huge_keras_config_is_refused(tmp_path, network, runtime):
    def pad(inner):
        config = json.loads(inner["config.json"])
        config["padding"] = " " * (5 * 2**20)
        inner["config.json"] = json.dumps(config).encode()

    forged = _with_inner(network[0], tmp_path / "forged.skser", pad)
    assert forged.stat().st_size < 200_000
    with pytest.raises(ModelFileError, match=r"keras/\d+\.keras.*config\.json is larger"):
        load(forged, runtime=runtime)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_absurd_layer_settings_are_refused(tmp_path, network, runtime):
    def pool(inner):
        config = json.loads(inner["config.json"])
        assert "pool_size" in json.dumps(config)
        _set_everywhere(config, "pool_size", [10**9])
        inner["config.json"] = json.dumps(config).encode()

    forged = _with_inner(network[0], tmp_path / "forged.skser", pool)
    with pytest.raises(ModelFileError, match=r"keras/\d+\.keras.*pool_size=1000000000"):
        load(forged, runtime=runtime)


def _replace_first_kernel(inner, make):
    import h5py

    source = io.BytesIO(inner["model.weights.h5"])
    with h5py.File(source, "r+") as store:
        paths = []
        store.visititems(lambda n, o: paths.append(n) if isinstance(o, h5py.Dataset) else None)
        target = next(p for p in paths if len(store[p].shape) >= 2)
        del store[target]
        make(store, target)
    inner["model.weights.h5"] = source.getvalue()


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_declared_weight_shapes_are_bounded_before_any_read(tmp_path, network, runtime):
    # 2^15 x 2^15 float32: 4 GiB declared, a few KB stored (never-written chunks read as 0)
    def huge(store, target):
        store.create_dataset(target, shape=(2**15, 2**15), dtype="float32", chunks=(64, 64),
                             compression="gzip")

    forged = _with_inner(network[0], tmp_path / "forged.skser",
                         lambda inner: _replace_first_kernel(inner, huge))
    assert forged.stat().st_size < 200_000
    with pytest.raises(ModelFileError, match=r"keras/\d+\.keras.*weights model\.weights\.h5 "
                                             r"declares.*budget"):
        load(forged, runtime=runtime)


def test_weight_shapes_are_checked_against_the_architecture(tmp_path, network):
    def other(store, target):
        store.create_dataset(target, data=np.zeros((3, 7), dtype=np.float32))

    forged = _with_inner(network[0], tmp_path / "forged.skser",
                         lambda inner: _replace_first_kernel(inner, other))
    with pytest.raises(ModelFileError, match=r"does not match its architecture.*\(3, 7\)"):
        load(forged)


def test_weights_stored_outside_the_file_are_refused(tmp_path, network):
    def external(store, target):
        store.create_dataset(target, shape=(4,), dtype="float32",
                             external=[(str(tmp_path / "secret.bin"), 0, 16)])

    forged = _with_inner(network[0], tmp_path / "forged.skser",
                         lambda inner: _replace_first_kernel(inner, external))
    with pytest.raises(ModelFileError, match="stored outside the file"):
        load(forged, runtime="numpy")


def test_the_legitimate_network_loads_within_the_budget(network):
    path, X = network
    loaded = load(path, max_bytes=2 * 2**20)
    assert loaded.predict_proba(X).shape == (len(X), 2)
