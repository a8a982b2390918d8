"""The sklearn-ser command line, end to end with tiny settings, and its one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sklearn_ser.cli import ARCH_NAMES, main

SR = 16000
# a corpus of 4 speakers x 3 emotions x 1 clip of 1 s, one epoch: seconds per model
TINY_DATA = ["--n-speakers", "4", "--clips-per-emotion", "1", "--emotions", "angry", "sad",
             "neutral", "--duration", "1.0"]
EMOTIONS = ["angry", "neutral", "sad"]


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(err, *fragments):
    """The failure is reported on one line (the last; status lines may precede it)."""
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert [line for line in lines if "error:" in line] == lines[-1:], err
    for fragment in fragments:
        assert fragment in lines[-1]


# ------------------------------------------------------------------ arguments (no TensorFlow)

def test_arch_names_match_the_registry():
    from sklearn_ser.models import ARCHITECTURES

    assert set(ARCH_NAMES) == set(ARCHITECTURES)


def test_version_and_help(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.startswith("sklearn-ser ")
    status, out, _ = run(capsys, "compare", "--help")
    assert status == 0
    assert "under 10 minutes on 2 CPU cores" in " ".join(out.split())
    for option in ("--archs", "--epochs", "--cv", "--augment", "--no-augment", "--emotions",
                   "--n-jobs", "--random-state", "--out", "--quiet", "--corpus", "--data-dir",
                   "--fetch"):
        assert option in out


@pytest.mark.parametrize("argv, status, fragments", [
    (["frobnicate"], 2, ["invalid choice", "frobnicate"]),
    (["compare", "--cv", "1"], 2, ["--cv", "at least 2 folds"]),
    (["compare", "--epochs", "0"], 2, ["--epochs", "positive integer"]),
    (["compare", "--validation-fraction", "1.5"], 2, ["--validation-fraction", "in (0, 1)"]),
    (["compare", "--duration", "abc"], 2, ["--duration"]),
    (["train", "--arch", "cnn"], 2, ["--out"]),
    (["predict", "model.joblib"], 2, ["PATH"]),
    (["compare", "--archs", "cnn", "transformer"], 1, ["--archs", "transformer"]),
    (["compare", "--archs", "cnn", "cnn"], 1, ["--archs", "twice"]),
    (["train", "--arch", "lstm", "--out", "m.joblib"], 1, ["--arch", "lstm"]),
    (["compare", "--corpus", "iemocap"], 1, ["--corpus", "iemocap", "emodb"]),
    (["compare", "--corpus", "emodb"], 1, ["--data-dir"]),
    (["compare", "--corpus", "emodb", "tess", "--data-dir", "x"], 1, ["--data-dir", "2 corpora"]),
    (["compare", "--corpus", "demo", "emodb"], 1, ["cannot be combined"]),
    (["compare", "--augment", "wobble"], 1, ["--augment", "wobble"]),
    (["compare", "--augment", "none", "noise"], 1, ["--augment", "none"]),
    (["compare", "--emotions", "grumpy"], 1, ["--emotions", "grumpy"]),
    (["compare", "--cv", "corpus"], 1, ["--cv corpus", "two --corpus"]),
    (["compare", "--corpus", "emodb", "--data-dir", "x", "--n-speakers", "3"], 1,
     ["--n-speakers", "demo corpus only"]),
])
def test_bad_arguments_give_one_line(capsys, argv, status, fragments):
    code, out, err = run(capsys, *argv)
    assert code == status
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert_one_line_error(err, *fragments)


def test_missing_data_folder(capsys, tmp_path):
    missing = tmp_path / "no_such_emodb"
    code, _, err = run(capsys, "compare", "--corpus", "emodb", "--data-dir", str(missing))
    assert code == 1
    assert_one_line_error(err, "emodb", str(missing), "does not exist")


def test_data_folder_without_clips(capsys, tmp_path):
    (tmp_path / "readme.txt").write_text("not audio")
    code, _, err = run(capsys, "train", "--corpus", "savee", "--data-dir", str(tmp_path),
                       "--out", str(tmp_path / "m.joblib"))
    assert code == 1
    assert_one_line_error(err, "No SAVEE clips found", str(tmp_path))


def test_not_a_model(capsys, tmp_path):
    fake = tmp_path / "fake.joblib"
    joblib.dump({"weights": [1, 2]}, fake)
    code, _, err = run(capsys, "evaluate", str(fake))
    assert code == 1
    assert_one_line_error(err, "fake.joblib", "not an sklearn-ser model")
    code, _, err = run(capsys, "predict", str(tmp_path / "missing.joblib"), str(fake))
    assert code == 1
    assert_one_line_error(err, "missing.joblib", "does not exist")


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "sklearn_ser", "compare", "--cv", "x"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "sklearn-ser compare: error: argument --cv: expected a number of folds (>= 2) or "
        "'corpus', got 'x' (see 'sklearn-ser compare --help')"]


# ------------------------------------------------------------------ end to end

@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """One tiny `compare` run: two architectures, two folds, one epoch."""
    out = tmp_path_factory.mktemp("compare")
    stdout, stderr = StringIO(), StringIO()
    argv = ["compare", *TINY_DATA, "--epochs", "1", "--cv", "2", "--archs", "cnn", "cnn_gru",
            "--validation-fraction", "0.5", "--out", str(out)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdout", stdout)
        mp.setattr(sys, "stderr", stderr)
        status = main(argv)
    return status, stdout.getvalue(), stderr.getvalue(), out


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A tiny cnn pipeline saved by `train` (no augmentation, one epoch)."""
    path = tmp_path_factory.mktemp("train") / "sub" / "model.joblib"
    status = main(["train", *TINY_DATA, "--no-augment", "--epochs", "1", "--arch", "cnn",
                   "--out", str(path), "--quiet"])
    assert status == 0
    return path


def test_compare_prints_the_table(study):
    status, out, err, _ = study
    assert status == 0, err
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("Model"))
    for column in ("Final acc", "Final val acc", "Final loss", "Final val loss",
                   "Held-out acc", "UAR", "Macro-F1", "Fit time (s)", "Params"):
        assert column in header
    rows = [line.split()[0] for line in lines[lines.index(header) + 1:]]
    assert rows == ["cnn", "cnn_gru", "ensemble"]
    assert "2 folds" in out and "noise, stretch_pitch, shift, echo, reverb" in out
    assert "Traceback" not in err


def test_compare_writes_tables(study):
    _, _, _, out = study
    summary = pd.read_csv(out / "results_summary.csv", index_col="model")
    folds = pd.read_csv(out / "results_folds.csv")
    assert summary.index.tolist() == ["cnn", "cnn_gru", "ensemble"]
    assert len(folds) == 6 and sorted(folds["fold"].unique()) == [0, 1]
    scores = ["train_accuracy", "val_accuracy", "test_accuracy", "uar", "macro_f1"]
    models = folds[folds["model"] != "ensemble"]
    assert models[scores].notna().all().all()
    assert ((models[scores] >= 0) & (models[scores] <= 1)).all().all()
    assert (models[["train_loss", "val_loss"]] > 0).all().all()
    assert (models["epochs"] == 1).all() and (models["fit_time"] > 0).all()
    ensemble = folds[folds["model"] == "ensemble"]
    assert ensemble[["train_accuracy", "val_loss"]].isna().all().all()
    assert ((ensemble["uar"] >= 0) & (ensemble["uar"] <= 1)).all()
    params = summary["n_params_mean"]
    assert params["cnn"] > 1000 and params["cnn_gru"] > 1000
    assert params["ensemble"] == params["cnn"] + params["cnn_gru"]
    # speaker-independent folds partition the 12 clips: each clip is tested exactly once
    assert (folds["n_train"] + folds["n_test"] == 12).all()
    assert folds.groupby("model")["n_test"].sum().eq(12).all()

    document = json.loads((out / "results.json").read_text())
    assert document["labels"] == EMOTIONS
    for model in ("cnn", "cnn_gru", "ensemble"):
        cm = np.array(document["confusion"][model])
        assert cm.shape == (3, 3) and cm.sum() == 12
        assert cm.sum(axis=1).tolist() == [4, 4, 4]  # 4 speakers x 1 clip per emotion
    assert len(document["histories"]["cnn"]) == 2
    assert set(document["histories"]["cnn"][0]) >= {"loss", "accuracy", "val_loss",
                                                     "val_accuracy"}
    assert document["settings"]["Augmentation (training clips only)"].startswith("noise")


def test_compare_writes_report_and_figures(study):
    _, _, _, out = study
    for name in ("confusion_cnn.png", "confusion_cnn_gru.png", "confusion_ensemble.png",
                 "curves_cnn.png", "curves_cnn_gru.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG", name
    assert not (out / "curves_ensemble.png").exists()
    report = (out / "report.md").read_text()
    assert "## Settings" in report and "## Results" in report
    assert "| cnn_gru |" in report
    for link in ("confusion_cnn.png", "curves_cnn_gru.png", "confusion_ensemble.png"):
        assert f"]({link})" in report


def test_train_saves_a_pipeline(model_path):
    model = joblib.load(model_path)
    assert [name for name, _ in model.steps] == ["features", "clf"]
    assert model.classes_.tolist() == EMOTIONS
    assert model.named_steps["features"].duration == 1.0
    assert model.named_steps["clf"].arch == "cnn"
    assert model.named_steps["clf"].callbacks is None  # no progress bar pickled
    proba = model.predict_proba([np.zeros(SR, dtype=np.float32) + 0.01])
    assert proba.shape == (1, 3)


@pytest.fixture
def recordings(tmp_path, rng, tone):
    """A folder with a 0.8-s clip, a 3.2-s recording in a subfolder and a text file."""
    folder = tmp_path / "audio"
    (folder / "long").mkdir(parents=True)
    sf.write(folder / "short.wav", tone(200, 0.8), SR)
    long = np.concatenate([tone(150, 1.6), 0.2 * rng.standard_normal(int(1.6 * SR))])
    sf.write(folder / "long" / "talk.flac", long.astype(np.float32), SR)
    (folder / "notes.txt").write_text("not audio")
    return folder


def test_predict_table(capsys, model_path, recordings):
    status, out, err = run(capsys, "predict", str(model_path), str(recordings), "--quiet")
    assert status == 0, err
    assert "short.wav" in out and "talk.flac" in out and "notes.txt" not in out
    assert "Timeline of" in out and "talk.flac (6 windows)" in out
    for emotion in EMOTIONS:
        assert emotion in out


def test_predict_csv_windows(capsys, model_path, recordings):
    status, out, err = run(capsys, "predict", str(model_path), str(recordings), "--format",
                           "csv", "--quiet")
    assert status == 0, err
    table = pd.read_csv(StringIO(out))
    assert list(table.columns) == ["path", "scope", "start", "end", "label", *EMOTIONS]
    np.testing.assert_allclose(table[EMOTIONS].sum(axis=1), 1.0, atol=1e-5)
    long = table[table["path"].str.endswith("talk.flac")]
    windows = long[long["scope"] == "window"]
    # 3.2 s in 1-s windows every 0.5 s: starts 0, 0.5, ..., 2.0 and one flush with the end
    assert windows["start"].round(3).tolist() == [0.0, 0.5, 1.0, 1.5, 2.0, 2.2]
    assert windows["end"].round(3).tolist() == [1.0, 1.5, 2.0, 2.5, 3.0, 3.2]
    overall = long[long["scope"] == "recording"].iloc[0]
    np.testing.assert_allclose(overall[EMOTIONS].to_numpy(dtype=float),
                               windows[EMOTIONS].mean().to_numpy(), atol=1e-5)
    assert overall["label"] == EMOTIONS[int(np.argmax(overall[EMOTIONS].to_numpy(float)))]
    short = table[table["path"].str.endswith("short.wav")]
    assert short["scope"].tolist() == ["recording", "window"]


def test_predict_json_and_plot(capsys, model_path, recordings, tmp_path):
    plot = tmp_path / "profile.png"
    status, out, err = run(capsys, "predict", str(model_path),
                           str(recordings / "long" / "talk.flac"), "--format", "json",
                           "--window", "0.5", "--hop", "0.5", "--plot", str(plot))
    assert status == 0, err
    (record,) = json.loads(out)
    assert record["n_windows"] == len(record["windows"]) == 7  # 3.2 s: 6 hops and the tail
    assert record["windows"][-1]["end"] == pytest.approx(3.2)
    assert sum(record["probabilities"].values()) == pytest.approx(1.0)
    assert record["label"] == max(record["probabilities"], key=record["probabilities"].get)
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert f"Plot: {plot}" in err


def test_predict_errors(capsys, model_path, recordings, tmp_path):
    code, _, err = run(capsys, "predict", str(model_path), str(recordings / "notes.txt"))
    assert code == 1
    assert_one_line_error(err, "notes.txt", "cannot be decoded")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "predict", str(model_path), str(empty))
    assert code == 1
    assert_one_line_error(err, "holds no audio files")
    code, _, err = run(capsys, "predict", str(model_path), str(recordings), "--window", "2")
    assert code == 1
    assert_one_line_error(err, "window=2 s exceeds the model's clip duration (1 s)")


def test_evaluate_on_unseen_demo_speakers(capsys, model_path, tmp_path):
    out_dir = tmp_path / "eval"
    status, out, err = run(capsys, "evaluate", str(model_path), "--n-speakers", "2",
                           "--clips-per-emotion", "1", "--out", str(out_dir), "--quiet")
    assert status == 0, err
    for text in ("accuracy", "balanced accuracy", "macro-F1", "precision", "recall",
                 "Confusion matrix"):
        assert text in out
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert metrics["n_clips"] == 6 and metrics["labels"] == EMOTIONS
    for key in ("accuracy", "balanced_accuracy", "macro_f1"):
        assert 0.0 <= metrics[key] <= 1.0
    cm = np.array(metrics["confusion_matrix"])
    assert cm.sum() == 6 and cm.sum(axis=1).tolist() == [2, 2, 2]
    assert metrics["accuracy"] == pytest.approx(np.trace(cm) / 6)
    assert (out_dir / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


def test_console_script_predicts(model_path, recordings):
    """The installed entry point (or python -m sklearn_ser where it is not on PATH)."""
    script = shutil.which("sklearn-ser") or str(Path(sys.executable).with_name("sklearn-ser"))
    command = [script] if os.path.exists(script) else [sys.executable, "-m", "sklearn_ser"]
    result = subprocess.run(
        [*command, "predict", str(model_path), str(recordings / "short.wav"), "--format",
         "json", "--quiet"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)
    assert record["path"].endswith("short.wav") and record["n_windows"] == 1
    assert record["label"] in EMOTIONS


EMODB = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "emodb"


@pytest.mark.data
def test_evaluate_on_real_emodb(capsys, model_path, tmp_path):
    """Real corpus path: files at 22.05 kHz resampled, labels harmonised, unseen classes."""
    if not (EMODB / "wav").is_dir():
        pytest.skip(f"real EmoDB copy not found at {EMODB}")
    status, _, err = run(capsys, "evaluate", str(model_path), "--corpus", "emodb",
                           "--data-dir", str(EMODB), "--emotions", "angry", "sad", "boredom",
                           "--out", str(tmp_path), "--quiet")
    assert status == 0, err
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["n_clips"] == 127 + 62 + 81  # EmoDB: anger, sadness, boredom
    # boredom is not a class of the model: reported, and its clips count as errors
    assert "never learned boredom (81 clips)" in " ".join(err.split())
    assert metrics["labels"] == ["angry", "boredom", "neutral", "sad"]
    cm = np.array(metrics["confusion_matrix"])
    assert cm[1, 1] == 0 and cm[1].sum() == 81
    assert 0.0 <= metrics["accuracy"] <= (127 + 62) / 270


def test_training_option_defaults_are_the_classifier_defaults():
    from sklearn_ser import SERClassifier
    from sklearn_ser.cli import BATCH_SIZE, TRAIN_EPOCHS

    defaults = SERClassifier()
    assert (defaults.epochs, defaults.batch_size) == (TRAIN_EPOCHS, BATCH_SIZE)
    assert defaults.validation_fraction is None  # what the CLI's default (none) means
