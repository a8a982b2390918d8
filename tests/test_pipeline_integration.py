"""AudioFeatureTransformer -> SERClassifier as one scikit-learn Pipeline, on WAV files.

The clips are synthetic voiced tones (two "emotions": high and loud vs low and soft, spoken by
four "speakers" at different base pitches), written to ``tmp_path``. The classifier is tiny
and runs in Keras's eager mode; features are cached per clip with joblib so that the many fits
of a grid search decode and analyse each file once.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import soundfile as sf
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.classifier import SERClassifier

SR = 16000
SPEAKERS = ("s1", "s2", "s3", "s4")
EMOTIONS = {"angry": (1.6, 0.9), "sad": (0.8, 0.25)}  # pitch factor, amplitude
CLIPS_PER_EMOTION = 3


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wav")
    rng = np.random.default_rng(0)
    t = np.arange(int(0.6 * SR)) / SR
    paths, labels, speakers = [], [], []
    for s, speaker in enumerate(SPEAKERS):
        for emotion, (pitch, amplitude) in EMOTIONS.items():
            for k in range(CLIPS_PER_EMOTION):
                f0 = (110 + 25 * s) * pitch * (1 + 0.03 * k)
                wave = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 6))
                wave = amplitude * 0.4 * wave / np.max(np.abs(wave))
                wave += 0.002 * rng.standard_normal(t.size)
                path = folder / f"{speaker}_{emotion}_{k}.wav"
                sf.write(path, wave, SR, subtype="PCM_16")
                paths.append(str(path))
                labels.append(emotion)
                speakers.append(speaker)
    return paths, np.asarray(labels), np.asarray(speakers)


def make_pipeline(cache_dir, arch="cnn_gru"):
    return Pipeline([
        ("features", AudioFeatureTransformer(sr=SR, duration=0.5, augment=("noise",),
                                             memory=str(cache_dir), random_state=0)),
        ("clf", SERClassifier(arch=arch, epochs=3, batch_size=16, random_state=0,
                              optimizer__learning_rate=0.01, model__filters=(4,),
                              model__units=4, model__dense_units=None, model__dropout=0.0,
                              compile__run_eagerly=True)),
    ])


def test_pipeline_fits_and_predicts_on_paths(corpus, tmp_path):
    paths, y, _ = corpus
    pipe = make_pipeline(tmp_path / "cache").fit(paths, y)
    clf = pipe.named_steps["clf"]
    assert clf.n_views_ == 2  # fit_transform's clean + noisy views reached the classifier
    assert clf.input_shape_ == (16, 64)  # 0.5 s at 16 kHz, hop 512; 64 log-mel bands
    assert clf.classes_.tolist() == ["angry", "sad"]
    pred = pipe.predict(paths)
    assert set(pred) <= {"angry", "sad"}
    assert np.mean(pred == y) >= 0.75  # loudness and pitch separate the two classes
    assert pipe.predict(paths[:1]).shape == (1,)
    np.testing.assert_allclose(pipe.predict_proba(paths).sum(axis=1), 1.0)


def test_grid_search_over_arch_and_learning_rate(corpus, tmp_path):
    paths, y, speakers = corpus
    grid = GridSearchCV(
        make_pipeline(tmp_path / "cache").set_params(clf__epochs=1),
        {"clf__arch": ["cnn", "cnn_gru"], "clf__optimizer__learning_rate": [1e-3, 1e-2]},
        cv=GroupKFold(n_splits=2),
    ).fit(paths, y, groups=speakers)
    assert len(grid.cv_results_["params"]) == 4
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    best = grid.best_estimator_.named_steps["clf"]
    assert best.arch == grid.best_params_["clf__arch"]
    assert best.get_params()["optimizer__learning_rate"] == (
        grid.best_params_["clf__optimizer__learning_rate"])
    # the chosen rate is the peak of the fitted model's cosine schedule
    schedule = best.model_.optimizer._learning_rate
    assert float(schedule.warmup_target) == pytest.approx(
        grid.best_params_["clf__optimizer__learning_rate"])
    assert set(grid.predict(paths[:3])) <= {"angry", "sad"}


def test_cross_validate_speaker_independent(corpus, tmp_path):
    paths, y, speakers = corpus
    result = cross_validate(make_pipeline(tmp_path / "cache").set_params(clf__epochs=1),
                            paths, y, groups=speakers, cv=GroupKFold(n_splits=2),
                            return_indices=True, return_estimator=True)
    for train, test in zip(result["indices"]["train"], result["indices"]["test"]):
        assert not set(speakers[train]) & set(speakers[test])  # unseen speaker
    assert np.all((result["test_score"] >= 0) & (result["test_score"] <= 1))
    # only training folds were augmented: each fold's classifier saw 2 views per clip
    assert all(est.named_steps["clf"].n_views_ == 2 for est in result["estimator"])


def test_joblib_pipeline_in_a_fresh_process(corpus, tmp_path):
    paths, y, _ = corpus
    # graph mode (the default) with the custom attention layer is covered in test_classifier
    pipe = make_pipeline(tmp_path / "cache").set_params(clf__epochs=1).fit(paths, y)
    expected = pipe.predict_proba(paths)
    joblib.dump(pipe, tmp_path / "ser.joblib")
    script = textwrap.dedent(f"""
        import os
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
        import joblib, numpy as np
        pipe = joblib.load({str(tmp_path / "ser.joblib")!r})
        paths = {paths!r}
        np.save({str(tmp_path / "proba.npy")!r}, pipe.predict_proba(paths))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), expected)
