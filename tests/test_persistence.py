"""The safe model format: round trips in a fresh process, refusals, and files that attack.

The models are fitted once per module (1 epoch, 4 filters, eager mode) and loaded together in
one fresh process, in which unpickling is made to fail: a load that unpickled anything would
break the test.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
import soundfile as sf
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from sklearn_ser import AudioFeatureTransformer, load, save
from sklearn_ser.persistence import (
    FORMAT_VERSION,
    ModelFileError,
    PickleModelFileError,
    is_model_file,
    load_model_file,
)

SR = 16000
LABELS = np.array(["angry", "calm", "sad"])
FAST_SER = {"arch": "cnn", "epochs": 1, "batch_size": 8, "model__filters": 4,
            "random_state": 0, "compile__run_eagerly": True}


def ser(**params):
    from sklearn_ser import SERClassifier

    return SERClassifier(**{**FAST_SER, **params})


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Nine half-second WAV clips at 22.05 kHz: tones whose pitch and loudness follow the label."""
    folder = tmp_path_factory.mktemp("clips")
    rng = np.random.default_rng(0)
    paths, y = [], []
    for i in range(9):
        label = LABELS[i % 3]
        t = np.arange(int(0.5 * 22050)) / 22050
        wave = (0.2 + 0.2 * (i % 3)) * np.sin(2 * np.pi * (120 + 60 * (i % 3)) * t)
        wave += 0.01 * rng.standard_normal(t.size)
        path = folder / f"clip_{i}.wav"
        sf.write(path, wave, 22050, subtype="PCM_16")
        paths.append(str(path))
        y.append(label)
    return paths, np.array(y)


@pytest.fixture(scope="module")
def features():
    rng = np.random.default_rng(1)
    y = np.repeat(LABELS, 6)
    X = rng.normal(size=(y.size, 8, 5)).astype(np.float32)
    for k, label in enumerate(LABELS):
        X[y == label, :4, k] += 3.0
    return X, y


def _stats(**params):
    return AudioFeatureTransformer(**{"duration": 0.5, "output": "stats",
                                      "features": ("mfcc", "rms"), **params})


@pytest.fixture(scope="module")
def classifier(features):
    X, y = features
    return ser().fit(X, y)


@pytest.fixture(scope="module")
def fitted(clips, features, classifier):
    """name -> (fitted model, X to predict on) for every kind the format covers."""
    paths, y_clips = clips
    X, y = features
    pipe = Pipeline([
        ("features", AudioFeatureTransformer(duration=0.5, augment=("noise",), random_state=0)),
        ("clf", ser()),
    ]).fit(paths, y_clips)
    voting = VotingClassifier(
        [("small", ser()), ("wide", ser(model__filters=6, random_state=1))], voting="soft",
    ).fit(X, y)
    stats = make_pipeline(_stats(), StandardScaler(), PCA(n_components=4),
                          LogisticRegression()).fit(paths, y_clips)
    union = make_pipeline(
        FeatureUnion([("mfcc", _stats()), ("mel", _stats(features=("mel",), n_mels=16))]),
        RandomForestClassifier(n_estimators=5, random_state=0),
    ).fit(paths, y_clips)
    return {
        "pipeline": (pipe, paths),
        "classifier": (classifier, X),
        "voting": (voting, X),
        "stats": (stats, paths),
        "union": (union, paths),
    }


FRESH = textwrap.dedent("""
    import json, pickle, sys
    import numpy as np
    import sklearn_ser.persistence, sklearn_ser.models  # imported before unpickling is barred

    def barred(*args, **kwargs):
        raise AssertionError("the safe format unpickled something")

    pickle.load = pickle.loads = barred
    pickle.Unpickler = barred
    pickle._Unpickler.__init__ = barred
    jobs = json.loads(sys.argv[1])
    for name, (model, X, out) in jobs.items():
        X = np.load(X, allow_pickle=False) if X.endswith(".npy") else json.load(open(X))
        est = sklearn_ser.persistence.load(model)
        np.savez(out, predict=est.predict(X), proba=est.predict_proba(X))
""")


@pytest.fixture(scope="module")
def fresh(fitted, tmp_path_factory):
    """name -> (model, predictions and probabilities of its copy loaded in a fresh process)."""
    folder = tmp_path_factory.mktemp("fresh")
    jobs = {}
    for name, (model, X) in fitted.items():
        path = save(model, folder / f"{name}.skser")
        if isinstance(X, np.ndarray):
            X_file = folder / f"{name}.npy"
            np.save(X_file, X)
        else:
            X_file = folder / f"{name}.json"
            X_file.write_text(json.dumps(X))
        jobs[name] = (str(path), str(X_file), str(folder / f"{name}.npz"))
    subprocess.run([sys.executable, "-c", FRESH, json.dumps(jobs)], check=True)
    return {name: np.load(out) for name, (_, _, out) in jobs.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pipeline", "classifier", "voting", "stats", "union"])
def test_fresh_process_predicts_identically(fitted, fresh, name):
    model, X = fitted[name]
    np.testing.assert_array_equal(fresh[name]["predict"], model.predict(X))
    np.testing.assert_array_equal(fresh[name]["proba"], model.predict_proba(X))


@pytest.mark.slow
def test_classifier_attributes_survive(fitted, tmp_path):
    clf, X = fitted["classifier"]
    loaded = load(save(clf, tmp_path / "clf.skser"))
    for name, value in vars(clf).items():
        if name in ("model_", "target_encoder_"):
            continue
        restored = getattr(loaded, name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(restored, value)
            assert restored.dtype == value.dtype
        elif name == "final_metrics_":  # NaN without a validation set
            assert json.dumps(restored) == json.dumps(value)
        else:
            assert restored == value and type(restored) is type(value), name
    # the label encoder is rebuilt from classes_ and encodes as the fitted one does
    y = clf.classes_[[2, 0, 1, 1]]
    np.testing.assert_array_equal(loaded.target_encoder_.transform(y),
                                  clf.target_encoder_.transform(y))
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(loaded.target_encoder_.inverse_transform(proba),
                                  clf.predict(X))
    # a loaded model can still be pickled, as every fitted estimator of the library can
    joblib.dump(loaded, tmp_path / "again.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "again.joblib").predict_proba(X), proba)


@pytest.mark.slow
def test_voting_keeps_one_object_per_member(fitted, tmp_path):
    voting, _ = fitted["voting"]
    loaded = load(save(voting, tmp_path / "vote.skser"))
    assert loaded.named_estimators_["wide"] is loaded.estimators_[1]
    np.testing.assert_array_equal(loaded.classes_, voting.classes_)
    with zipfile.ZipFile(tmp_path / "vote.skser") as zf:
        assert sum(n.endswith(".keras") for n in zf.namelist()) == 2


@pytest.mark.slow
def test_classical_pipeline_loads_without_tensorflow(fitted, tmp_path):
    path = save(fitted["stats"][0], tmp_path / "stats.skser")
    code = (f"import sys, sklearn_ser; sklearn_ser.load({str(path)!r}); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_unfitted_estimators_keep_their_parameters(tmp_path):
    import keras

    pipe = Pipeline([
        ("features", AudioFeatureTransformer(augment=(("noise", {"snr_db": (5, 15)}), "shift"),
                                             random_state=np.random.default_rng(3))),
        ("clf", ser(optimizer=keras.optimizers.Adam(learning_rate=3e-4),
                    class_weight={"angry": 2.0, "calm": 1.0}, metrics=["accuracy"],
                    random_state=np.random.RandomState(7), reduce_lr_factor=float("nan"))),
    ])
    loaded = load(save(pipe, tmp_path / "unfitted.skser"))
    with pytest.raises(NotFittedError):
        check_is_fitted(loaded[-1])
    original, restored = pipe.get_params(deep=True), loaded.get_params(deep=True)
    assert original.keys() == restored.keys()
    assert restored["features__augment"] == (("noise", {"snr_db": (5, 15)}), "shift")
    assert restored["clf__class_weight"] == {"angry": 2.0, "calm": 1.0}
    assert math.isnan(restored["clf__reduce_lr_factor"])
    assert restored["clf__optimizer"].get_config() == original["clf__optimizer"].get_config()
    # random generators come back in the same state: they draw the same numbers
    assert restored["clf__random_state"].randint(1000, size=5).tolist() == \
        np.random.RandomState(7).randint(1000, size=5).tolist()
    assert restored["features__random_state"].random() == np.random.default_rng(3).random()


@pytest.mark.slow
def test_load_model_file_reads_the_safe_format(fitted, tmp_path):
    path = save(fitted["stats"][0], tmp_path / "m.skser")
    assert is_model_file(path)
    assert not is_model_file(tmp_path / "missing.skser")
    paths = fitted["stats"][1]
    np.testing.assert_array_equal(load_model_file(path).predict(paths),
                                  fitted["stats"][0].predict(paths))


# ---------------------------------------------------------------- what cannot be saved

def _builder(input_shape, n_classes):  # a user's architecture: code, not data
    raise AssertionError("never called")


def _augmentation(y, sr, rng):
    return y


@pytest.mark.parametrize("make, named", [
    (lambda: Pipeline([("f", AudioFeatureTransformer()), ("clf", ser(arch=_builder))]),
     "'clf__arch'"),
    (lambda: make_pipeline(AudioFeatureTransformer(augment=["noise", _augmentation]), ser()),
     "'audiofeaturetransformer__augment'"),
    (lambda: ser(callbacks=[__import__("keras").callbacks.TerminateOnNaN()]), "'callbacks'"),
    (lambda: AudioFeatureTransformer(memory=joblib.Memory(None)), "'memory'"),
    (lambda: VotingClassifier([("a", ser(arch=_builder))]), "'a__arch'"),
])
def test_unstorable_parameters_are_named_and_nothing_is_written(make, named, tmp_path):
    path = tmp_path / "bad.skser"
    with pytest.raises(TypeError, match=named) as err:
        save(make(), path)
    assert "Cannot save parameter" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_foreign_estimators_are_refused_at_save(tmp_path):
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Mine(ClassifierMixin, BaseEstimator):
        pass

    with pytest.raises(TypeError, match=r"step 'mine' .*test_persistence.*Mine"):
        save(make_pipeline(StandardScaler(), Mine()), tmp_path / "x.skser")
    # a scikit-learn estimator holding the library's own goes to skops, which would need them
    search = GridSearchCV(make_pipeline(_stats(), LogisticRegression()),
                          {"logisticregression__C": [1.0]})
    qualname = r"sklearn_ser\.transformers\.audio_features\.AudioFeatureTransformer"
    with pytest.raises(TypeError, match=qualname):
        save(search, tmp_path / "search.skser")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(StandardScaler(), tmp_path / "no" / "x.skser")


# ---------------------------------------------------------------- files that attack

class _Payload:
    """Unpickling this creates the marker file: code from the file runs."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def small_model(tmp_path, clips):
    paths, y = clips
    # a soft vote keeps classes_ as an .npy member; its GaussianNB goes through skops
    model = make_pipeline(_stats(), VotingClassifier([("nb", GaussianNB())],
                                                     voting="soft")).fit(paths, y)
    return save(model, tmp_path / "small.skser")


def _rewrite(path, out, change):
    """Copy a model file, applying ``change(name, data) -> data | None`` (None drops it)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = change(name, src.read(name))
            if data is not None:
                dst.writestr(name, data)
    return out


def _resign(path, out, change):
    """Like _rewrite, then the manifest lists the new digests: only the content checks remain."""
    import hashlib

    _rewrite(path, out, change)
    with zipfile.ZipFile(out) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    manifest["members"] = {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def _replaced(path, out, suffix, data):
    """A signed copy whose members ending with ``suffix`` hold ``data`` instead."""
    return _resign(path, out, lambda n, d: data if n.endswith(suffix) else d)


@pytest.mark.parametrize("compress", [0, 3])
def test_a_malicious_joblib_file_never_runs(tmp_path, compress):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.joblib"
    joblib.dump(_Payload(marker), evil, compress=compress)
    with pytest.raises(PickleModelFileError, match="execute arbitrary code"):
        load(evil)
    with pytest.raises(PickleModelFileError, match="--trust-pickle") as err:
        load_model_file(evil)
    assert "trust_pickle=True" in str(err.value) and str(evil) in str(err.value)
    assert not marker.exists()
    # the payload is real: trusting the file runs it, which is why that is opt-in
    load_model_file(evil, trust_pickle=True)
    assert marker.exists()


@pytest.mark.slow
def test_a_joblib_file_of_a_keras_model_is_recognised(tmp_path, classifier, features):
    # the pickle embeds the network's .keras zip bytes, so the file also ends like a zip
    path = tmp_path / "clf.joblib"
    joblib.dump(classifier, path)
    assert zipfile.is_zipfile(path)
    with pytest.raises(PickleModelFileError, match="--trust-pickle"):
        load_model_file(path)
    X = features[0]
    np.testing.assert_array_equal(load_model_file(path, trust_pickle=True).predict_proba(X),
                                  classifier.predict_proba(X))


def test_a_zip_holding_a_pickle_is_refused(tmp_path, small_model):
    import pickle

    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(marker))
    bare = tmp_path / "bare.zip"  # a zip that is not ours (as torch.save writes)
    with zipfile.ZipFile(bare, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
    with pytest.raises(ModelFileError, match=r"no manifest\.json.*data\.pkl"):
        load_model_file(bare, trust_pickle=True)
    extra = _rewrite(small_model, tmp_path / "extra.skser", lambda n, d: d)
    with zipfile.ZipFile(extra, "a") as zf:
        zf.writestr("model.pkl", payload)
    with pytest.raises(ModelFileError, match=r"does not list: \['model.pkl'\]"):
        load(extra)
    # an .npy member replaced by a pickled object array, with a manifest signed to match
    objects = io.BytesIO()
    np.save(objects, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    forged = _replaced(small_model, tmp_path / "forged.skser", ".npy", objects.getvalue())
    with pytest.raises(ModelFileError, match="of Python objects"):
        load(forged)
    assert not marker.exists()


def test_missing_and_duplicated_members_are_refused(tmp_path, small_model):
    missing = _rewrite(small_model, tmp_path / "missing.skser",
                       lambda n, d: None if n.endswith(".npy") else d)
    with pytest.raises(ModelFileError, match=r"lacks member\(s\).*\.npy"):
        load(missing)
    doubled = _rewrite(small_model, tmp_path / "doubled.skser", lambda n, d: d)
    with zipfile.ZipFile(small_model) as src, zipfile.ZipFile(doubled, "a") as zf, \
            pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("estimator.json", src.read("estimator.json").replace(b"0.5", b"9.0"))
    with pytest.raises(ModelFileError, match="same member name twice"):
        load(doubled)


def test_a_newer_format_version_is_refused(tmp_path, small_model):
    def bump(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["format_version"] = FORMAT_VERSION + 1
        return json.dumps(manifest)

    newer = _rewrite(small_model, tmp_path / "newer.skser", bump)
    with pytest.raises(ModelFileError, match=f"format version {FORMAT_VERSION + 1}.*Upgrade"):
        load(newer)


def test_a_tampered_member_is_refused(tmp_path, small_model):
    def tamper(name, data):
        return data.replace(b'"duration": 0.5', b'"duration": 5.0') if name == "estimator.json" \
            else data

    tampered = _rewrite(small_model, tmp_path / "tampered.skser", tamper)
    with pytest.raises(ModelFileError, match=r"'estimator\.json' whose SHA-256 does not match"):
        load(tampered)


@pytest.mark.parametrize("tree, reason", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"$": "estimator", "class": "os.system", "id": 0, "params": {}, "attrs": {}}',
     "class 'os.system'"),
    ('{"$": "estimator", "class": "sklearn_ser.AudioFeatureTransformer", "id": 0, '
     '"params": {"sr": 16000}, "attrs": {"__class__": 1}}', "invalid attribute name"),
    ('{"$": "estimator", "class": "sklearn_ser.AudioFeatureTransformer", "id": 0, '
     '"params": {"shell": "rm"}, "attrs": {}}', r"parameter\(s\) \['shell'\]"),
    ('{"$": "scalar", "dtype": "|O", "value": 1}', "unsupported dtype"),
    ('{"$": "pickle", "data": "gASV"}', "unknown type 'pickle'"),
    ('{"$": "estimator", "class": "sklearn.pipeline.Pipeline"}', "invalid estimator.json"),
])
def test_a_forged_estimator_tree_builds_nothing_unexpected(tmp_path, small_model, tree, reason):
    forged = _replaced(small_model, tmp_path / "tree.skser", "estimator.json", tree.encode())
    with pytest.raises(ModelFileError, match=reason):
        load(forged)


def test_a_forged_array_header_allocates_nothing(tmp_path, small_model):
    def forge(name, data):
        if not name.endswith(".npy"):
            return data
        return data.replace(b"'shape': (", b"'shape': (100000000000, ", 1)

    forged = _resign(small_model, tmp_path / "huge.skser", forge)
    with pytest.raises(ModelFileError, match="header claims shape"):
        load(forged)


def test_files_that_are_not_models(tmp_path, small_model):
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    with pytest.raises(ModelFileError, match="not a sklearn-ser model file"):
        load_model_file(text)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.skser")
    truncated = tmp_path / "truncated.skser"
    truncated.write_bytes(small_model.read_bytes()[:200])
    with pytest.raises(ModelFileError):
        load(truncated)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "something-else"}))
    with pytest.raises(ModelFileError, match="does not name the format"):
        load(other)


@pytest.mark.slow
def test_a_keras_member_with_code_is_refused(tmp_path, classifier):
    import keras

    marker = tmp_path / "pwned"
    path = save(classifier, tmp_path / "clf.skser")
    inputs = keras.Input((8, 5))
    target = str(marker)
    body = keras.layers.Lambda(lambda x: (open(target, "w"), x)[1])(inputs)  # noqa: SIM115
    evil_model = tmp_path / "evil.keras"
    keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(body))).save(evil_model)
    marker.unlink()  # building the model ran the lambda once, here, in the test
    forged = _replaced(path, tmp_path / "forged.skser", ".keras", evil_model.read_bytes())
    with pytest.raises(ModelFileError, match="safe mode"):
        load(forged)
    assert not marker.exists()


def test_untrusted_skops_types_are_named(tmp_path, small_model):
    def swap(name, data):  # a skops member whose schema names a foreign type
        if not name.endswith(".skops"):
            return data
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            files = {n: zf.read(n) for n in zf.namelist()}
        files["schema.json"] = files["schema.json"].replace(
            b"sklearn.naive_bayes", b"os")
        files["schema.json"] = files["schema.json"].replace(b'"GaussianNB"', b'"system"')
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for n, d in files.items():
                zf.writestr(n, d)
        return out.getvalue()

    forged = _resign(small_model, tmp_path / "untrusted.skser", swap)
    with pytest.raises(ModelFileError, match=r"not trusted: os\.system"):
        load(forged)


def test_a_failed_save_leaves_the_previous_file(tmp_path, small_model):
    before = small_model.read_bytes()
    with pytest.raises(TypeError):
        save(AudioFeatureTransformer(augment=[_augmentation]), small_model)
    assert small_model.read_bytes() == before
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["small.skser"]


def test_opensmile_pipeline_round_trip(tmp_path):
    pytest.importorskip("opensmile")
    from sklearn_ser import OpenSmileTransformer

    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    waves = [0.3 * np.sin(2 * np.pi * (120 + 15 * i) * t) + 0.01 * rng.standard_normal(t.size)
             for i in range(8)]
    y = np.repeat(["low", "high"], 4)
    pipe = make_pipeline(OpenSmileTransformer("eGeMAPSv02", input_sr=16000), StandardScaler(),
                         LogisticRegression(max_iter=500)).fit(waves, y)
    path = save(pipe, tmp_path / "smile.skser")
    loaded = load(path)
    np.testing.assert_array_equal(loaded.predict_proba(waves), pipe.predict_proba(waves))
    assert (loaded[0].get_feature_names_out() == pipe[0].get_feature_names_out()).all()
