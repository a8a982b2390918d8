"""The pretrained models shipped in the package: they load offline, predict the six common
emotions from paths and waveforms, carry their model cards, are package data; the Whisper
model backs ``sklearn-ser predict`` without a model and adapts, the first one fine-tunes."""

from __future__ import annotations

import fnmatch
import json
from configparser import ConfigParser
from pathlib import Path

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

import sklearn_ser
from sklearn_ser.cli import main
from sklearn_ser.datasets import COMMON_EMOTIONS
from sklearn_ser.persistence import is_model_file
from sklearn_ser.pretrained import (
    MODEL_FILE,
    PRETRAINED,
    adapt,
    example_clips,
    fine_tune,
    fine_tune_classifier,
    load_pretrained,
    model_card,
)

ROOT = Path(__file__).resolve().parents[1]
SIX = list(COMMON_EMOTIONS)


@pytest.fixture(scope="module")
def model():
    return load_pretrained()


@pytest.fixture(scope="module")
def cnn_gru():
    return load_pretrained("cnn_gru")


@pytest.fixture
def waveforms(tone):
    return [tone(f0, 1.5) * gain for f0, gain in [(120, 0.9), (220, 0.3), (310, 0.6)]]


@pytest.mark.parametrize("name", list(PRETRAINED))
def test_loads_a_fitted_pipeline_of_the_six_emotions(name):
    model = load_pretrained(name)
    assert isinstance(model, Pipeline)
    assert model.classes_.tolist() == SIX
    assert sklearn_ser.load_pretrained is load_pretrained
    # the safe format (never a pickle), within the size the package allows
    model_file = PRETRAINED[name][0]
    assert is_model_file(model_file)
    assert model_file.stat().st_size <= 5 * 2**20
    with pytest.raises(ValueError, match=r"'name'='wav2vec'.*whisper, cnn_gru"):
        load_pretrained("wav2vec")


def test_whisper_model_names_its_pinned_backbone(model):
    from sklearn_ser.backbones import BACKBONES

    embed = model.steps[0][1]
    card = model_card()
    assert card["backbone"]["model_bin_sha256"] == embed.model_sha256_
    assert embed.model_sha256_ == BACKBONES[embed.backbone].files["model.bin"].sha256
    assert embed.model_dir is None  # never a path from the file


def test_predicting_never_imports_tensorflow(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from sklearn_ser import load_pretrained; "
            "from sklearn_ser.pretrained import example_clips; "
            "print(*load_pretrained().predict(example_clips())); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout.split("\n")
    assert out[1] == "False False", out


def test_the_example_clips_come_out_as_acted(model):
    assert model.predict(example_clips()).tolist() == ["angry", "happy", "sad"]


def test_adapt_returns_a_changed_copy_and_leaves_the_model_alone(model, waveforms):
    mean = model.named_steps["scale"].mean_.copy()
    adapted = adapt(model, waveforms)
    assert adapted is not model
    np.testing.assert_array_equal(model.named_steps["scale"].mean_, mean)
    features = model[:1].transform(waveforms)
    np.testing.assert_allclose(adapted.named_steps["scale"].mean_, features.mean(axis=0),
                               rtol=1e-5, atol=1e-6)
    assert adapted.named_steps["clf"] is not model.named_steps["clf"]
    np.testing.assert_array_equal(adapted.named_steps["clf"].coef_,
                                  model.named_steps["clf"].coef_)
    per_speaker = adapt(model, waveforms, groups=["a", "b", "a"])
    assert sorted(per_speaker) == ["a", "b"]
    np.testing.assert_allclose(per_speaker["a"].named_steps["scale"].mean_,
                               features[[0, 2]].mean(axis=0), rtol=1e-5, atol=1e-6)


def test_adapt_errors(model, cnn_gru, waveforms):
    with pytest.raises(TypeError, match="fitted Pipeline"):
        adapt(model[-1], waveforms)
    with pytest.raises(ValueError, match="has none"):
        adapt(cnn_gru, waveforms)
    with pytest.raises(ValueError, match="one speaker per recording"):
        adapt(model, waveforms, groups=["a", "b"])


def test_predicts_waveforms_and_paths(model, waveforms, wav_dir):
    for X in (waveforms, wav_dir):
        proba = model.predict_proba(X)
        assert proba.shape == (len(X), 6)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
        labels = model.predict(X)
        assert set(labels) <= set(SIX)
        assert labels.tolist() == [SIX[i] for i in proba.argmax(axis=1)]


def test_numpy_runtime_predicts_the_example_clips_as_keras_does(cnn_gru):
    fast = load_pretrained("cnn_gru", runtime="numpy")
    clips = example_clips()
    np.testing.assert_allclose(fast.predict_proba(clips), cnn_gru.predict_proba(clips),
                               atol=1e-5)
    assert fast.classes_.tolist() == SIX


def test_each_call_is_independent(model):
    other = load_pretrained()
    other.set_params(features__top_db=50.0)
    assert model.get_params()["features__top_db"] != 50.0


@pytest.mark.parametrize("name", list(PRETRAINED))
def test_model_card_fields(name):
    card = model_card(name)
    model_file, card_file = PRETRAINED[name]
    assert card == json.loads(card_file.read_text(encoding="utf-8"))
    for key in ("training_data", "emotions", "accuracy", "intended_use", "limitations",
                "training_command", "terms_of_use", "terms_short", "file_bytes"):
        assert card[key], key
    assert card["emotions"] == SIX
    assert card["file_bytes"] == model_file.stat().st_size
    script = {"whisper": "benchmarks/whisper/", "cnn_gru": "benchmarks/accuracy/"}[name]
    assert script in card["training_command"]
    for corpus in card["training_data"]:
        for key in ("corpus", "licence", "citation", "clips_used"):
            assert corpus[key], (corpus, key)
    licences = " ".join(c["licence"] for c in card["training_data"])
    if "NC" in licences:
        assert "non-commercial" in card["terms_of_use"].lower()
    if "research" in licences:
        assert "research" in card["terms_of_use"].lower()
    for measure in card["accuracy"]:
        assert measure["command"].startswith("python ")
        assert measure["uar"]


def test_docstring_states_terms_and_cites_every_corpus():
    doc = " ".join(load_pretrained.__doc__.split())
    card = model_card()
    assert card["terms_short"].lower() in doc.lower()
    for corpus in card["training_data"]:
        # the DOI, or for a corpus without one the first author and year
        citation = corpus["citation"]
        key = citation.split("doi:")[1] if "doi:" in citation else citation.split(")")[0]
        assert key in doc, (corpus["corpus"], key)


def test_files_are_package_data():
    config = ConfigParser()
    config.read(ROOT / "setup.cfg")
    patterns = config["options.package_data"]["sklearn_ser.pretrained"].replace(",", " ").split()
    folder = MODEL_FILE.parent
    shipped = [*(f for files in PRETRAINED.values() for f in files), *example_clips(),
               folder / "examples" / "ATTRIBUTION.md"]
    for path in shipped:
        relative = path.relative_to(folder).as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_example_clips_are_short_attributed_real_speech():
    clips = example_clips()
    assert len(clips) == 3
    attribution = (clips[0].parent / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "Database Contents License" in attribution and "Cao" in attribution
    for clip in clips:
        assert clip.suffix == ".opus" and clip.stat().st_size < 50_000
        assert clip.name in attribution


def test_cli_predict_without_model_uses_pretrained(capsys, wav_dir):
    status = main(["predict", *wav_dir[:2], "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    records = json.loads(out)
    assert [r["label"] in SIX for r in records] == [True, True]
    notice = [line for line in err.splitlines() if "pretrained model" in line]
    assert len(notice) == 1 and model_card()["terms_short"] in notice[0]
    # a folder works as the first argument too
    assert main(["predict", str(Path(wav_dir[0]).parent), "--quiet"]) == 0
    capsys.readouterr()


def test_cli_model_without_paths_is_a_usage_error(capsys):
    assert main(["predict", "model.skser"]) == 2
    assert "PATH" in capsys.readouterr().err


def test_cli_predict_adapts_to_the_files_given(capsys, wav_dir):
    status = main(["predict", *wav_dir, "--adapt", "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "Adapting the model to the" in err
    assert [r["label"] in SIX for r in json.loads(out)] == [True] * len(wav_dir)


def test_fine_tune_keeps_the_original(cnn_gru, waveforms):
    model = cnn_gru
    before = [w.copy() for w in model[-1].model_.get_weights()]
    tuned = fine_tune(waveforms, ["angry", "sad", "angry"], model=model, epochs=1)
    assert isinstance(tuned, Pipeline) and tuned is not model
    assert tuned.classes_.tolist() == SIX
    assert set(tuned.predict(waveforms)) <= set(SIX)
    after = model[-1].model_.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    changed = [not np.array_equal(a, b)
               for a, b in zip(before, tuned[-1].model_.get_weights())]
    assert any(changed)
    # it saves and loads like any model
    assert tuned[-1].history_["loss"]


def test_fine_tune_errors(cnn_gru, waveforms):
    model = cnn_gru
    views = model[0].transform(waveforms)
    with pytest.raises(ValueError, match=r"label\(s\) \['calm'\]"):
        fine_tune_classifier(model[-1], views, ["calm", "sad", "angry"])
    with pytest.raises(ValueError, match="frames and features"):
        fine_tune_classifier(model[-1], views[:, :10], ["sad", "sad", "angry"])
    with pytest.raises(ValueError, match="epochs"):
        fine_tune_classifier(model[-1], views, ["sad", "sad", "angry"], epochs=0)
    with pytest.raises(TypeError, match="Pipeline"):
        fine_tune(waveforms, ["sad", "sad", "angry"], model=model[-1])


def test_real_crema_d_clips(model, shared_data):
    folder = shared_data("crema_d", "AudioOpus")
    clips = sorted(folder.glob("1091_*_HI.opus"))[:4]
    assert clips
    assert set(model.predict(clips)) <= set(SIX)
    assert set(model.predict(example_clips())) <= set(SIX)
