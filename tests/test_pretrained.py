"""The pretrained model shipped in the package: it loads offline, predicts the six common
emotions from paths and waveforms, carries its model card, is package data, backs
``sklearn-ser predict`` without a model, and fine-tunes."""

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
    CARD_FILE,
    MODEL_FILE,
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


@pytest.fixture
def waveforms(tone):
    return [tone(f0, 1.5) * gain for f0, gain in [(120, 0.9), (220, 0.3), (310, 0.6)]]


def test_loads_a_fitted_pipeline_of_the_six_emotions(model):
    assert isinstance(model, Pipeline)
    assert model.classes_.tolist() == SIX
    assert sklearn_ser.load_pretrained is load_pretrained
    # the safe format (never a pickle), within the size the package allows
    assert is_model_file(MODEL_FILE)
    assert MODEL_FILE.stat().st_size <= 5 * 2**20


def test_predicts_waveforms_and_paths(model, waveforms, wav_dir):
    for X in (waveforms, wav_dir):
        proba = model.predict_proba(X)
        assert proba.shape == (len(X), 6)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
        labels = model.predict(X)
        assert set(labels) <= set(SIX)
        assert labels.tolist() == [SIX[i] for i in proba.argmax(axis=1)]


def test_numpy_runtime_predicts_the_example_clips_as_keras_does(model):
    fast = load_pretrained(runtime="numpy")
    clips = example_clips()
    np.testing.assert_allclose(fast.predict_proba(clips), model.predict_proba(clips),
                               atol=1e-5)
    assert fast.classes_.tolist() == SIX


def test_each_call_is_independent(model):
    other = load_pretrained()
    other.set_params(features__top_db=50.0)
    assert model.get_params()["features__top_db"] != 50.0


def test_model_card_fields():
    card = model_card()
    assert card == json.loads(CARD_FILE.read_text(encoding="utf-8"))
    for key in ("training_data", "emotions", "accuracy", "intended_use", "limitations",
                "training_command", "terms_of_use", "terms_short", "file_bytes"):
        assert card[key], key
    assert card["emotions"] == SIX
    assert card["file_bytes"] == MODEL_FILE.stat().st_size
    assert card["training_command"].startswith(
        "python benchmarks/accuracy/train_pretrained.py ship")
    for corpus in card["training_data"]:
        for key in ("corpus", "licence", "citation", "clips_used"):
            assert corpus[key], (corpus, key)
    licences = " ".join(c["licence"] for c in card["training_data"])
    if "NC" in licences:
        assert "non-commercial" in card["terms_of_use"].lower()
    if "research" in licences:
        assert "research" in card["terms_of_use"].lower()
    for measure in card["accuracy"]:
        assert measure["command"].startswith("python benchmarks/accuracy/train_pretrained.py")
        assert 0.0 <= measure["uar"] <= 1.0


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
    shipped = [MODEL_FILE, CARD_FILE, *example_clips(), folder / "examples" / "ATTRIBUTION.md"]
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


def test_fine_tune_keeps_the_original(model, waveforms):
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


def test_fine_tune_errors(model, waveforms):
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
