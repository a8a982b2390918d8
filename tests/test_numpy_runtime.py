"""Saved models predicting without TensorFlow: ``load(path, runtime="numpy")`` and the CLI.

The layer-by-layer agreement of the NumPy network with Keras is tests/test_numpy_network.py;
here a user's whole path is checked: a saved pipeline (or ensemble) loaded with the NumPy
runtime predicts what the Keras one does, in a process that never imports TensorFlow, and
``sklearn-ser predict`` uses it unless told otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf
from sklearn.ensemble import VotingClassifier
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer, load, save
from sklearn_ser.cli import main
from sklearn_ser.persistence import ModelFileError

SR = 16000
LABELS = np.array(["angry", "calm", "sad"])


def ser(**params):
    from sklearn_ser import SERClassifier

    return SERClassifier(**{"arch": "cnn_gru", "epochs": 2, "batch_size": 8,
                            "model__filters": 4, "model__units": 4, "random_state": 0,
                            **params})


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Nine 0.5-s training clips whose pitch and loudness follow the label, and a 3-s file."""
    folder = tmp_path_factory.mktemp("numpy_runtime")
    rng = np.random.default_rng(0)
    t = np.arange(int(0.5 * SR)) / SR
    paths = []
    for i in range(9):
        wave = (0.2 + 0.2 * (i % 3)) * np.sin(2 * np.pi * (120 + 60 * (i % 3)) * t)
        paths.append(str(folder / f"clip_{i}.wav"))
        sf.write(paths[-1], wave + 0.01 * rng.standard_normal(t.size), SR, subtype="PCM_16")
    long = folder / "long.wav"
    sf.write(long, 0.3 * rng.standard_normal(3 * SR), SR, subtype="PCM_16")
    return paths, LABELS[np.arange(9) % 3], long


@pytest.fixture(scope="module")
def saved(recordings, tmp_path_factory):
    """name -> (Keras model, its file, inputs): a pipeline on paths and a soft-voting ensemble."""
    paths, y, _ = recordings
    folder = tmp_path_factory.mktemp("saved")
    pipe = Pipeline([
        ("features", AudioFeatureTransformer(duration=0.5, augment=("noise",), random_state=0)),
        ("clf", ser(clip_centering=True)),
    ]).fit(paths, y)
    X = pipe[:-1].transform(paths)
    voting = VotingClassifier([("gru", ser()), ("cnn", ser(arch="cnn", random_state=1))],
                              voting="soft").fit(X, y)
    return {name: (model, save(model, folder / f"{name}.skser"), inputs)
            for name, (model, inputs) in {"pipeline": (pipe, paths),
                                          "voting": (voting, X)}.items()}


@pytest.mark.parametrize("name", ["pipeline", "voting"])
def test_numpy_runtime_predicts_what_keras_predicts(saved, name):
    model, path, inputs = saved[name]
    fast = load(path, runtime="numpy")
    expected = model.predict_proba(inputs)
    proba = fast.predict_proba(inputs)
    np.testing.assert_allclose(proba, expected, atol=1e-5)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    decided = np.sort(expected, axis=1)[:, -1] - np.sort(expected, axis=1)[:, -2] > 1e-4
    assert (fast.predict(inputs) == model.predict(inputs))[decided].all()
    assert list(fast.classes_) == list(model.classes_)


def test_numpy_step_replaces_each_fitted_serclassifier(saved):
    from sklearn_ser.classifier import NumpySERClassifier

    pipe = load(saved["pipeline"][1], runtime="numpy")
    step = pipe[-1]
    assert isinstance(step, NumpySERClassifier)
    assert step.input_shape_ == saved["pipeline"][0][-1].input_shape_
    assert step.trained_params_["arch"] == "cnn_gru" and step.trained_params_["epochs"] == 2
    voting = load(saved["voting"][1], runtime="numpy")
    assert all(isinstance(est, NumpySERClassifier) for est in voting.estimators_)


def test_numpy_step_checks_inputs_like_serclassifier(saved):
    step = load(saved["pipeline"][1], runtime="numpy")[-1]
    n_frames, n_features = step.input_shape_
    with pytest.raises(ValueError, match=r"fitted on .* frames x .* features"):
        step.predict(np.zeros((2, n_frames + 1, n_features), dtype=np.float32))
    with pytest.raises(ValueError, match="views are for training only"):
        step.predict(np.zeros((2, 3, n_frames, n_features), dtype=np.float32))


def test_numpy_step_refuses_to_train_and_says_how(saved, recordings):
    paths, y, _ = recordings
    pipe = load(saved["pipeline"][1], runtime="numpy")
    with pytest.raises(TypeError, match="runtime='keras'"):
        pipe.fit(paths, y)


def test_numpy_runtime_refuses_an_unfitted_classifier(tmp_path):
    path = save(Pipeline([("features", AudioFeatureTransformer()), ("clf", ser())]),
                tmp_path / "unfitted.skser")
    with pytest.raises(ModelFileError, match="unfitted SERClassifier"):
        load(path, runtime="numpy")
    assert load(path).steps[-1][1].arch == "cnn_gru"  # the default runtime loads it


def test_unknown_runtime_is_refused(saved):
    with pytest.raises(ValueError, match="runtime must be one of 'keras', 'numpy'"):
        load(saved["pipeline"][1], runtime="onnx")


def test_recording_analysis_is_the_same_with_either_runtime(saved, recordings):
    from sklearn_ser.inference import analyse_recording

    model, path, _ = saved["pipeline"]
    long = recordings[2]
    with_keras = analyse_recording(model, long, window=0.5, hop=0.25)
    with_numpy = analyse_recording(load(path, runtime="numpy"), long, window=0.5, hop=0.25)
    columns = ["start", "end", *map(str, model.classes_)]
    assert len(with_numpy.timeline) == len(with_keras.timeline) > 1
    np.testing.assert_allclose(with_numpy.timeline[columns].to_numpy(dtype=float),
                               with_keras.timeline[columns].to_numpy(dtype=float), atol=1e-5)


NO_TENSORFLOW = textwrap.dedent("""
    import json, sys
    import numpy as np
    from sklearn_ser import load
    model = load(sys.argv[1], runtime="numpy")
    proba = model.predict_proba(json.loads(sys.argv[2]))
    assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "imported"
    print(json.dumps(proba.tolist()))
""")


def test_numpy_runtime_never_imports_tensorflow(saved):
    model, path, paths = saved["pipeline"]
    result = subprocess.run([sys.executable, "-c", NO_TENSORFLOW, str(path), json.dumps(paths)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(json.loads(result.stdout), model.predict_proba(paths),
                               atol=1e-5)


# ------------------------------------------------------------------ command line

def _predict(capsys, *argv):
    status = main(["predict", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_predict_runs_numpy_by_default_and_keras_on_request(capsys, saved, recordings):
    path, long = saved["pipeline"][1], recordings[2]
    status, out, err = _predict(capsys, str(path), str(long), "--window", "0.5")
    assert status == 0, err
    status, out_keras, err = _predict(capsys, str(path), str(long), "--window", "0.5",
                                      "--runtime", "keras")
    assert status == 0, err
    (fast,), (slow,) = json.loads(out), json.loads(out_keras)
    assert fast["n_windows"] == slow["n_windows"] > 1
    for emotion, share in slow["probabilities"].items():
        assert fast["probabilities"][emotion] == pytest.approx(share, abs=1e-5)


def test_cli_predict_falls_back_to_keras_and_says_why(capsys, monkeypatch, saved, recordings):
    from sklearn_ser import numpy_network

    def unsupported(cls, source):
        raise numpy_network.UnsupportedNetworkError("layer 'conv1' (Conv1D): dilation_rate 2.")

    monkeypatch.setattr(numpy_network.NumpyNetwork, "from_keras_archive",
                        classmethod(unsupported))
    path, long = saved["pipeline"][1], recordings[2]
    status, out, err = _predict(capsys, str(path), str(long), "--window", "0.5")
    assert status == 0, err
    assert "dilation_rate 2" in err and "TensorFlow (--runtime keras)" in err
    assert json.loads(out)[0]["n_windows"] > 1
    status, out, err = _predict(capsys, str(path), str(long), "--runtime", "numpy")
    assert status == 1
    assert "--runtime numpy" in err and "dilation_rate 2" in err and "Traceback" not in err


def test_cli_predict_with_the_numpy_runtime_never_imports_tensorflow(saved, recordings):
    code = ("import sys; from sklearn_ser.cli import main; status = main(sys.argv[1:]); "
            "assert 'tensorflow' not in sys.modules, 'imported'; sys.exit(status)")
    result = subprocess.run(
        [sys.executable, "-c", code, "predict", str(saved["pipeline"][1]),
         str(recordings[2]), "--window", "0.5", "--quiet"],
        capture_output=True, text=True, timeout=300, env={**os.environ})
    assert result.returncode == 0, result.stderr
    assert "long.wav" in result.stdout


def test_numpy_runtime_reads_a_model_saved_after_scikeras_pickled_one(saved, tmp_path):
    """Pickling a fitted SERClassifier (deepcopy, joblib, GridSearchCV's workers) makes
    scikeras register Keras's Functional class under another name; models saved later in
    that process still run in NumPy."""
    import copy

    model, _, paths = saved["pipeline"]
    copy.deepcopy(model)
    path = save(model, tmp_path / "after_pickling.skser")
    np.testing.assert_allclose(load(path, runtime="numpy").predict_proba(paths),
                               model.predict_proba(paths), atol=1e-5)


def test_cli_evaluate_gives_the_same_metrics_with_either_runtime(capsys, saved, tmp_path):
    path = saved["pipeline"][1]
    metrics = {}
    for runtime in ("numpy", "keras"):
        out_dir = tmp_path / runtime
        status = main(["evaluate", str(path), "--n-speakers", "2", "--clips-per-emotion", "1",
                       "--out", str(out_dir), "--quiet", "--runtime", runtime])
        _, err = capsys.readouterr()
        assert status == 0, err
        metrics[runtime] = json.loads((out_dir / "metrics.json").read_text())
    assert metrics["numpy"]["n_clips"] == 6
    assert metrics["numpy"]["confusion_matrix"] == metrics["keras"]["confusion_matrix"]


def test_cli_evaluate_with_the_numpy_runtime_never_imports_tensorflow(saved):
    code = ("import sys; from sklearn_ser.cli import main; status = main(sys.argv[1:]); "
            "assert 'tensorflow' not in sys.modules, 'imported'; sys.exit(status)")
    result = subprocess.run(
        [sys.executable, "-c", code, "evaluate", str(saved["pipeline"][1]), "--n-speakers", "2",
         "--clips-per-emotion", "1", "--quiet"],
        capture_output=True, text=True, timeout=300, env={**os.environ})
    assert result.returncode == 0, result.stderr
    assert "balanced accuracy" in result.stdout
