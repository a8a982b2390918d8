"""make_fusion_classifier: the deep default and openSMILE functionals in one soft vote."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, cross_val_score

pytest.importorskip("opensmile")

from sklearn_ser import load, save
from sklearn_ser.ensemble import make_fusion_classifier

# a deep member small enough to fit in a second; the classic member keeps its defaults but
# the small eGeMAPS set, which the synthetic tones carry as well as ComParE
FAST = {"deep__features__duration": 0.5, "deep__features__augment": ("noise",),
        "deep__clf__arch": "cnn", "deep__clf__epochs": 2, "deep__clf__batch_size": 8,
        "deep__clf__model__filters": 4,
        "compare__features__feature_set": "eGeMAPSv02"}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Twelve half-second WAV files, two speakers: pitch and loudness follow the label."""
    folder = tmp_path_factory.mktemp("fusion")
    rng = np.random.default_rng(0)
    paths, y, groups = [], [], []
    t = np.arange(int(0.6 * 22050)) / 22050
    for i in range(12):
        k = i % 3
        wave = (0.15 + 0.2 * k) * np.sin(2 * np.pi * (110 + 80 * k + 7 * (i // 6)) * t)
        wave += 0.01 * rng.standard_normal(t.size)
        path = folder / f"clip_{i}.wav"
        sf.write(path, wave, 22050, subtype="PCM_16")
        paths.append(str(path))
        y.append(("angry", "happy", "sad")[k])
        groups.append(i // 6)
    return paths, np.array(y), np.array(groups)


@pytest.fixture(scope="module")
def fitted(clips):
    paths, y, _ = clips
    return make_fusion_classifier(random_state=0).set_params(**FAST).fit(paths, y)


def test_probabilities_are_the_mean_of_both_members(clips, fitted):
    paths, y, _ = clips
    deep, compare = fitted.named_estimators_["deep"], fitted.named_estimators_["compare"]
    proba = fitted.predict_proba(paths)
    np.testing.assert_allclose(proba, (deep.predict_proba(paths)
                                       + compare.predict_proba(paths)) / 2, rtol=1e-6)
    assert list(fitted.classes_) == ["angry", "happy", "sad"]
    assert set(fitted.predict(paths)) <= set(y)
    # the deep member trained on augmented views, the classic one on functionals
    assert fitted.named_estimators_["deep"].named_steps["clf"].n_features_in_ == 64
    assert compare.named_steps["scale"].n_features_in_ == 88


def test_weights_choose_a_member(clips, fitted):
    paths, y, _ = clips
    only_compare = make_fusion_classifier(weights=(0, 1), random_state=0).set_params(**FAST)
    only_compare.fit(paths, y)
    np.testing.assert_allclose(
        only_compare.predict_proba(paths),
        only_compare.named_estimators_["compare"].predict_proba(paths), rtol=1e-6)


def test_saves_in_the_safe_format_and_predicts_the_same(clips, fitted, tmp_path):
    paths, _, _ = clips
    path = save(fitted, tmp_path / "fusion.skser")
    loaded = load(path)
    np.testing.assert_allclose(loaded.predict_proba(paths), fitted.predict_proba(paths),
                               rtol=1e-5, atol=1e-6)
    assert loaded.get_params()["compare__clf__C"] == 0.1


def test_cross_validates_by_speaker_with_clones(clips):
    paths, y, groups = clips
    fusion = make_fusion_classifier(random_state=0).set_params(**FAST)
    scores = cross_val_score(fusion, paths, y, groups=groups, cv=GroupKFold(2),
                             scoring="balanced_accuracy")
    # pitch and loudness separate the three labels for the unseen speaker
    assert scores.min() == 1.0
    assert clone(fusion).get_params()["deep__clf__random_state"] == 0


def test_weights_are_grid_searched_on_held_out_speakers(clips):
    # what docs/accuracy.rst recommends for choosing the weights: never on test speakers
    from sklearn.model_selection import GridSearchCV

    paths, y, groups = clips
    fusion = make_fusion_classifier(random_state=0).set_params(**FAST)
    search = GridSearchCV(fusion, {"weights": [(1, 3), (1, 1)]}, cv=GroupKFold(2),
                          scoring="balanced_accuracy").fit(paths, y, groups=groups)
    assert search.cv_results_["mean_test_score"].shape == (2,)
    assert search.best_score_ == 1.0     # the unseen speaker's three labels, as above
    np.testing.assert_allclose(search.predict_proba(paths).sum(axis=1), 1.0, rtol=1e-6)
