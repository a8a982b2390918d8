"""SERClassifier behaviour: training contract, views, validation, scikit-learn integration.

Fits use tiny networks, a few epochs and Keras's eager mode (``compile__run_eagerly=True``):
on tiny data eager steps cost less than tracing a TensorFlow graph for every new model.
Tests that need the graph path (pickling, the predict path) say so.
"""

from __future__ import annotations

import math
import os
import pickle
import random
import subprocess
import sys
import textwrap

import joblib
import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.base import clone, is_classifier
from sklearn.ensemble import VotingClassifier
from sklearn.model_selection import StratifiedKFold, check_cv, cross_validate
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.estimator_checks import check_no_attributes_set_in_init

from sklearn_ser.classifier import SERClassifier
from sklearn_ser.models import ARCHITECTURES

CLASSES = ("angry", "calm", "sad")
TINY = {
    "epochs": 2,
    "batch_size": 16,
    "random_state": 0,
    "model__filters": (4,),
    "model__units": 4,
    "model__heads": 1,
    "model__key_dim": 4,
    "model__dense_units": None,
    "compile__run_eagerly": True,
}


def tiny(**params):
    return SERClassifier(**{"arch": "cnn", **TINY, **params})


def make_sequences(n_per_class=10, n_frames=12, n_features=5, seed=0, classes=CLASSES):
    """Feature sequences whose class shows as feature k raised in the first half of the frames
    for class k (a change over time, which survives the per-clip centring)."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.asarray(classes), n_per_class)
    X = rng.normal(size=(y.size, n_frames, n_features)).astype(np.float32)
    for k, label in enumerate(classes):
        X[y == label, : n_frames // 2, k] += 3.0
    return X, y


@pytest.fixture(scope="module")
def data():
    return make_sequences()


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    # the default graph mode: Keras traces the train and predict functions once
    return tiny(epochs=20, batch_size=8, optimizer__learning_rate=0.02, model__dropout=0.0,
                compile__run_eagerly=False).fit(X, y)


# ---------------------------------------------------------------- a real sklearn classifier


def test_is_a_classifier_so_cv_stratifies(data):
    X, y = data
    clf = SERClassifier()
    assert is_classifier(clf)  # scikeras 0.13's KerasClassifier alone says False
    tags = get_tags(clf)
    assert tags.estimator_type == "classifier"
    assert tags.input_tags.three_d_array and tags.target_tags.required
    assert isinstance(check_cv(5, y, classifier=is_classifier(clf)), StratifiedKFold)
    # end to end: cv=5 on label-sorted clips gives folds with the class balance of y
    result = cross_validate(tiny(epochs=1, validation_fraction=None), X, y, cv=5,
                            return_indices=True)
    for test_idx in result["indices"]["test"]:
        assert sorted(np.unique(y[test_idx], return_counts=True)[1]) == [2, 2, 2]
    assert np.all(np.isfinite(result["test_score"]))


def test_init_stores_parameters_only():
    check_no_attributes_set_in_init("SERClassifier", SERClassifier())
    clf = SERClassifier(arch="cnn", model__dropout=0.1)
    assert vars(clf)["model__dropout"] == 0.1 and not hasattr(clf, "model_")


def test_clone_and_routed_set_params_round_trip():
    clf = tiny(optimizer__learning_rate=0.01)
    params = clone(clf).get_params()
    assert params["optimizer__learning_rate"] == 0.01 and params["model__filters"] == (4,)
    clf.set_params(model__units=8, optimizer__learning_rate=3e-4, arch="cnn_gru")
    assert clone(clf).get_params() == clf.get_params()
    assert clf.get_params()["model__units"] == 8
    assert "model__units=8" in repr(clf)


def test_default_learning_rate_reaches_the_optimizer(data, monkeypatch):
    from sklearn.model_selection import GridSearchCV

    from sklearn_ser import defaults

    X, y = data
    monkeypatch.setattr(defaults, "LEARNING_RATE", 0.0042)

    def peak(clf):
        rate = clf.model_.optimizer._learning_rate
        return float(getattr(rate, "warmup_target", None) or clf.model_.optimizer.learning_rate)

    # by name or class, without a routed rate: the library's peak, cosine or constant
    assert math.isclose(peak(tiny(epochs=1).fit(X, y)), 0.0042, rel_tol=1e-6)
    assert math.isclose(peak(tiny(epochs=1, optimizer=keras.optimizers.SGD,
                                  lr_schedule="constant").fit(X, y)), 0.0042, rel_tol=1e-6)
    # a routed rate wins, and stays grid-searchable
    assert math.isclose(peak(tiny(epochs=1, optimizer__learning_rate=0.02).fit(X, y)), 0.02,
                        rel_tol=1e-6)
    grid = GridSearchCV(tiny(epochs=1), {"optimizer__learning_rate": [0.003, 0.005]}, cv=2,
                        refit=True).fit(X, y)
    assert math.isclose(peak(grid.best_estimator_),
                        grid.best_params_["optimizer__learning_rate"], rel_tol=1e-6)
    # an optimizer object keeps its own rate
    own = tiny(epochs=1, optimizer=keras.optimizers.Adam(learning_rate=0.007),
               lr_schedule="constant").fit(X, y)
    assert math.isclose(peak(own), 0.007, rel_tol=1e-6)


def test_routed_parameters_reach_the_model(data):
    X, y = data
    clf = tiny(arch="cnn_gru", epochs=1, model__filters=(6,), model__units=5,
               optimizer__learning_rate=0.0125, lr_schedule="constant",
               validation_fraction=None).fit(X, y)
    body = clf.model_.get_layer("cnn_gru")
    assert body.get_layer("conv1").filters == 6
    assert body.get_layer("bigru").forward_layer.units == 5
    assert math.isclose(float(clf.model_.optimizer.learning_rate), 0.0125, rel_tol=1e-6)
    # each clip is centred, then standardised with statistics of the centred training rows
    assert clf.clip_centering_ and clf.model_.layers[1].name == "clip_centering"
    centred = X - X.mean(axis=1, keepdims=True)
    norm = clf.model_.get_layer("standardize")
    np.testing.assert_allclose(np.ravel(norm.mean), centred.mean(axis=(0, 1)), atol=1e-5)
    np.testing.assert_allclose(np.ravel(norm.variance), centred.var(axis=(0, 1)), rtol=1e-4)
    plain = tiny(epochs=1, clip_centering=False).fit(X, y)
    assert not plain.clip_centering_
    np.testing.assert_allclose(np.ravel(plain.model_.get_layer("standardize").mean),
                               X.mean(axis=(0, 1)), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- predictions


def test_learns_and_returns_string_labels(fitted, data):
    X, y = data
    assert fitted.classes_.tolist() == list(CLASSES)
    assert fitted.n_features_in_ == 5 and fitted.input_shape_ == (12, 5)
    pred = fitted.predict(X)
    assert pred.dtype.kind == "U" and set(pred) <= set(CLASSES)
    assert fitted.score(X, y) >= 0.9
    proba = fitted.predict_proba(X)
    assert proba.shape == (30, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # column k belongs to classes_[k]: clips of class k get their highest mean there
    for k, label in enumerate(fitted.classes_):
        assert proba[y == label].mean(axis=0).argmax() == k
    assert np.array_equal(pred, fitted.classes_[proba.argmax(axis=1)])


def test_small_inputs_skip_model_predict(fitted, data, monkeypatch):
    X, _ = data
    expected = fitted.predict_proba(X)

    def no_predict(*args, **kwargs):
        raise AssertionError("Model.predict should not be called")

    monkeypatch.setattr(fitted.model_, "predict", no_predict)
    np.testing.assert_allclose(fitted.predict_proba(X[:1]), expected[:1], rtol=1e-6)
    # routed predict__batch_size: rows per call of the compiled predict function
    monkeypatch.setattr(fitted, "predict__batch_size", 7, raising=False)
    np.testing.assert_allclose(fitted.predict_proba(X), expected, rtol=1e-5, atol=1e-7)


def test_predict_input_errors(fitted, data):
    X, _ = data
    with pytest.raises(ValueError, match="views are for training only"):
        fitted.predict(np.stack([X, X], axis=1))
    with pytest.raises(ValueError, match=r"13 frames x 5 features .* fitted on 12 frames x 5"):
        fitted.predict(np.zeros((2, 13, 5)))
    with pytest.raises(ValueError, match=r"12 frames x 4 features .* fitted on 12 frames x 5"):
        fitted.predict(np.zeros((2, 12, 4)))
    with pytest.raises(ValueError, match=r"1 frames x 5 features \(X.shape = \(2, 5\)\)"):
        fitted.predict(np.zeros((2, 5)))  # 2-D is one frame
    with pytest.raises(ValueError, match="NaN"):
        fitted.predict(np.full((1, 12, 5), np.nan))


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis:UserWarning")
def test_2d_features_are_sequences_of_one_frame(data):
    X, y = data
    stats = X.mean(axis=1)  # clip-level features, (n_samples, n_features)
    clf = tiny(arch="cnn_mha_bilstm_bigru", epochs=1, validation_fraction=None).fit(stats, y)
    assert clf.input_shape_ == (1, 5) and clf.n_features_in_ == 5
    assert clf.predict_proba(stats[:4]).shape == (4, 3)
    with pytest.raises(ValueError, match="X has 4 features, but SERClassifier is expecting 5"):
        clf.predict(stats[:, :4])


# ---------------------------------------------------------------- training contract


def _recording_arch(log):
    """A user architecture whose first layer stores every batch it sees, by phase."""

    class Recorder(keras.layers.Layer):
        # ``log`` comes from the closure: a layer attribute would be copied by Keras tracking
        def call(self, x, training=None):
            if not isinstance(x, keras.KerasTensor) and tf.executing_eagerly():
                log["train" if training else "eval"].append(np.asarray(x))
            return x

    def build(input_shape, n_classes):
        inputs = keras.Input(shape=input_shape)
        x = Recorder(name="recorder")(inputs)
        x = keras.layers.GlobalAveragePooling1D()(x)
        return keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(x))

    return build


def _clip_ids(batches, model):
    """Undo the standardisation and read (clip id, view) from features 0 and 1."""
    norm = model.get_layer("standardize")
    mean = np.ravel(norm.mean)
    std = np.sqrt(np.ravel(norm.variance))
    rows = np.concatenate(batches)[:, 0, :2] * std[:2] + mean[:2]
    return {(round(float(c)), round(float(v))) for c, v in rows}, rows.shape[0]


def test_views_unrolled_after_a_clip_level_stratified_split():
    n_clips, n_views = 20, 3
    y = np.repeat(["a", "b"], [12, 8])
    X = np.zeros((n_clips, n_views, 4, 3), dtype=np.float32)
    X[:, :, :, 0] = np.arange(n_clips)[:, None, None]  # clip id in feature 0
    X[:, :, :, 1] = np.arange(n_views)[None, :, None]  # view index in feature 1
    weights = np.ones(n_clips)
    weights[5] = 0.0  # zero weight removes a clip
    log = {"train": [], "eval": []}
    clf = SERClassifier(arch=_recording_arch(log), epochs=1, batch_size=8, random_state=0,
                        validation_fraction=0.1, fit__validation_batch_size=2,
                        clip_centering=False,  # keep the clip ids readable
                        compile__run_eagerly=True).fit(X, y, sample_weight=weights)
    assert clf.n_views_ == n_views and clf.input_shape_ == (4, 3)

    train, n_train_rows = _clip_ids(log["train"], clf.model_)
    val, n_val_rows = _clip_ids(log["eval"], clf.model_)
    train_clips = {c for c, _ in train}
    val_clips = {c for c, _ in val}
    # 19 weighted clips, ceil(0.1 * 19) = 2 held out: one per class (stratified)
    assert len(val_clips) == 2 and sorted(y[list(val_clips)]) == ["a", "b"]
    assert not train_clips & val_clips  # no clip on both sides
    assert 5 not in train_clips | val_clips
    assert train_clips | val_clips | {5} == set(range(n_clips))
    # every view of a training clip is a training row, exactly once per epoch
    assert train == {(c, v) for c in train_clips for v in range(n_views)}
    assert n_train_rows == len(train_clips) * n_views
    # validation clips are judged on the clean view only
    assert {v for _, v in val} == {0} and n_val_rows == 2


def _views_data(n_clips=12, n_views=4):
    y = np.repeat(["a", "b"], n_clips // 2)
    X = np.zeros((n_clips, n_views, 4, 3), dtype=np.float32)
    X[:, :, :, 0] = np.arange(n_clips)[:, None, None]  # clip id in feature 0
    X[:, :, :, 1] = np.arange(n_views)[None, :, None]  # view index in feature 1
    X[:, :, :, 2] = np.random.default_rng(0).normal(size=(n_clips, n_views, 4))
    return X, y


def _rows_per_epoch(views_per_epoch, random_state=0, epochs=3, batch_size=5):
    X, y = _views_data()
    log = {"train": [], "eval": []}
    clf = SERClassifier(arch=_recording_arch(log), epochs=epochs, batch_size=batch_size,
                        random_state=random_state, views_per_epoch=views_per_epoch,
                        validation_fraction=None, clip_centering=False,
                        compile__run_eagerly=True).fit(X, y)
    # undo the standardisation batch by batch, then cut the stream into epochs
    n_batches = len(log["train"]) // epochs
    assert n_batches * epochs == len(log["train"]) > 0
    epochs_rows = [sorted(r for batch in log["train"][e * n_batches:(e + 1) * n_batches]
                          for r in _clip_rows(batch, clf.model_))
                   for e in range(epochs)]
    return clf, epochs_rows


def _clip_rows(batch, model):
    """(clip id, view) of every row of one batch, duplicates kept."""
    norm = model.get_layer("standardize")
    mean, std = np.ravel(norm.mean), np.sqrt(np.ravel(norm.variance))
    rows = batch[:, 0, :2] * std[:2] + mean[:2]
    return [(round(float(c)), round(float(v))) for c, v in rows]


def test_views_per_epoch_draws_k_distinct_views_of_every_clip_each_epoch():
    clf, epochs = _rows_per_epoch(views_per_epoch=2)
    n_clips, n_views = 12, 4
    assert clf.n_views_ == n_views
    for rows in epochs:
        # an epoch is a pass over clips: every clip twice, with two different views
        assert len(rows) == n_clips * 2
        by_clip = {}
        for clip, view in rows:
            by_clip.setdefault(clip, []).append(view)
        assert sorted(by_clip) == list(range(n_clips))
        assert all(len(set(v)) == 2 and set(v) <= set(range(n_views))
                   for v in by_clip.values())
    assert len({tuple(rows) for rows in epochs}) > 1  # drawn anew each epoch
    # the cosine schedule plans the steps that are taken: 24 rows / batch 5 = 5 per epoch
    assert clf.model_.optimizer._learning_rate.decay_steps == 3 * 5
    # the draws follow random_state
    assert _rows_per_epoch(views_per_epoch=2)[1] == epochs
    assert _rows_per_epoch(views_per_epoch=2, random_state=1)[1] != epochs


def test_views_per_epoch_none_or_more_than_there_are_trains_on_every_view():
    every = {(c, v) for c in range(12) for v in range(4)}
    for views in (None, 4, 10):
        _, epochs = _rows_per_epoch(views_per_epoch=views, epochs=1)
        assert sorted(epochs[0]) == sorted(every)


def test_views_per_epoch_keeps_the_clip_level_validation_split():
    X, y = _views_data(n_clips=20)
    log = {"train": [], "eval": []}
    clf = SERClassifier(arch=_recording_arch(log), epochs=1, batch_size=8, random_state=0,
                        views_per_epoch=1, validation_fraction=0.2, clip_centering=False,
                        compile__run_eagerly=True).fit(X, y)
    train, _ = _clip_ids(log["train"], clf.model_)
    val, _ = _clip_ids(log["eval"], clf.model_)
    train_clips, val_clips = {c for c, _ in train}, {c for c, _ in val}
    assert len(val_clips) == 4 and not train_clips & val_clips
    assert train_clips | val_clips == set(range(20))
    assert {v for _, v in val} == {0}  # validation is judged on the clean view


def _mixup_batches(mixup, seed=0):
    from sklearn_ser.classifier._training import ViewBatches

    X, y = _views_data()
    targets = np.eye(3, dtype=np.float32)[np.unique(y, return_inverse=True)[1]]
    weights = np.linspace(1, 2, len(y)).astype(np.float32)
    return ViewBatches(X, np.arange(len(y)), targets, weights, views_per_epoch=2,
                       batch_size=8, seed=seed, mixup=mixup)


def test_mixup_blends_each_row_with_another_row_of_its_batch():
    plain, mixed = _mixup_batches(0.0), _mixup_batches(0.4)
    for index in range(len(plain)):
        x, y, w = plain[index]
        mx, my, mw = mixed[index]
        # the same rows, each blended with a partner row of the same batch
        share = []
        for row in range(len(x)):
            blends = [(j, lam) for j in range(len(x))
                      for lam in [_blend_share(mx[row], x[row], x[j])]
                      if lam is not None
                      and np.allclose(mx[row], lam * x[row] + (1 - lam) * x[j], atol=1e-4)]
            assert blends, f"row {row} of batch {index} is not a blend of two batch rows"
            j, lam = blends[0]
            assert 0.5 - 1e-6 <= lam <= 1 + 1e-6  # each row keeps most of its own clip
            np.testing.assert_allclose(my[row], lam * y[row] + (1 - lam) * y[j], atol=1e-5)
            np.testing.assert_allclose(mw[row], lam * w[row] + (1 - lam) * w[j], rtol=1e-5)
            share.append(lam)
        assert np.allclose(my.sum(axis=1), 1.0, atol=1e-5)
        assert min(share) < 0.99  # mixing happened
    # the blends follow the seed
    np.testing.assert_array_equal(mixed[0][0], _mixup_batches(0.4)[0][0])
    assert not np.array_equal(mixed[0][0], _mixup_batches(0.4, seed=1)[0][0])


def _blend_share(mixed, own, other):
    """lam with mixed == lam * own + (1 - lam) * other, from the feature that differs most."""
    diff = own - other
    k = np.unravel_index(np.argmax(np.abs(diff)), diff.shape)
    if abs(diff[k]) < 1e-6:
        return 1.0 if np.allclose(mixed, own, atol=1e-5) else None
    return float((mixed[k] - other[k]) / diff[k])


def test_mixup_refuses_class_index_targets():
    from sklearn_ser.classifier._training import ViewBatches

    X, y = _views_data()
    with pytest.raises(ValueError, match="one-hot"):
        ViewBatches(X, np.arange(len(y)), np.zeros(len(y), dtype=int), None,
                    views_per_epoch=1, batch_size=4, seed=0, mixup=0.2)


def test_mixup_trains_with_a_categorical_loss(data):
    X, y = data
    clf = tiny(epochs=20, batch_size=8, optimizer__learning_rate=0.02, model__dropout=0.0,
               mixup=0.2, loss="categorical_crossentropy").fit(X, y)
    assert clf.score(X, y) >= 0.9
    assert clone(clf).get_params()["mixup"] == 0.2


def test_history_early_stopping_and_final_metrics():
    X, y = make_sequences(seed=1)
    y = np.random.default_rng(0).permutation(y)  # nothing to learn: validation loss stalls
    clf = tiny(epochs=40, early_stopping=2, lr_schedule="plateau", reduce_lr_patience=1,
               validation_fraction=0.2, optimizer__learning_rate=0.05).fit(X, y)
    hist = clf.history_
    n_epochs = len(hist["loss"])
    assert 3 <= n_epochs < 40  # stopped early
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(hist)
    assert all(len(v) == n_epochs for v in hist.values())
    assert clf.best_epoch_ == int(np.argmin(hist["val_loss"]))
    assert n_epochs == clf.best_epoch_ + 1 + 2  # patience 2 after the best epoch
    assert min(hist["learning_rate"]) < hist["learning_rate"][0]  # reduced on plateau
    assert clf.final_metrics_ == {k: hist[k][clf.best_epoch_]
                                  for k in ("loss", "accuracy", "val_loss", "val_accuracy")}
    summary = clf.summary_metrics()
    assert summary["Final Validation Loss"] == min(hist["val_loss"])
    assert summary["Final Accuracy"] == clf.final_metrics_["accuracy"]


def test_without_validation_set(data):
    X, y = data
    clf = tiny(epochs=3, validation_fraction=None).fit(X, y)
    assert "val_loss" not in clf.history_ and len(clf.history_["loss"]) == 3
    assert math.isnan(clf.summary_metrics()["Final Validation Accuracy"])
    assert clf.best_epoch_ == int(np.argmin(clf.history_["loss"]))  # monitors training loss


def test_class_weight_balanced_is_a_sample_weight(data):
    X, y = data
    X, y = X[4:], y[4:]  # 6 angry, 10 calm, 10 sad
    balanced = tiny().fit(X, y).predict_proba(X)  # class_weight="balanced" is the default
    weighted = tiny(class_weight=None).fit(X, y,
                                           sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_array_equal(balanced, weighted.predict_proba(X))
    assert not np.allclose(balanced, tiny(class_weight=None).fit(X, y).predict_proba(X))


def test_random_state_reproduces_and_leaves_global_rngs_alone(data):
    X, y = data
    random.seed(123)
    np.random.seed(123)  # noqa: NPY002 - the legacy global generator is the one to protect
    before = random.random(), np.random.random()  # noqa: NPY002
    random.seed(123)
    np.random.seed(123)  # noqa: NPY002
    first = tiny(epochs=1).fit(X, y).predict_proba(X)
    assert (random.random(), np.random.random()) == before  # noqa: NPY002
    np.testing.assert_array_equal(first, tiny(epochs=1).fit(X, y).predict_proba(X))
    assert not np.allclose(first, tiny(epochs=1, random_state=1).fit(X, y).predict_proba(X))


def test_seeded_fit_leaves_unseeded_tensorflow_working():
    # In a fresh process, scikeras 0.13's seeding context leaves TensorFlow's op determinism
    # on for good, after which every unseeded random op (a fit, user code) fails.
    script = textwrap.dedent('''
        import os
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
        import numpy as np, tensorflow as tf
        from sklearn_ser.classifier import SERClassifier
        X = np.random.default_rng(0).normal(size=(12, 3, 2))
        y = np.tile(["a", "b"], 6)
        params = dict(arch="cnn", epochs=1, validation_fraction=None, model__filters=2,
                      compile__run_eagerly=True)
        SERClassifier(random_state=0, **params).fit(X, y)
        SERClassifier(random_state=None, **params).fit(X, y)
        tf.random.uniform((1,))
    ''')
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)


_ALLOCATOR_SCRIPT = textwrap.dedent('''
    import os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import numpy as np
    from sklearn_ser import SERClassifier
    import tensorflow as tf
    X = np.random.default_rng(0).normal(size=(12, 2, 8, 3))
    SERClassifier(arch="cnn", epochs=1, model__filters=2).fit(X, np.tile(["a", "b"], 6))
    # only a pooling (BFC) allocator keeps statistics: the malloc one raises on some CPUs
    # and reports a peak of 0 on others (seen on AMD EPYC with TensorFlow 2.21)
    try:
        peak = tf.config.experimental.get_memory_info("CPU:0")["peak"]
    except ValueError:
        peak = 0
    print("pooled" if peak > 0 else "malloc")
''')


@pytest.mark.parametrize(("user_setting", "allocator"), [(None, "pooled"), ("0", "malloc")])
def test_training_uses_a_pooling_allocator_unless_the_user_says_otherwise(user_setting,
                                                                          allocator):
    # TensorFlow's malloc-backed CPU allocator can page-fault every training step
    env = {k: v for k, v in os.environ.items() if k != "TF_CPU_ALLOCATOR_USE_BFC"}
    if user_setting is not None:
        env["TF_CPU_ALLOCATOR_USE_BFC"] = user_setting
    out = subprocess.run([sys.executable, "-c", _ALLOCATOR_SCRIPT], env=env, check=True,
                         capture_output=True, text=True, timeout=300).stdout
    assert out.split()[-1] == allocator


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"dropout": 0.3}, ValueError, "routed with the 'model__' prefix .*model__dropout=0.3"),
        ({"model__bogus": 1}, ValueError, r"'cnn' has no hyperparameter 'bogus'.*'filters'"),
        ({"fit__validation_split": 0.2}, ValueError, "copies of one clip on both sides"),
        ({"arch": "transformer"}, InvalidParameterError, "'arch' parameter"),
        ({"epochs": 0}, InvalidParameterError, "'epochs' parameter"),
        ({"validation_fraction": 1.5}, InvalidParameterError, "'validation_fraction'"),
        ({"early_stopping": -3}, InvalidParameterError, "'early_stopping'"),
        ({"mixup": -0.2}, InvalidParameterError, "'mixup'"),
        ({"mixup": 0.2}, ValueError, "mixup=0.2 blends .*loss='categorical_crossentropy'"),
    ],
)
def test_bad_parameters_fail_before_training(data, params, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        tiny(**params).fit(X, y)


def test_bad_training_data(data):
    X, y = data
    with pytest.raises(ValueError, match=r"at least 2 classes .* 1 class"):
        tiny().fit(X[:10], y[:10])
    with pytest.raises(ValueError, match="class 'sad' has 1"):  # validation split by clip
        tiny(validation_fraction=0.2).fit(X[:21], y[:21])
    with pytest.raises(ValueError, match="X has 5 dimensions"):
        tiny().fit(X[:, None, None], y)
    with pytest.raises(ValueError, match="requires y to be passed"):
        tiny().fit(X, None)
    with pytest.raises(ValueError, match="Unknown label type"):
        tiny().fit(X, np.linspace(0, 1, len(y)))


def test_user_architecture_is_checked(data):
    X, y = data

    def wrong_output(input_shape, n_classes):
        inputs = keras.Input(shape=input_shape)
        x = keras.layers.GlobalAveragePooling1D()(inputs)
        return keras.Model(inputs, keras.layers.Dense(n_classes + 1, activation="softmax")(x))

    with pytest.raises(ValueError, match=r"output shape \(None, 4\); expected \(None, 3\)"):
        SERClassifier(arch=wrong_output, epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"has no hyperparameter 'filters'.*\[\]"):
        tiny(arch=wrong_output).fit(X, y)  # TINY routes model__filters, which it lacks
    # hyperparameters of the shared vocabulary that an architecture has no layer for are ignored
    tiny(arch="cnn", epochs=1, model__heads=2, validation_fraction=None).fit(X, y)


def test_no_partial_fit_or_initialize():
    clf = SERClassifier()
    assert not hasattr(clf, "partial_fit") and not hasattr(clf, "initialize")
    with pytest.raises(AttributeError) as excinfo:
        clf.partial_fit  # noqa: B018
    assert "standardisation is learned from them" in str(excinfo.value.__cause__)


# ---------------------------------------------------------------- ensembles and persistence


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis:UserWarning")
def test_soft_voting_over_the_five_architectures(data):
    X, y = data
    members = [(name, tiny(arch=name, epochs=1, validation_fraction=None))
               for name in sorted(ARCHITECTURES)]
    vote = VotingClassifier(members, voting="soft").fit(X, y)
    proba = vote.predict_proba(X)
    mean = np.mean([m.predict_proba(X) for m in vote.estimators_], axis=0)
    np.testing.assert_allclose(proba, mean, rtol=1e-6)
    assert set(vote.predict(X)) <= set(CLASSES)


def test_pickle_and_joblib_in_a_fresh_process(data, tmp_path):
    X, y = data
    # the custom attention layer must be registered with Keras for the model to load
    clf = tiny(arch="cnn_bilstm_bigru_attention", epochs=1, validation_fraction=None).fit(X, y)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.save(tmp_path / "X.npy", X)
    script = textwrap.dedent(f"""
        import os
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
        import joblib, numpy as np
        clf = joblib.load({str(tmp_path / "clf.joblib")!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        np.save({str(tmp_path / "proba.npy")!r}, clf.predict_proba(X))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), expected)


def test_cosine_schedule_warms_up_then_decays_over_the_planned_steps(data):
    X, y = data  # 30 clips, batch 16: 2 steps per epoch
    clf = tiny(epochs=10, optimizer__learning_rate=0.01).fit(X, y)
    schedule = clf.model_.optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    rates = [float(schedule(step)) for step in (0, 2, 10, 20)]
    assert math.isclose(rates[0], 0.001, rel_tol=1e-5)   # warm-up starts at a tenth
    assert math.isclose(rates[1], 0.01, rel_tol=1e-5)    # peak after a tenth of 20 steps
    assert rates[1] > rates[2] > rates[3]
    assert 0.0002 < rates[3] < 0.0005                     # about a thirtieth at the end
    # the user's optimizer instance is not modified
    adam = keras.optimizers.Adam(0.01)
    tiny(epochs=1, optimizer=adam).fit(X, y)
    assert isinstance(adam.learning_rate, keras.Variable)


def test_cosine_schedule_refuses_a_second_schedule(data):
    X, y = data
    decay = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.5)
    with pytest.raises(ValueError, match="lr_schedule='constant'"):
        tiny(optimizer__learning_rate=decay).fit(X, y)
    clf = tiny(optimizer__learning_rate=decay, lr_schedule="constant").fit(X, y)
    assert isinstance(clf.model_.optimizer._learning_rate,
                      keras.optimizers.schedules.ExponentialDecay)


def test_clip_centering_makes_predictions_blind_to_a_constant_offset_per_clip(data):
    X, y = data
    # a per-clip, per-feature offset: a different microphone gain or speaker timbre
    offset = np.random.default_rng(1).normal(scale=5.0, size=(X.shape[0], 1, X.shape[2]))
    shifted = (X + offset).astype(np.float32)
    centred = tiny(epochs=3).fit(X, y)
    np.testing.assert_allclose(centred.predict_proba(shifted), centred.predict_proba(X),
                               atol=1e-4)
    plain = tiny(epochs=3, clip_centering=False).fit(X, y)
    assert not np.allclose(plain.predict_proba(shifted), plain.predict_proba(X), atol=1e-2)


def test_clip_centering_is_skipped_for_one_frame_input(data):
    X, y = data
    clf = tiny(epochs=1).fit(X.mean(axis=1), y)  # 2-D: one frame per clip
    assert not clf.clip_centering_
    assert "clip_centering" not in [layer.name for layer in clf.model_.layers]


def test_missing_labels_are_named_not_a_type_error(data):
    X, y = data
    y = y.astype(object)
    y[[3, 7]] = None
    with pytest.raises(ValueError, match=r"2 missing label\(s\) \(None\), at positions \[3, 7\]"):
        tiny().fit(X, y)


def test_a_finished_fit_keeps_no_reference_to_its_training_features():
    """Studies fit dozens of networks in one process: each fit's features must be freed."""
    import gc
    import weakref

    rng = np.random.default_rng(0)
    X = rng.standard_normal((24, 6, 5)).astype(np.float32)
    y = np.repeat(["a", "b"], 12)
    alive = weakref.ref(X)
    clf = SERClassifier(arch="cnn", epochs=1, batch_size=8, random_state=0,
                        model__filters=4, model__dense_units=None).fit(X, y)
    del X
    gc.collect()
    assert alive() is None
    assert clf.predict(rng.standard_normal((3, 6, 5)).astype(np.float32)).shape == (3,)
