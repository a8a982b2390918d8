"""Under ``joblib.parallel_config(backend="dask")`` extraction, a grid search and the
architecture study run on a dask.distributed cluster and give what a local run gives.

One LocalCluster of two worker processes serves the module (starting it and importing
TensorFlow in its workers is most of the module's time).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("distributed", reason="dask.distributed is not installed (extra 'dask')")

import joblib
from distributed import Client, LocalCluster, get_task_stream
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.frontend.features import FEATURES, register_feature


@pytest.fixture(scope="module")
def client():
    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def corpus():
    return make_emotional_speech(n_speakers=4, n_clips_per_emotion=2,
                                 emotions=["angry", "sad"], duration=0.5, random_state=0)


def _on_dask(client, func):
    """``func()`` under the dask backend, and how many tasks the cluster ran for it."""
    with get_task_stream(client=client) as stream, joblib.parallel_config(backend="dask"):
        result = func()
    return result, len(stream.data)


def test_extraction_with_parent_registered_feature_and_augmentation(client, corpus):
    # Both are closures, registered in this process only: they can only reach the workers
    # inside the task (the transformer's config carries the objects, not their names).
    scale = 3.0

    def loudest_bin(ctx):
        return scale * np.argmax(ctx.power, axis=-2)[..., np.newaxis, :].astype(np.float32)

    def quieter(y, sr, rng):
        return y * rng.uniform(0.3, 0.6)

    register_feature("loudest_bin_dask_test", loudest_bin, ["loudest_bin"])
    try:
        aft = AudioFeatureTransformer(duration=0.5, features=["mel", "loudest_bin_dask_test"],
                                      augment=["noise", quieter], random_state=0, n_jobs=2)
        local = aft.fit_transform(corpus.X)
        distributed, n_tasks = _on_dask(client, lambda: aft.fit_transform(corpus.X))
    finally:
        del FEATURES["loudest_bin_dask_test"]
    assert n_tasks > 0
    assert distributed.shape == (len(corpus.X), 3, 16, 65)
    np.testing.assert_array_equal(distributed, local)


def _tiny_classifier():
    from sklearn_ser import SERClassifier

    # eager: for a few batches, tracing the training step would cost more than it saves
    return SERClassifier(arch="cnn", epochs=1, batch_size=8, random_state=0,
                         model__filters=(4,), model__dense_units=None,
                         compile__run_eagerly=True)


@pytest.fixture
def workers_drawing_from_random(client):
    """A thread in every worker draws from Python's global ``random`` while the test runs.

    The workers' event loops do so now and then (dask.sizeof samples lists with
    random.sample, the comms sample frames with random.randint), and a draw that lands while
    a task builds its network changes the seeds Keras gives the layers, unless the fit draws
    them from a generator of its own thread. Drawing all the time makes that certain instead
    of a matter of timing.
    """

    # defined here, not at module level: the workers cannot import this module, so the
    # functions must travel by value
    def start(dask_worker):
        import random
        import threading
        import time

        stop = threading.Event()

        def draw():
            while not stop.is_set():
                random.random()
                time.sleep(0.001)  # often enough to land in every model build, and cheap

        threading.Thread(target=draw, daemon=True).start()
        dask_worker.stop_drawing_from_random = stop

    def stop(dask_worker):
        dask_worker.stop_drawing_from_random.set()

    client.run(start)
    yield
    client.run(stop)


def test_seeded_fit_ignores_other_threads_drawing_from_random():
    # what made a candidate train differently on the cluster, in one process
    import random
    import threading
    import time

    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 2, 16, 8)).astype(np.float32)
    y = np.repeat(["angry", "sad"], 8)

    def fit():
        return _tiny_classifier().fit(X, y).predict_proba(X[:, 0])

    quiet = fit()
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()
            time.sleep(0.001)

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        busy = fit()
    finally:
        stop.set()
        thread.join()
    np.testing.assert_array_equal(busy, quiet)


def test_grid_search_over_a_pipeline_matches_the_local_one(client, corpus,
                                                           workers_drawing_from_random):
    pipe = Pipeline([("features", AudioFeatureTransformer(duration=0.5, augment=["noise"],
                                                          random_state=0)),
                     ("clf", _tiny_classifier())])
    search = GridSearchCV(pipe, {"clf__optimizer__learning_rate": [1e-3, 1e-2]},
                          cv=StratifiedKFold(2, shuffle=True, random_state=0),
                          scoring="neg_log_loss", refit=False)
    local = joblib.parallel_config(backend="sequential")
    with local:
        expected = search.fit(corpus.X, corpus.y).cv_results_
    found, n_tasks = _on_dask(client, lambda: search.fit(corpus.X, corpus.y).cv_results_)
    assert n_tasks >= 4  # 2 candidates x 2 folds ran on the cluster
    # log loss, not a thresholded score: accuracy on 8 clips could hide a different network
    for key in ("split0_test_score", "split1_test_score", "mean_test_score",
                "rank_test_score"):
        np.testing.assert_array_equal(found[key], expected[key], err_msg=key)


def test_architecture_study_matches_the_local_one(client, corpus):
    from sklearn_ser.study import compare_architectures

    def study():
        return compare_architectures(
            corpus.X, corpus.y, corpus.groups, archs=["cnn"], cv=2, ensemble=False,
            transformer=AudioFeatureTransformer(duration=0.5, augment=["noise"],
                                                random_state=0),
            classifier_params=_tiny_classifier().get_params(deep=False))

    expected = study().folds.drop(columns="fit_time")
    found, n_tasks = _on_dask(client, study)
    assert n_tasks > 0  # the clips of every fold were extracted on the cluster
    assert found.folds.drop(columns="fit_time").equals(expected)


# ------------------------------------------------------------------ sklearn-ser compare --scheduler

def test_scheduler_option_runs_joblib_on_the_cluster(client, capsys):
    from joblib import Parallel, delayed

    from sklearn_ser.cli.output import Console
    from sklearn_ser.cli.scheduler import dask_scheduler

    with get_task_stream(client=client) as stream, \
            dask_scheduler(client.scheduler.address, Console(quiet=False)):
        squares = Parallel()(delayed(pow)(i, 2) for i in range(4))
    assert squares == [0, 1, 4, 9]
    assert len(stream.data) == 4
    assert "2 workers" in capsys.readouterr().err


def test_unreachable_scheduler_is_one_clear_error(capsys, monkeypatch):
    import time

    from sklearn_ser.cli import main, scheduler

    monkeypatch.setattr(scheduler, "SCHEDULER_TIMEOUT", 1)
    start = time.perf_counter()
    status = main(["compare", "--scheduler", "tcp://127.0.0.1:9", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert "--scheduler tcp://127.0.0.1:9: no dask scheduler answered within 1 s" in err[-1]
    assert time.perf_counter() - start < 30  # before any data is loaded


def test_scheduler_without_dask_installed_says_what_to_install(capsys, monkeypatch):
    import sys

    from sklearn_ser.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if absent
    assert main(["compare", "--scheduler", "tcp://127.0.0.1:8786", "--quiet"]) == 1
    assert "pip install 'sklearn-ser[dask]'" in capsys.readouterr().err
