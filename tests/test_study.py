"""compare_architectures with classical baselines: same folds, same tables, not in the ensemble."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.report import write_comparison_report
from sklearn_ser.study import compare_architectures


@pytest.fixture(scope="module")
def data():
    return make_emotional_speech(n_speakers=4, n_clips_per_emotion=2,
                                 emotions=["angry", "neutral", "sad"], duration=1.0,
                                 random_state=0)


def stats_svc():
    return make_pipeline(AudioFeatureTransformer(duration=1.0, output="stats"),
                         StandardScaler(), SVC(class_weight="balanced"))


def test_baselines_are_scored_on_the_studys_folds(data):
    """Each fold's UAR is the one of fitting the pipeline on that speaker-independent split."""
    baseline = stats_svc()
    result = compare_architectures(data.X, data.y, data.groups, archs=[], cv=2,
                                   baselines={"stats+svc": baseline}, random_state=3)
    folds = result.folds
    assert folds["model"].tolist() == ["stats+svc", "stats+svc"]
    splitter = StratifiedGroupKFold(n_splits=2, shuffle=True, random_state=3)
    y = np.asarray(data.y)
    for (train, test), row in zip(splitter.split(data.X, y, data.groups), folds.itertuples()):
        groups = np.asarray(data.groups)
        assert not set(groups[train]) & set(groups[test])
        model = clone(baseline).fit([data.X[i] for i in train], y[train])
        expected = balanced_accuracy_score(y[test], model.predict([data.X[i] for i in test]))
        assert row.uar == pytest.approx(expected)
        assert (row.n_train, row.n_test) == (len(train), len(test))
    assert result.confusion["stats+svc"].sum() == len(y)
    assert folds[["train_accuracy", "val_loss"]].isna().all().all()
    assert folds["epochs"].isna().all() and folds["n_params"].isna().all()  # kernel SVC
    assert (folds["fit_time"] > 0).all()
    assert result.extraction_time == [] and result.histories == {}
    assert result.settings["archs"] == [] and not result.settings["ensemble"]
    assert "SVC(class_weight='balanced')" in result.settings["baselines"]["stats+svc"]
    # the fitted copies are clones: the estimator given stays unfitted
    assert not hasattr(baseline[-1], "classes_")


def test_linear_baseline_counts_its_coefficients_and_is_reported(data, tmp_path):
    from sklearn.linear_model import LogisticRegression

    logreg = make_pipeline(AudioFeatureTransformer(duration=1.0, output="stats"),
                           StandardScaler(), LogisticRegression(C=0.1, max_iter=500))
    result = compare_architectures(data.X, data.y, data.groups, archs=[], cv=2,
                                   baselines={"stats+logreg": logreg})
    n_features = logreg[0].fit(data.X[:2]).transform(data.X[:2]).shape[1]
    assert (result.folds["n_params"] == 3 * n_features + 3).all()
    paths = write_comparison_report(tmp_path, result)
    report = paths["report"].read_text()
    assert "| stats+logreg |" in report and "| Baselines | stats+logreg: Pipeline(" in report
    assert "stats+logreg: classical pipelines" in report
    assert (tmp_path / "confusion_stats_logreg.png").exists()


@pytest.mark.parametrize("baselines, error, fragment", [
    ({"cnn": SVC()}, ValueError, "'cnn' is already a row"),
    ({"ensemble": SVC()}, ValueError, "'ensemble' is already a row"),
    ({"": SVC()}, ValueError, "non-empty string"),
    ({"x": "SVC()"}, TypeError, "baselines['x'] must be a scikit-learn estimator"),
    ([("x", SVC())], TypeError, "mapping of name -> estimator"),
])
def test_bad_baselines_are_refused_before_any_work(data, baselines, error, fragment):
    with pytest.raises(error) as info:
        compare_architectures(data.X, data.y, data.groups, archs=["cnn"], cv=2,
                              baselines=baselines)
    assert fragment in str(info.value)


def test_no_architecture_and_no_baseline_is_an_error(data):
    with pytest.raises(ValueError, match="archs is empty"):
        compare_architectures(data.X, data.y, data.groups, archs=[], cv=2)


@pytest.mark.slow
def test_the_ensemble_is_over_the_architectures_only(data):
    result = compare_architectures(
        data.X, data.y, data.groups, archs=["cnn", "cnn_gru"], cv=2,
        transformer=AudioFeatureTransformer(duration=1.0), classifier_params={"epochs": 1},
        baselines={"stats+svc": stats_svc()})
    summary = result.summary
    assert summary.index.tolist() == ["cnn", "cnn_gru", "ensemble", "stats+svc"]
    folds = result.folds.set_index(["model", "fold"])
    for fold in (0, 1):
        members = folds.loc[[("cnn", fold), ("cnn_gru", fold)]]
        assert folds.loc[("ensemble", fold), "n_params"] == members["n_params"].sum()
        assert folds.loc[("ensemble", fold), "fit_time"] == pytest.approx(
            members["fit_time"].sum())
        # every row of a fold was scored on the same held-out clips
        assert folds.xs(fold, level="fold")["n_test"].nunique() == 1
    assert set(result.histories) == {"cnn", "cnn_gru"}
    assert len(result.extraction_time) == 2
