"""Tables, result files and figures of sklearn_ser.report, and the scores they present."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from types import SimpleNamespace

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from sklearn_ser.metrics import evaluate_predictions
from sklearn_ser.report import (
    METRICS,
    comparison_settings,
    format_fold_table,
    format_table,
    plot_confusion_matrix,
    plot_emotion_profile,
    plot_training_curves,
    summarize_folds,
    write_comparison_report,
    write_json,
    write_markdown_report,
    write_results,
)


@pytest.fixture
def folds():
    """Two models x two folds; the ensemble row has no training history."""
    return pd.DataFrame({
        "model": ["cnn", "cnn", "ensemble", "ensemble"],
        "fold": [0, 1, 0, 1],
        "train_accuracy": [0.8, 0.9, np.nan, np.nan],
        "val_accuracy": [0.6, 0.7, np.nan, np.nan],
        "train_loss": [0.5, 0.3, np.nan, np.nan],
        "val_loss": [0.9, 0.8, np.nan, np.nan],
        "test_accuracy": [0.5, 0.7, 0.6, 0.8],
        "uar": [0.4, 0.6, 0.5, 0.7],
        "macro_f1": [0.3, 0.5, 0.4, 0.6],
        "fit_time": [10.0, 12.0, 30.0, 32.0],
        "n_params": [1000, 1000, 3000, 3000],
        "epochs": pd.array([5, 7, None, None], dtype="Int64"),
    })


def _is_png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_summarize_folds_mean_std_and_order(folds):
    summary = summarize_folds(folds)
    assert summary.index.tolist() == ["cnn", "ensemble"]
    assert summary.loc["cnn", "uar_mean"] == pytest.approx(0.5)
    assert summary.loc["cnn", "uar_std"] == pytest.approx(0.1)  # population std of 0.4, 0.6
    assert summary.loc["ensemble", "test_accuracy_mean"] == pytest.approx(0.7)
    assert math.isnan(summary.loc["ensemble", "train_accuracy_mean"])
    assert summary["n_folds"].tolist() == [2, 2]
    assert {f"{m}_mean" for m in METRICS} <= set(summary.columns)


def test_format_table_text_and_markdown(folds):
    summary = summarize_folds(folds)
    text = format_table(summary)
    lines = text.splitlines()
    assert lines[0].split()[0] == "Model"
    for header in METRICS.values():
        assert header in lines[0]
    cnn = next(line for line in lines if line.startswith("cnn"))
    assert "0.500 ± 0.100" in cnn  # UAR
    assert "1,000" in cnn and "11.0" in cnn  # parameters, mean fit time
    ensemble = next(line for line in lines if line.startswith("ensemble"))
    assert ensemble.split()[1:5] == ["-", "-", "-", "-"]  # no history of its own

    md = format_table(summary, markdown=True).splitlines()
    n_columns = len(METRICS) + 1
    assert all(line.count("|") == n_columns + 1 for line in md)
    assert md[1].startswith("|---|")
    assert len(md) == 2 + len(summary)


def test_format_table_subset_of_metrics(folds):
    text = format_table(summarize_folds(folds), ["uar"])
    assert text.splitlines()[0].split() == ["Model", "UAR"]


def test_format_fold_table(folds):
    lines = format_fold_table(folds).splitlines()
    assert len(lines) == 2 + len(folds)
    assert lines[-1].startswith("| ensemble | 1 |")
    assert "| - |" in lines[-1]  # missing epoch count of the ensemble


def test_write_results_csv_and_json(tmp_path, folds):
    summary = summarize_folds(folds)
    paths = write_results(tmp_path / "out", folds, summary,
                          extra={"labels": ["angry", "sad"], "cm": np.eye(2, dtype=int)})
    assert sorted(p.name for p in paths.values()) == [
        "results.json", "results_folds.csv", "results_summary.csv"]
    back = pd.read_csv(paths["folds_csv"])
    assert back.shape == folds.shape
    assert back["uar"].tolist() == folds["uar"].tolist()
    summary_back = pd.read_csv(paths["summary_csv"], index_col="model")
    assert summary_back.loc["cnn", "uar_mean"] == pytest.approx(0.5)
    document = json.loads(paths["json"].read_text())
    assert document["labels"] == ["angry", "sad"]
    assert document["cm"] == [[1, 0], [0, 1]]
    assert document["folds"][2]["train_accuracy"] is None  # NaN becomes null
    assert document["folds"][2]["epochs"] is None
    assert [row["model"] for row in document["summary"]] == ["cnn", "ensemble"]


def test_write_json_converts_numpy(tmp_path):
    path = write_json(tmp_path / "x.json", {"a": np.float32(0.5), "b": np.int64(3),
                                            "c": np.array([1.0, np.nan]), "d": np.bool_(True)})
    assert json.loads(path.read_text()) == {"a": 0.5, "b": 3, "c": [1.0, None], "d": True}


def test_plot_confusion_matrix(tmp_path):
    path = plot_confusion_matrix([[5, 1, 0], [2, 3, 1], [0, 0, 0]], ["angry", "happy", "sad"],
                                 tmp_path / "cm.png", title="cnn")
    assert _is_png(path)
    height, width = mpimg.imread(path).shape[:2]
    assert height > 100 and width > 100


def test_plot_confusion_matrix_rejects_mismatched_labels(tmp_path):
    with pytest.raises(ValueError, match="one row per label"):
        plot_confusion_matrix(np.eye(3), ["angry", "sad"], tmp_path / "cm.png")


def test_plot_training_curves_with_ragged_folds(tmp_path):
    # early stopping ends folds at different epochs; one fold ran without validation
    histories = [
        {"accuracy": [0.3, 0.5, 0.6], "loss": [1.5, 1.2, 1.0],
         "val_accuracy": [0.2, 0.4, 0.5], "val_loss": [1.6, 1.4, 1.3]},
        {"accuracy": [0.35, 0.55], "loss": [1.4, 1.1]},
    ]
    path = plot_training_curves(histories, tmp_path / "curves.png", title="cnn_gru")
    assert _is_png(path)
    height, width = mpimg.imread(path).shape[:2]
    assert width > 1.8 * height  # two panels side by side: accuracy and loss


def test_plot_training_curves_errors(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        plot_training_curves([], tmp_path / "c.png")
    with pytest.raises(ValueError, match=r"histories\[0\] lacks \['loss'\]"):
        plot_training_curves([{"accuracy": [0.5]}], tmp_path / "c.png")


def test_plot_emotion_profile_bar_and_timeline(tmp_path):
    timeline = pd.DataFrame({"start": [0.0, 1.0, 2.0], "end": [2.0, 3.0, 4.0],
                             "label": ["angry", "sad", "sad"],
                             "angry": [0.7, 0.2, 0.1], "sad": [0.3, 0.8, 0.9]})
    bar = plot_emotion_profile({"angry": 0.33, "sad": 0.67}, tmp_path / "bar.png")
    both = plot_emotion_profile({"angry": 0.33, "sad": 0.67}, tmp_path / "both.png",
                                timeline=timeline, title="debate.wav")
    assert _is_png(bar) and _is_png(both)
    assert mpimg.imread(both).shape[1] > mpimg.imread(bar).shape[1]  # timeline panel added
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['sad'\]"):
        plot_emotion_profile({"angry": 0.3, "sad": 0.7}, tmp_path / "x.png",
                             timeline=timeline.drop(columns="sad"))


def test_write_markdown_report(tmp_path, folds):
    (tmp_path / "fig").mkdir()
    image = plot_confusion_matrix(np.eye(2), ["a", "b"], tmp_path / "fig" / "cm.png")
    path = write_markdown_report(
        tmp_path / "report.md", title="Study", settings={"Epochs": 3, "Archs": ["cnn", "x|y"]},
        table=format_table(summarize_folds(folds), markdown=True), notes=["read me"],
        sections=[("Per fold", format_fold_table(folds))],
        figures={"cnn": {"Confusion matrix": image}})
    text = path.read_text()
    assert text.startswith("# Study\n")
    assert "| Epochs | 3 |" in text
    assert "| Archs | cnn, x/y |" in text  # a pipe would break the table
    assert "- read me" in text and "## Per fold" in text
    assert "![Confusion matrix](fig/cm.png)" in text  # relative to the report


def test_figures_leave_the_callers_backend_and_pyplot_alone(tmp_path):
    """A notebook's back end is never switched: figures are drawn without pyplot."""
    code = (
        "import sys, matplotlib; matplotlib.use('svg'); "
        "import pandas as pd; "
        "from sklearn_ser.report import plot_confusion_matrix, plot_emotion_profile, "
        "plot_training_curves; "
        f"out = {str(tmp_path)!r}; "
        "plot_confusion_matrix([[1, 0], [0, 1]], ['a', 'b'], out + '/cm.png'); "
        "plot_training_curves([{'accuracy': [0.5, 0.6], 'loss': [1.0, 0.9]}], out + '/c.png'); "
        "tl = pd.DataFrame({'start': [0.0, 1.0], 'end': [2.0, 3.0], 'a': [0.2, 0.4], "
        "'b': [0.8, 0.6]}); "
        "plot_emotion_profile({'a': 0.3, 'b': 0.7}, out + '/p.png', timeline=tl); "
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend(); "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert all(_is_png(tmp_path / name) for name in ("cm.png", "c.png", "p.png"))


def test_evaluate_predictions_counts_labels_only_the_corpus_has():
    evaluation = evaluate_predictions(["angry", "sad", "boredom", "boredom"],
                                      ["angry", "angry", "sad", "angry"],
                                      ["angry", "boredom", "sad"])
    assert evaluation["confusion_matrix"].tolist() == [[1, 0, 0], [1, 0, 1], [1, 0, 0]]
    assert evaluation["accuracy"] == pytest.approx(0.25)
    assert evaluation["balanced_accuracy"] == pytest.approx(1 / 3)  # recall 1, 0, 0
    assert evaluation["report_dict"]["boredom"]["support"] == 2
    assert "boredom" in evaluation["report"]


def _result(folds):
    """What StudyResult holds (the report reads attributes only; no TensorFlow here)."""
    history = {"accuracy": [0.5, 0.8], "loss": [1.0, 0.5]}
    return SimpleNamespace(
        folds=folds, summary=summarize_folds(folds), labels=["angry", "sad"],
        confusion={"cnn": np.array([[2, 1], [0, 3]]), "ensemble": np.array([[3, 0], [1, 2]])},
        histories={"cnn": [history, history]}, extraction_time=[1.25, 2.5], total_time=42.0,
        settings={"archs": ["cnn"], "ensemble": True, "n_folds": 2, "random_state": 0,
                  "classifier": {"epochs": 7, "batch_size": 32, "lr_schedule": "cosine",
                                 "validation_fraction": None,
                                 "optimizer__learning_rate": 3e-4},
                  "transformer": {"augment": ("noise", ("shift", {"max_shift": 0.1})),
                                  "duration": 1.5, "sr": 16000, "features": ("mel",)}})


def test_comparison_settings_say_what_the_study_ran(folds):
    settings = comparison_settings(_result(folds), {"Command": "sklearn-ser compare"})
    assert next(iter(settings)) == "Command"
    assert settings["Epochs"] == 7 and settings["Batch size"] == 32
    assert settings["Learning rate"] == "cosine schedule, peak 0.0003"
    assert settings["Augmentation (training clips only)"] == "noise, shift"
    assert settings["Validation fraction"] == "none (every clip trains)"
    assert settings["Ensemble"].startswith("soft voting")
    assert settings["Total time (s)"] == "42"
    assert settings["Feature extraction (s)"] == "1.2, 2.5"
    assert "Resumed" not in settings and "Time per phase (s)" not in settings


def test_report_says_phase_times_and_resumed_results(tmp_path, folds):
    result = _result(folds)
    result.phase_times = {"extraction": 3.75, "training": 38.2}
    result.n_resumed = 3
    result.settings["config_key"] = "abc123"
    settings = comparison_settings(result)
    assert settings["Time per phase (s)"] == "extraction 4, training 38"
    assert settings["Resumed"].startswith("3 (model, fold) results restored")
    assert settings["Configuration key"] == "abc123"
    report = write_comparison_report(tmp_path, result)["report"].read_text()
    assert "| Time per phase (s) | extraction 4, training 38, report " in report


def test_a_new_report_replaces_the_old_one_whole(tmp_path, folds):
    """Files of an earlier report (another model's figure) never sit beside the new one."""
    (tmp_path / "confusion_cnn_gru.png").write_bytes(b"old")
    (tmp_path / "report.md").write_text("old report")
    (tmp_path / "notes.txt").write_text("the user's")
    paths = write_comparison_report(tmp_path, _result(folds))
    names = {p.name for p in tmp_path.iterdir()}
    assert "confusion_cnn_gru.png" not in names and "notes.txt" in names
    assert not [n for n in names if n.startswith(".report-")]
    assert paths["report"] == tmp_path / "report.md"
    assert "old report" not in paths["report"].read_text()


def test_write_comparison_report(tmp_path, folds):
    paths = write_comparison_report(tmp_path / "out", _result(folds),
                                    context={"Data": "demo"})
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "confusion_cnn.png", "confusion_ensemble.png", "curves_cnn.png", "report.md",
        "results.json", "results_folds.csv", "results_summary.csv"}
    report = paths["report"].read_text()
    assert "| Data | demo |" in report and "| Epochs | 7 |" in report
    assert "ensemble: soft voting" in report
    document = json.loads(paths["json"].read_text())
    assert document["confusion"]["cnn"] == [[2, 1], [0, 3]]
    assert document["settings"]["Augmentation (training clips only)"] == "noise, shift"
