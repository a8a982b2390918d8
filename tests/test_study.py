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
    assert len(result.extraction_time) == 1  # every clip once, shared by the two folds


# ------------------------------------------------------------------ resumable, progress

class StopAfter:
    """Simulates a kill: KeyboardInterrupt at the end of the ``n``-th fit from now."""

    def __init__(self, n):
        import keras

        outer = self

        class Callback(keras.callbacks.Callback):
            def on_train_end(self, logs=None):
                outer.fits += 1
                if outer.fits == n:
                    raise KeyboardInterrupt

        self.fits = 0
        self.callback = Callback()


def tiny_study(data, **kwargs):
    settings = {"archs": ["cnn", "cnn_gru"], "cv": 2, "random_state": 1,
                "transformer": AudioFeatureTransformer(duration=1.0, augment=["noise"],
                                                       random_state=1),
                "classifier_params": {"epochs": 1, "batch_size": 8}}
    settings["classifier_params"] = {**settings["classifier_params"],
                                     **kwargs.pop("classifier_params", {})}
    return compare_architectures(data.X, data.y, data.groups, **{**settings, **kwargs})


SCORES = ["model", "fold", "n_train", "n_test", "train_accuracy", "train_loss",
          "test_accuracy", "uar", "macro_f1", "n_params", "epochs"]


@pytest.mark.slow
def test_a_killed_study_resumes_and_ends_as_an_uninterrupted_one(data, tmp_path):
    import io

    reference = tiny_study(data)
    stop = StopAfter(3)
    with pytest.raises(KeyboardInterrupt):
        tiny_study(data, checkpoint=tmp_path, classifier_params={"callbacks": [stop.callback]})
    assert len(list(tmp_path.glob("*-fold*.json"))) == 2  # the third fit never finished
    assert not list(tmp_path.glob(".*.tmp"))
    counter, log = StopAfter(0), io.StringIO()
    resumed = tiny_study(data, checkpoint=tmp_path, progress=True, progress_file=log,
                         classifier_params={"callbacks": [counter.callback]})
    assert counter.fits == 2 and resumed.n_resumed == 2  # only the missing models trained
    assert "resuming: 2 of 4 (architecture, fold) results found" in log.getvalue()
    lines = [line for line in log.getvalue().splitlines() if line.startswith("study: ")]
    assert [line.split(",")[0] for line in lines] == ["study: 3/4 models (75%)",
                                                      "study: 4/4 models (100%)"]
    assert "ETA" in lines[0] and "uar 0." in lines[0]
    pd_testing = pytest.importorskip("pandas.testing")
    pd_testing.assert_frame_equal(resumed.folds[SCORES], reference.folds[SCORES])
    for model, matrix in reference.confusion.items():
        np.testing.assert_array_equal(resumed.confusion[model], matrix)
    assert resumed.histories == reference.histories
    # a third run restores everything and trains nothing
    again = StopAfter(0)
    tiny_study(data, checkpoint=tmp_path, classifier_params={"callbacks": [again.callback]})
    assert again.fits == 0


@pytest.mark.slow
def test_a_changed_setting_starts_fresh_and_says_which(data, tmp_path):
    import io

    tiny_study(data, archs=["cnn"], checkpoint=tmp_path)
    log = io.StringIO()
    result = tiny_study(data, archs=["cnn"], checkpoint=tmp_path, progress=True,
                        progress_file=log, classifier_params={"epochs": 2})
    text = log.getvalue()
    assert "starting fresh" in text and "classifier.epochs 1 -> 2" in text
    assert "resuming" not in text and result.n_resumed == 0
    assert (result.folds["epochs"] == 2).all()
    log = io.StringIO()
    tiny_study(data, archs=["cnn"], checkpoint=tmp_path, progress=True, progress_file=log,
               classifier_params={"epochs": 2}, random_state=2)
    assert "random_state 1 -> 2" in log.getvalue()


def test_shared_features_are_each_folds_own(data):
    """Extracting every clip once gives each fold the features of a per-fold extraction."""
    from sklearn_ser.study._fit import FoldFeatures, make_splits

    transformer = AudioFeatureTransformer(duration=1.0, augment=["noise"], random_state=0)
    splits = make_splits(2, np.asarray(data.y), np.asarray(data.groups), 0)
    shared = FoldFeatures(data.X, transformer, splits, once=True, verbose=0, log=print)
    per_fold = FoldFeatures(data.X, transformer, splits, once=False, verbose=0, log=print)
    for k in range(2):
        for a, b in zip(shared.fold(k), per_fold.fold(k)):
            np.testing.assert_array_equal(a, b)
    assert len(shared.times) == 1 and len(per_fold.times) == 2


def test_checkpoint_keeps_only_whole_results_of_one_configuration(tmp_path):
    from sklearn_ser.study._checkpoint import Checkpoint

    store = Checkpoint(tmp_path, {"archs": ["cnn"], "classifier": {"epochs": 1}})
    store.save({"model": "cnn", "fold": 0, "record": {"uar": 0.5}})
    assert Checkpoint(tmp_path, {"archs": ["cnn"], "classifier": {"epochs": 1}}).load(
        "cnn", 0)["record"] == {"uar": 0.5}
    # a result written under another key (e.g. by a run killed mid-change) is never read
    other = Checkpoint(tmp_path / "other", {"archs": ["cnn"]})
    other.save({"model": "cnn", "fold": 0, "record": {"uar": 0.9}})
    (tmp_path / "other" / "cnn-fold0.json").replace(tmp_path / "cnn-fold0.json")
    assert Checkpoint(tmp_path, {"archs": ["cnn"], "classifier": {"epochs": 1}}).load(
        "cnn", 0) is None
    changed = Checkpoint(tmp_path, {"archs": ["cnn", "cnn_gru"], "classifier": {"epochs": 1}})
    assert changed.status == "fresh" and changed.n_discarded == 1
    assert changed.changes == ["archs ['cnn'] -> ['cnn', 'cnn_gru']"]
    assert not list(tmp_path.glob("*-fold*.json"))


def test_extract_once_is_checked(data):
    with pytest.raises(ValueError, match="extract_once must be True, False or 'auto'"):
        compare_architectures(data.X, data.y, data.groups, archs=["cnn"], cv=2,
                              extract_once="yes")
