"""The sklearn-ser command line, end to end with tiny settings, and its one-line errors."""

from __future__ import annotations

import importlib.util
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

from sklearn_ser.cli import main
from sklearn_ser.persistence import load

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
    (["compare", "--cv", "1"], 2, ["--cv", "(>= 2)", "'1'"]),
    (["compare", "--n-jobs", "0"], 2, ["--n-jobs", "non-zero integer", "'0'"]),
    (["evaluate", "m.skser", "--n-jobs", "0"], 2, ["--n-jobs", "non-zero"]),
    (["predict", "m.skser", "x.wav", "--window", "nan"], 2, ["--window", "positive number"]),
    (["compare", "--epochs", "0"], 2, ["--epochs", "positive integer"]),
    (["compare", "--validation-fraction", "1.5"], 2, ["--validation-fraction", "in (0, 1)"]),
    (["compare", "--duration", "abc"], 2, ["--duration"]),
    (["train", "--arch", "cnn"], 2, ["--out"]),
    (["predict", "model.skser"], 2, ["PATH"]),
    (["compare", "--archs", "cnn", "transformer"], 1, ["--archs", "transformer"]),
    (["compare", "--archs", "cnn", "cnn"], 1, ["--archs", "twice"]),
    (["train", "--arch", "lstm", "--out", "m.skser"], 1, ["--arch", "lstm"]),
    (["compare", "--corpus", "iemocap"], 1, ["--corpus", "iemocap", "emodb"]),
    (["compare", "--corpus", "emodb"], 1, ["--data-dir"]),
    (["compare", "--corpus", "emodb", "tess", "--data-dir", "x"], 1, ["--data-dir", "2 corpora"]),
    (["compare", "--corpus", "demo", "emodb"], 1, ["cannot be combined"]),
    (["compare", "--augment", "wobble"], 1, ["--augment", "wobble"]),
    (["compare", "--augment", "none", "noise"], 1, ["--augment", "none"]),
    (["compare", "--emotions", "grumpy"], 1, ["--emotions", "grumpy"]),
    (["compare", "--emotions", "sad", "sad"], 1, ["--emotions", "twice"]),
    (["compare", "--corpus", "tess", "TESS", "--data-dir", "x", "y"], 1, ["--corpus", "twice"]),
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


def test_fetch_of_a_corpus_without_public_archive_says_how_to_get_it(capsys, tmp_path):
    from sklearn_ser.datasets import get_corpus

    assert get_corpus("savee").archive is None  # the registry's word, read by the CLI too
    code, out, err = run(capsys, "compare", "--corpus", "savee", "--fetch", "--data-dir",
                         str(tmp_path), "--quiet")
    assert code == 1 and out == ""
    assert_one_line_error(err, "SAVEE", str(tmp_path))


def test_not_a_model(capsys, tmp_path):
    fake = tmp_path / "fake.joblib"
    joblib.dump({"weights": [1, 2]}, fake)
    code, _, err = run(capsys, "evaluate", str(fake), "--trust-pickle")
    assert code == 1
    assert_one_line_error(err, "fake.joblib", "not an sklearn-ser model")
    code, _, err = run(capsys, "predict", str(tmp_path / "missing.skser"), str(fake))
    assert code == 1
    assert_one_line_error(err, "missing.skser", "does not exist")
    garbage = tmp_path / "garbage.skser"
    garbage.write_bytes(b"not a model at all")
    code, _, err = run(capsys, "evaluate", str(garbage))
    assert code == 1
    assert_one_line_error(err, "garbage.skser")


def test_pickle_model_refused_without_trust(capsys, tmp_path):
    """A joblib file could run code when loaded: refused, the message says why and how."""
    fake = tmp_path / "fake.joblib"
    joblib.dump({"weights": [1, 2]}, fake)
    for command in (["evaluate", str(fake)], ["predict", str(fake), str(fake)]):
        code, out, err = run(capsys, *command)
        assert code == 1 and out == ""
        assert_one_line_error(err, "fake.joblib", "--trust-pickle")


@pytest.mark.parametrize("command, option, setup", [
    (["train", "--out"], "--out", "parent_is_file"),
    (["train", "--out"], "--out", "is_dir"),
    (["compare", "--out"], "--out", "is_file"),
    (["compare", "--out"], "--out", "parent_is_file"),
    (["evaluate", "MODEL", "--out"], "--out", "is_file"),
    (["predict", "MODEL", "AUDIO", "--plot"], "--plot", "parent_is_file"),
    (["predict", "MODEL", "AUDIO", "--csv"], "--csv", "is_dir"),
])
def test_output_paths_checked_before_any_work(capsys, tmp_path, command, option, setup):
    """An impossible output path fails at once, naming the option, before data loads."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    target = {"parent_is_file": blocker / "sub" / "out.x", "is_dir": tmp_path,
              "is_file": blocker}[setup]
    # MODEL and AUDIO do not exist: reaching them would be a different error
    argv = [{"MODEL": str(tmp_path / "missing.skser"), "AUDIO": str(tmp_path / "a.wav")}
            .get(a, a) for a in command] + [str(target)]
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert "Generating" not in err and "Loading" not in err
    assert_one_line_error(err, option, str(target))


def test_user_error_is_one_line_but_a_bug_keeps_its_traceback(capsys, monkeypatch):
    from sklearn_ser.cli import train
    from sklearn_ser.frontend.decode import AudioInputError

    def corrupt(args, console):
        raise AudioInputError("'x.wav' cannot be decoded")

    monkeypatch.setattr(train, "run", corrupt)
    code, _, err = run(capsys, "train", "--out", "m.skser")
    assert code == 1
    assert_one_line_error(err, "x.wav", "cannot be decoded")

    def bug(args, console):
        raise ValueError("an internal inconsistency")

    monkeypatch.setattr(train, "run", bug)
    with pytest.raises(ValueError, match="internal inconsistency"):
        main(["train", "--out", "m.skser"])


def test_help_and_defaults_do_not_import_tensorflow():
    code = ("import sys; import sklearn_ser.defaults; "
            "assert not [m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'tensorflow', 'keras')], 'defaults imports too much'; "
            "from sklearn_ser.cli import main; "
            "assert main(['compare', '--epochs', '0']) == 2; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "sklearn_ser", "compare", "--cv", "x"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "sklearn-ser compare: error: argument --cv: expected a number of folds (>= 2) or "
        "'corpus', got 'x' (see 'sklearn-ser compare --help')"]


# ------------------------------------------------------------------ end to end

def run_captured(argv, out):
    """(status, stdout, stderr, out) of a command, outside capsys (module fixtures)."""
    stdout, stderr = StringIO(), StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdout", stdout)
        mp.setattr(sys, "stderr", stderr)
        status = main(argv)
    return status, stdout.getvalue(), stderr.getvalue(), out


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """One tiny `compare` run: two architectures, two folds, one epoch."""
    out = tmp_path_factory.mktemp("compare")
    return run_captured(["compare", *TINY_DATA, "--epochs", "1", "--cv", "2", "--archs", "cnn",
                         "cnn_gru", "--validation-fraction", "0.5", "--out", str(out)], out)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A tiny cnn pipeline saved by `train` (no augmentation, one epoch)."""
    path = tmp_path_factory.mktemp("train") / "sub" / "model.skser"
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
    """In the safe format: it loads without unpickling and predicts."""
    import zipfile

    assert zipfile.is_zipfile(model_path)
    model = load(model_path)
    assert [name for name, _ in model.steps] == ["features", "clf"]
    assert model.classes_.tolist() == EMOTIONS
    assert model.named_steps["features"].duration == 1.0
    assert model.named_steps["clf"].arch == "cnn"
    assert model.named_steps["clf"].callbacks is None  # no progress bar saved
    proba = model.predict_proba([np.zeros(SR, dtype=np.float32) + 0.01])
    assert proba.shape == (1, 3)


def test_trusted_pickle_model_still_predicts(capsys, model_path, tmp_path, tone):
    pickled = tmp_path / "model.joblib"
    joblib.dump(load(model_path), pickled)
    clip = tmp_path / "clip.wav"
    sf.write(clip, tone(200, 0.8), SR)
    status, out, err = run(capsys, "predict", str(pickled), str(clip), "--trust-pickle",
                           "--format", "json", "--quiet")
    assert status == 0, err
    assert json.loads(out)[0]["path"].endswith("clip.wav")


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
    assert_one_line_error(err, "1 of 1 file(s)", "notes.txt", "cannot be decoded")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "predict", str(model_path), str(empty))
    assert code == 1
    assert_one_line_error(err, "holds no audio files")
    code, out, err = run(capsys, "predict", str(model_path), str(recordings), "--window", "2")
    assert code == 1 and out == ""
    assert_one_line_error(err, "--window 2 s exceeds the model's clip duration (1 s)")


@pytest.fixture
def with_bad_files(recordings):
    """The recordings plus a corrupt file and a truncated WAV among them."""
    (recordings / "corrupt.wav").write_bytes(b"RIFF\x00\x00 garbage, not audio" * 4)
    good = (recordings / "short.wav").read_bytes()
    (recordings / "long" / "truncated.wav").write_bytes(good[:60])
    return recordings


def test_predict_reports_each_bad_file_and_keeps_the_good(capsys, model_path,
                                                          with_bad_files, tmp_path):
    plot = tmp_path / "plots" / "p.png"
    csv = tmp_path / "tables" / "predictions.csv"
    status, out, err = run(capsys, "predict", str(model_path), str(with_bad_files),
                           "--plot", str(plot), "--csv", str(csv), "--quiet")
    assert status == 1
    assert_one_line_error(err, "2 of 4 file(s) could not be analysed", "(and 1 more)")
    rows = {line.split()[0]: line for line in out.splitlines()
            if line.strip().startswith(str(with_bad_files))}
    assert len(rows) == 4
    for name in ("corrupt.wav", "truncated.wav"):
        (line,) = [v for k, v in rows.items() if k.endswith(name)]
        assert " error " in line
    for name in ("short.wav", "talk.flac"):
        (line,) = [v for k, v in rows.items() if k.endswith(name)]
        assert " error " not in line and any(e in line for e in EMOTIONS)
    table = pd.read_csv(csv)
    errors = table[table["scope"] == "error"]
    assert sorted(Path(p).name for p in errors["path"]) == ["corrupt.wav", "truncated.wav"]
    assert errors["error"].str.len().gt(10).all()
    assert (table["scope"] == "recording").sum() == 2
    assert sorted(p.name for p in plot.parent.iterdir()) == ["p_short.png", "p_talk.png"]


def test_predict_json_marks_bad_files(capsys, model_path, with_bad_files):
    status, out, _ = run(capsys, "predict", str(model_path), str(with_bad_files),
                           "--format", "json", "--quiet")
    assert status == 1
    records = {Path(r["path"]).name: r for r in json.loads(out)}
    assert set(records) == {"corrupt.wav", "truncated.wav", "short.wav", "talk.flac"}
    assert "corrupt.wav" in records["corrupt.wav"]["error"]
    assert "error" not in records["short.wav"] and records["short.wav"]["label"] in EMOTIONS


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


@pytest.mark.data
def test_compare_on_a_recorded_corpus_learns_from_whisper_frames(tmp_path):
    """--features auto: Whisper's frames on recorded speech (and log-mel on the demo)."""
    if not (EMODB / "wav").is_dir():
        pytest.skip(f"real EmoDB copy not found at {EMODB}")
    status, out, err, _ = run_captured(
        ["compare", "--corpus", "emodb", "--data-dir", str(EMODB), "--emotions", "angry",
         "sad", "--cv", "2", "--archs", "cnn", "--epochs", "1", "--no-ensemble", "--quiet"],
        tmp_path)
    assert status == 0, err
    assert "features: Whisper base encoder layer 3" in out and "augmentation: none" in out
    status, _, err, _ = run_captured(["compare", "--corpus", "emodb", "--data-dir", str(EMODB),
                                      "--augment", "noise"], tmp_path)
    assert status == 1 and "--features mel" in err


# ------------------------------------------------------------------ progress

class _Terminal(StringIO):
    def isatty(self):
        return True


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_off_a_terminal_is_plain_lines_with_eta():
    from sklearn_ser.utils.progress import Progress

    log, clock = StringIO(), _Clock()
    with Progress(20, "study", unit="model", file=log, clock=clock) as progress:
        for _ in range(20):
            clock.now += 3
            progress.update(1, uar=0.5)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()
    assert len(lines) == 10  # every 10 %: 2, 4, ..., 20 models
    assert lines[0] == "study: 2/20 models (10%), elapsed 6 s, ETA 54 s, uar 0.500"
    assert lines[-1] == "study: 20/20 models (100%), elapsed 1 min 00 s, uar 0.500"


def test_progress_lines_at_least_every_30_seconds():
    from sklearn_ser.utils.progress import Progress

    log, clock = StringIO(), _Clock()
    outer = Progress(1000, "study", unit="model", file=log, clock=clock)
    inner = Progress(50, "fold 1/3 cnn", unit="epoch", level=1, file=log, clock=clock)
    for _ in range(50):
        clock.now += 7  # slow epochs: 350 s in all
        inner.update(1, loss=1.25)
    inner.close()
    outer.update(1)
    lines = log.getvalue().splitlines()
    # inner levels report on time only (every 30 s: at 35, 70, ..., 315 s), indented, and
    # not when they finish (the outer level's next line follows)
    assert len(lines) == 9 + 1
    assert lines[0] == "  fold 1/3 cnn: 5/50 epochs (10%), elapsed 35 s, ETA 5 min 15 s, loss 1.250"
    assert lines[-1].startswith("study: 1/1000 models (0%), elapsed 5 min 50 s, ETA ")


def test_progress_on_a_terminal_is_a_bar_and_quiet_is_nothing():
    from sklearn_ser.utils.progress import Progress

    terminal = _Terminal()
    with Progress(4, "training cnn", unit="epoch", file=terminal) as progress:
        progress.update(2, loss=0.5)
    assert "training cnn" in terminal.getvalue() and "\r" in terminal.getvalue()
    assert "2/4" in terminal.getvalue()
    silent = StringIO()
    with Progress(4, "x", file=silent, enabled=False) as progress:
        progress.update(4)
        progress.write("status")
    assert silent.getvalue() == ""


def test_compare_progress_in_a_log_is_readable(study):
    """stderr of the study fixture is not a terminal: whole lines, an ETA, no redraws."""
    _, _, err, _ = study
    assert "\r" not in err
    lines = err.splitlines()
    assert any(line.startswith("extracting features of all 12 clips once") for line in lines)
    progress = [line for line in lines if line.startswith("study: ")]
    assert len(progress) == 4  # one line per finished model
    assert progress[0].startswith("study: 1/4 models (25%)") and "ETA" in progress[0]
    assert "done cnn fold 1, uar 0." in progress[0]
    assert progress[-1].startswith("study: 4/4 models (100%)")
    assert "Total time" in err and "extraction" in err and "training" in err
    # a quiet start: one line of its own names the device, no TensorFlow C++ log lines
    assert sum(line.startswith("Training on ") for line in lines) == 1
    assert not any(line.startswith(("E0000", "W0000", "I0000")) for line in lines)


def test_compare_resumes_from_its_out_folder_and_starts_fresh_on_a_change(study, tmp_path):
    """The same command again restores every model; another --archs discards them."""
    import shutil

    _, first_table, _, study_out = study
    out = shutil.copytree(study_out, tmp_path / "out")  # the fixture's folder stays as it is
    assert len(list((out / "checkpoint").glob("*-fold*.json"))) == 4
    argv = ["compare", *TINY_DATA, "--epochs", "1", "--cv", "2", "--archs", "cnn", "cnn_gru",
            "--validation-fraction", "0.5", "--out", str(out)]
    status, table, err, _ = run_captured(argv, out)
    assert status == 0, err
    assert "resuming: 4 of 4 (architecture, fold) results found" in err
    assert "4 results resumed" in err and not [x for x in err.splitlines()
                                               if x.startswith("study: ")]
    assert table == first_table  # fit times included: they are the first run's
    assert "| Resumed | 4 (model, fold) results restored" in (out / "report.md").read_text()
    status, _, err, _ = run_captured([*argv[:-2], "--archs", "cnn", "--out", str(out)], out)
    assert status == 0, err
    assert "starting fresh" in err and "archs ['cnn', 'cnn_gru'] -> ['cnn']" in err
    assert pd.read_csv(out / "results_summary.csv")["model"].tolist() == ["cnn"]
    assert not (out / "confusion_cnn_gru.png").exists()  # nothing left of the other study


def test_compare_on_whisper_frames(tmp_path):
    """--features whisper: the recipe's layer, 80-ms frames, its own epochs, no views."""
    status, out, err, _ = run_captured(["compare", *TINY_DATA, "--features", "whisper",
                                        "--cv", "2", "--archs", "cnn", "--no-ensemble",
                                        "--quiet"], tmp_path)
    assert status == 0, err
    # 6 training clips a fold: one batch an epoch, so the epochs are capped at 100
    assert ("100 epochs, features: Whisper base encoder layer 3 (512 values every 80 ms), "
            "augmentation: none") in out
    assert [line.split()[0] for line in out.splitlines()[-1:]] == ["cnn"]


def test_compare_with_the_recipe_as_a_baseline(tmp_path):
    status, out, err, _ = run_captured(["compare", *TINY_DATA, "--archs", "none", "--cv", "2",
                                        "--baselines", "whisper+logreg", "--quiet"], tmp_path)
    assert status == 0, err
    assert "baselines: whisper+logreg" in out
    assert out.splitlines()[-1].split()[0] == "whisper+logreg"


@pytest.mark.parametrize("argv, fragments", [
    (["--early-stopping", "3"], ["--early-stopping", "--validation-fraction"]),
    (["--features", "whisper", "--augment", "noise"], ["--augment", "Whisper frames"]),
    (["--views-per-epoch", "0"], ["--views-per-epoch", "positive integer"]),
])
def test_compare_training_options_are_judged_before_any_work(capsys, argv, fragments):
    status, _, err = run(capsys, "compare", *argv)
    assert status in (1, 2) and "Loading TensorFlow" not in err
    for fragment in fragments:
        assert fragment in err


# ------------------------------------------------------------------ feature sets and baselines

requires_opensmile = pytest.mark.skipif(
    importlib.util.find_spec("opensmile") is None,
    reason="the opensmile extra is not installed (CI installs it)")


def test_feature_options_in_the_help(capsys):
    _, compare_help, _ = run(capsys, "compare", "--help")
    _, train_help, _ = run(capsys, "train", "--help")
    for option in ("--features", "--baselines", "lld:SET", "compare+logreg"):
        assert option in compare_help
    for option in ("--features", "--estimator", "egemaps", "smile:SET"):
        assert option in train_help


@pytest.mark.parametrize("argv, fragments", [
    (["compare", "--features", "wav2vec"], ["--features", "'wav2vec'", "smile-lld:SET",
                                            "'whisper'"]),
    (["compare", "--baselines", "compare"], ["--baselines", "FEATURES+ESTIMATOR", "logreg"]),
    (["compare", "--baselines", "compare+knn"], ["--baselines", "'compare+knn'"]),
    (["compare", "--archs", "none"], ["--archs none", "--baselines"]),
    (["train", "--estimator", "svc", "--out", "m.skser"], ["--estimator", "functionals"]),
    pytest.param(["compare", "--features", "egemaps"],
                 ["one vector per clip", "--baselines egemaps+logreg", "smile-lld:eGeMAPSv02"],
                 marks=requires_opensmile),
    pytest.param(["compare", "--features", "smile-lld:eGeMAPS_v9"],
                 ["unknown openSMILE feature set 'eGeMAPS_v9'", "eGeMAPSv02"],
                 marks=requires_opensmile),
    pytest.param(["compare", "--baselines", "mel+logreg"], ["--baselines", "functionals"],
                 marks=requires_opensmile),
    pytest.param(["compare", "--baselines", "egemaps+logreg", "EGEMAPS+logreg"],
                 ["--baselines", "twice"], marks=requires_opensmile),
    pytest.param(["train", "--features", "compare", "--arch", "cnn", "--out", "m.skser"],
                 ["--arch", "--estimator"], marks=requires_opensmile),
    pytest.param(["train", "--features", "egemaps", "--augment", "noise", "--out", "m.skser"],
                 ["--augment", "one vector per clip"], marks=requires_opensmile),
])
def test_feature_options_are_judged_before_any_work(capsys, argv, fragments):
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert_one_line_error(err, *fragments)


@pytest.mark.parametrize("argv", [
    ["compare", "--features", "smile-lld:eGeMAPSv02"],
    ["compare", "--baselines", "compare+logreg"],
    ["train", "--features", "egemaps", "--out", "m.skser"],
])
def test_missing_opensmile_extra_says_how_to_install_it(capsys, monkeypatch, argv):
    monkeypatch.setitem(sys.modules, "opensmile", None)  # import opensmile -> ImportError
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert_one_line_error(err, "openSMILE", "pip install 'sklearn-ser[opensmile]'")


def run_cli(*argv):
    """(status, stdout, stderr) of ``python -m sklearn_ser`` in a fresh process.

    openSMILE runs in a subprocess: its native library crashes in a process where TensorFlow
    was loaded before it (as in this test session); the command line itself loads openSMILE
    first.
    """
    result = subprocess.run([sys.executable, "-m", "sklearn_ser", *argv], capture_output=True,
                            text=True, timeout=900)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(scope="module")
def smile_study(tmp_path_factory):
    """compare: cnn on eGeMAPS low-level descriptors beside an eGeMAPS + logreg row."""
    pytest.importorskip("opensmile")
    out = tmp_path_factory.mktemp("compare_smile")
    # any spelling of the set: openSMILE's own is eGeMAPSv02
    return (*run_cli("compare", *TINY_DATA, "--epochs", "1", "--cv", "2", "--archs", "cnn",
                     "--features", "smile-lld:egemapsv02", "--no-augment",
                     "--baselines", "egemaps+logreg", "--out", str(out)), out)


def test_compare_with_opensmile_features_and_a_baseline_row(smile_study):
    status, out, err, folder = smile_study
    assert status == 0, err
    assert "features: openSMILE eGeMAPSv02 low-level descriptors" in out
    assert "baselines: egemaps+logreg" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Model"))
    assert [line.split()[0] for line in lines[header + 1:]] == ["cnn", "egemaps+logreg"]

    folds = pd.read_csv(folder / "results_folds.csv")
    by_model = {m: f.set_index("fold") for m, f in folds.groupby("model")}
    # the same speaker-independent folds: the same held-out clips per fold
    assert by_model["egemaps+logreg"]["n_test"].tolist() == by_model["cnn"]["n_test"].tolist()
    assert by_model["egemaps+logreg"]["n_test"].sum() == 12
    baseline = by_model["egemaps+logreg"]
    assert baseline[["train_accuracy", "val_loss", "epochs"]].isna().all().all()
    assert baseline["uar"].between(0, 1).all() and (baseline["fit_time"] > 0).all()
    assert (baseline["n_params"] == 3 * 88 + 3).all()  # 3 classes x 88 functionals + bias

    document = json.loads((folder / "results.json").read_text())
    assert np.array(document["confusion"]["egemaps+logreg"]).sum() == 12
    settings = document["settings"]
    assert settings["Features"] == "openSMILE eGeMAPSv02 (lld)"
    assert "OpenSmileTransformer(input_sr=16000)" in settings["Baselines"]
    assert "LogisticRegression(C=0.1, class_weight='balanced'" in settings["Baselines"]
    report = (folder / "report.md").read_text()
    assert "| egemaps+logreg |" in report and "](confusion_egemaps_logreg.png)" in report
    assert "egemaps+logreg: classical pipelines" in report


@requires_opensmile
def test_train_evaluate_on_opensmile_functionals(capsys, tmp_path, recordings):
    path = tmp_path / "egemaps.skser"
    code, out, err = run_cli("train", *TINY_DATA, "--features", "egemaps", "--out", str(path))
    assert code == 0, err
    assert ("Trained StandardScaler + LogisticRegression on openSMILE eGeMAPSv02 functionals "
            "(88 per clip) of 12 clips") in out
    model = load(path)
    assert [name for name, _ in model.steps] == ["features", "scale", "clf"]
    assert model.named_steps["features"].feature_set == "eGeMAPSv02"
    assert model.named_steps["clf"].C == 0.1
    assert model.classes_.tolist() == EMOTIONS
    predict = ("import numpy as np, sys; from sklearn_ser import load; "
               "t = np.arange(16000) / 16000; "
               "print(load(sys.argv[1]).predict([0.3 * np.sin(2 * np.pi * 180 * t)])[0])")
    result = subprocess.run([sys.executable, "-c", predict, str(path)], capture_output=True,
                            text=True, timeout=300)
    assert result.stdout.strip() in EMOTIONS, result.stderr

    # evaluate scores it on unseen demo speakers; predict classifies each recording whole
    # (functionals of clips of any length), and windows need --window
    code, out, err = run_cli("evaluate", str(path), "--n-speakers", "3", "--demo-seed", "1",
                             "--quiet")
    assert code == 0, err
    assert "balanced accuracy" in out and "Confusion matrix" in out
    code, out, err = run(capsys, "predict", str(path), str(recordings / "short.wav"),
                         "--format", "json")
    assert code == 0, err
    [record] = json.loads(out)
    assert record["label"] in EMOTIONS and record["n_windows"] == 1


@requires_opensmile
def test_compare_cache_serves_later_runs(tmp_path):
    cache = tmp_path / "cache"

    def compare(out):
        code, _, err = run_cli("compare", *TINY_DATA, "--cv", "2", "--archs", "none",
                               "--baselines", "egemaps+logreg", "egemaps+svc",
                               "--cache", str(cache), "--out", str(tmp_path / out), "--quiet")
        assert code == 0, err
        return pd.read_csv(tmp_path / out / "results_folds.csv")

    def cached_files():
        return {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}

    first = compare("first")
    assert first["model"].unique().tolist() == ["egemaps+logreg", "egemaps+svc"]
    stored = cached_files()
    assert stored
    second = compare("second")
    # every clip's features were served from the cache: nothing new was computed or written
    assert cached_files() == stored
    pd.testing.assert_frame_equal(first.drop(columns="fit_time"),
                                  second.drop(columns="fit_time"))
