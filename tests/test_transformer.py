import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
import soundfile as sf
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.defaults import AUGMENTATIONS as AUGMENT
from sklearn_ser.frontend.decode import AudioInputError


def small(**kwargs):
    params = dict(duration=0.5, features=("zcr", "rms", "mfcc"), n_mfcc=13)
    params.update(kwargs)
    return AudioFeatureTransformer(**params)


def test_defaults_are_read_from_the_defaults_module():
    from sklearn_ser import defaults
    from sklearn_ser.cli.features import FeatureSet, make_features

    aft = AudioFeatureTransformer()
    assert (aft.sr, aft.duration, aft.top_db) == (
        defaults.SAMPLE_RATE, defaults.CLIP_DURATION, defaults.TOP_DB)
    # the command line's openSMILE descriptors trim as the mel frames do
    lld = make_features(FeatureSet("smile-lld:eGeMAPSv02", "lld", "eGeMAPSv02"), duration=2.0,
                        augment=None, n_jobs=None, random_state=0)
    assert lld.top_db == aft.top_db and lld.sr == aft.sr


def test_sequence_output_shapes_and_names(wav_dir):
    aft = small().fit(wav_dir)
    X = aft.transform(wav_dir)
    assert X.shape == (6, aft.n_frames_, 15)
    assert X.dtype == np.float32
    assert aft.n_frames_ == 1 + 8000 // 512
    names = aft.get_feature_names_out()
    assert len(names) == X.shape[-1]
    assert names[:3].tolist() == ["zcr", "rms", "mfcc_0"]


def test_fit_transform_adds_views_but_transform_never_augments(wav_dir):
    aft = small(augment=AUGMENT, random_state=0)
    train = aft.fit_transform(wav_dir)
    test = aft.transform(wav_dir)
    assert train.shape == (6, 1 + len(AUGMENT), aft.n_frames_, 15)
    assert aft.n_views_ == 6
    assert aft.augmentations_ == list(AUGMENT)
    assert test.shape == (6, aft.n_frames_, 15)
    # view 0 is the clean clip, identical to what transform gives
    np.testing.assert_allclose(train[:, 0], test, rtol=1e-5, atol=1e-5)
    for v in range(1, 6):
        assert not np.allclose(train[:, v], test), f"view {v} is not augmented"


def test_without_augment_fit_transform_equals_transform(wav_dir):
    aft = small()
    np.testing.assert_array_equal(aft.fit_transform(wav_dir), aft.transform(wav_dir))


def test_augmentation_is_reproducible_with_random_state(wav_dir):
    a = small(augment=AUGMENT, random_state=3).fit_transform(wav_dir)
    b = small(augment=AUGMENT, random_state=3).fit_transform(wav_dir)
    c = small(augment=AUGMENT, random_state=4).fit_transform(wav_dir)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[:, 1:], c[:, 1:])


def test_views_follow_the_clip_not_its_position(wav_dir):
    # cross-validation hands each fold its clips in another order and company: a clip's
    # views must not change with them, or no two folds train on the same augmented clip
    order = [4, 0, 5, 2]
    aft = small(augment=AUGMENT, random_state=0)
    whole = aft.fit_transform(wav_dir)
    subset = aft.fit_transform([wav_dir[i] for i in order])
    np.testing.assert_array_equal(subset, whole[order])
    # a waveform is the same clip whatever container or float width carries its samples
    waves = [sf.read(p, dtype="float32")[0] for p in wav_dir[:3]]
    wave_aft = small(augment=AUGMENT, random_state=0, input_sr=22050)
    np.testing.assert_array_equal(
        wave_aft.fit_transform([w.astype(np.float64).tolist() for w in waves[::-1]]),
        wave_aft.fit_transform(waves)[::-1])
    # a RandomState instance advances: each call draws new views
    rs = np.random.RandomState(0)
    first = small(augment=AUGMENT, random_state=rs).fit_transform(wav_dir[:2])
    second = small(augment=AUGMENT, random_state=rs).fit_transform(wav_dir[:2])
    np.testing.assert_array_equal(first[:, 0], second[:, 0])
    assert not np.array_equal(first[:, 1:], second[:, 1:])


def test_parallel_equals_sequential(wav_dir):
    a = small(augment=("noise", "shift"), random_state=0).fit_transform(wav_dir)
    b = small(augment=("noise", "shift"), random_state=0, n_jobs=2).fit_transform(wav_dir)
    # worker processes may use another BLAS thread count: equal up to float32 rounding
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_paths_waveforms_and_2d_arrays_agree(wav_dir):
    waves = [sf.read(p, dtype="float32")[0] for p in wav_dir]
    from_paths = small().fit_transform(wav_dir)
    from_list = small(input_sr=22050).fit_transform(waves)
    from_2d = small(input_sr=22050).fit_transform(np.stack(waves))
    np.testing.assert_allclose(from_list, from_paths, atol=1e-4)
    np.testing.assert_allclose(from_2d, from_paths, atol=1e-4)


def test_pandas_series_and_pathlib_inputs(wav_dir):
    import pathlib

    import pandas as pd

    expected = small().fit_transform(wav_dir)
    np.testing.assert_array_equal(small().fit_transform(pd.Series(wav_dir)), expected)
    np.testing.assert_array_equal(
        small().fit_transform([pathlib.Path(p) for p in wav_dir]), expected
    )


def test_stats_output_for_classical_estimators(wav_dir):
    aft = small(output="stats")
    X = aft.fit_transform(wav_dir)
    assert X.shape == (6, 30)
    names = aft.get_feature_names_out()
    assert names[0] == "zcr_mean" and names[15] == "zcr_std"
    seq = small().fit_transform(wav_dir)
    np.testing.assert_allclose(X[:, :15], seq.mean(axis=1), rtol=1e-5, atol=1e-5)


def test_stats_output_allows_variable_duration(wav_dir):
    X = small(output="stats", duration=None).fit_transform(wav_dir)
    assert X.shape == (6, 30)


@pytest.fixture
def clip_calls(monkeypatch):
    """The clips whose features were computed (not served from a cache), in call order."""
    import sklearn_ser.transformers.audio_features as mod

    calls = []
    real = mod.clip_features

    def counting(source, config, seed):
        calls.append(source.value)
        return real(source, config, seed)

    # joblib.Memory names the cache after the function: keep the real one's name
    counting.__module__ = real.__module__
    counting.__qualname__ = real.__qualname__
    monkeypatch.setattr(mod, "clip_features", counting)
    return calls


def test_memory_caches_per_clip_and_sees_file_changes(wav_dir, tmp_path, clip_calls):
    cache = tmp_path / "cache"
    calls = clip_calls

    first = small(memory=str(cache)).fit_transform(wav_dir)
    assert len(calls) == 6
    second = small(memory=str(cache)).fit_transform(wav_dir)
    assert len(calls) == 6, "second run should be served from the cache"
    np.testing.assert_array_equal(first, second)

    sf.write(wav_dir[0], np.zeros(1000), 22050)  # edit one file: only it is recomputed
    third = small(memory=str(cache)).fit_transform(wav_dir)
    assert len(calls) == 7
    assert not np.array_equal(third[0], first[0])
    small(memory=str(cache), n_mfcc=12).fit_transform(wav_dir)  # new params: all recomputed
    assert len(calls) == 13


def test_memory_computes_augmented_views_once_across_folds(wav_dir, tmp_path, clip_calls):
    aft = small(augment=AUGMENT, random_state=0, memory=str(tmp_path / "cache"))
    folds = [train for train, _ in KFold(3).split(wav_dir)]
    views = [aft.fit_transform([wav_dir[i] for i in train]) for train in folds]
    # each training fold holds 4 of the 6 clips: every clip's views are computed once
    assert sorted(clip_calls) == sorted(wav_dir)
    for train, X in zip(folds, views):
        np.testing.assert_array_equal(X, small(augment=AUGMENT, random_state=0)
                                      .fit_transform(wav_dir)[train])


def test_verbose_shows_a_progress_bar(wav_dir, capsys):
    small(verbose=1).fit_transform(wav_dir)
    assert "audio features" in capsys.readouterr().err


def test_real_silence_and_short_clips_are_kept(tmp_path):
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(4000), 16000)
    blip = tmp_path / "blip.wav"
    sf.write(blip, np.ones(10) * 0.5, 16000)
    X = small().fit_transform([str(silent), str(blip)])
    assert X.shape[0] == 2
    assert np.all(np.isfinite(X))


# --- errors that name the file, the row or the parameter ---------------------------------


def test_missing_file_error_names_it_and_its_row(wav_dir, tmp_path):
    X = [*wav_dir, str(tmp_path / "gone.wav")]
    with pytest.raises(FileNotFoundError, match=r"gone\.wav.*X\[6\].*does not exist"):
        small().fit_transform(X)


def test_unreadable_and_empty_files_are_named(wav_dir, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF....WAVEfmt garbage")
    empty = tmp_path / "empty.flac"
    sf.write(empty, np.zeros(0), 16000, format="FLAC")
    aft = small().fit(wav_dir)
    with pytest.raises(AudioInputError, match=r"broken\.wav.*cannot be decoded"):
        aft.transform([*wav_dir, str(bad)])
    with pytest.raises(AudioInputError, match=r"empty\.flac.*empty"):
        aft.transform([str(empty)])


def test_unreadable_file_is_named_from_a_parallel_worker(wav_dir, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio")
    with pytest.raises(AudioInputError, match=r"broken\.wav.*cannot be decoded"):
        small(n_jobs=2).fit_transform([*wav_dir, str(bad)])


def test_non_finite_waveform_names_its_row(rng):
    waves = [rng.standard_normal(800) for _ in range(3)]
    waves[2][5] = np.nan
    with pytest.raises(AudioInputError, match=r"X\[2\].*NaN or infinite"):
        small().fit_transform(waves)


@pytest.mark.parametrize(
    ("X", "message"),
    [
        ("one.wav", "not a single path"),
        (np.zeros(100), "1-D numeric array.*Reshape your data"),
        (np.zeros((2, 3, 4)), "dim 3"),
        ([], "holds no clips"),
        ([b"one.wav"], r"X\[0\] is bytes"),
        (42, "sequence of paths or waveforms"),
        (np.zeros((0, 100)), "0 sample"),
    ],
)
def test_malformed_X_is_rejected_with_reason(X, message):
    with pytest.raises(ValueError, match=message):
        small().fit(X)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"features": ("mfcc", "loudness")}, r"'features' names unknown features \['loudness'\]"),
        ({"augment": ("noise", "warp")}, "'augment' names an unknown augmentation 'warp'"),
        ({"augment": ("noise",), "output": "stats"}, "'augment' needs output='sequence'"),
        ({"duration": None}, "'duration' is None"),
        ({"n_mfcc": 80, "n_mels": 40}, r"'n_mfcc' \(80\) cannot exceed 'n_mels' \(40\)"),
        ({"sr": 0}, "'sr' parameter"),
        ({"output": "frames"}, "'output' parameter"),
        ({"top_db": -5}, "'top_db' parameter"),
    ],
)
def test_bad_parameters_are_named_at_fit(wav_dir, params, message):
    aft = small(**params)  # __init__ stores only: the error comes at fit
    with pytest.raises(ValueError, match=message):
        aft.fit(wav_dir)


def test_2d_table_keeps_its_width_but_lists_take_any_length(rng):
    aft = small().fit(rng.standard_normal((3, 800)))
    assert aft.n_features_in_ == 800
    with pytest.raises(ValueError, match="X has 400 features"):
        aft.transform(rng.standard_normal((2, 400)))
    assert aft.transform([rng.standard_normal(400), rng.standard_normal(900)]).shape[0] == 2
    aft.fit([rng.standard_normal(400)])
    assert not hasattr(aft, "n_features_in_")


def test_transform_before_fit_raises(wav_dir):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        small().transform(wav_dir)


# --- scikit-learn citizenship ---------------------------------------------------------------


def test_clone_and_pickle_round_trip(wav_dir, tmp_path):
    aft = small(augment=(("noise", {"snr_db": (5, 10)}), "shift"), random_state=0)
    cloned = clone(aft)
    assert cloned.get_params() == aft.get_params()
    fitted = aft.fit(wav_dir)
    path = tmp_path / "aft.joblib"
    joblib.dump(fitted, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.transform(wav_dir), fitted.transform(wav_dir))
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(fitted)).fit_transform(wav_dir), fitted.fit_transform(wav_dir)
    )


def test_loaded_in_a_fresh_process_gives_identical_features(wav_dir, tmp_path):
    aft = small().fit(wav_dir)
    model, out = tmp_path / "aft.joblib", tmp_path / "feats.npy"
    joblib.dump(aft, model)
    code = (
        "import joblib, numpy as np, sys; "
        f"np.save({str(out)!r}, joblib.load({str(model)!r}).transform({wav_dir!r}))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    np.testing.assert_array_equal(np.load(out), aft.transform(wav_dir))


def test_built_in_extraction_imports_neither_librosa_nor_scipy_signal():
    # every parallel worker imports what the clip path needs; librosa and scipy.signal add
    # ~0.5 s and ~1 s of CPU to each worker's start-up, and no built-in step needs them
    code = (
        "import sys, numpy as np; from sklearn_ser import AudioFeatureTransformer; "
        "X = [np.random.default_rng(0).standard_normal(9000)]; "
        "AudioFeatureTransformer(duration=0.5, features=('zcr', 'rms', 'mfcc', 'delta', "
        "'delta2', 'mel', 'spectral_centroid'), augment=('noise', 'stretch_pitch', 'shift', "
        "'echo', 'reverb'), random_state=0).fit_transform(X); "
        "assert 'librosa' not in sys.modules, 'librosa was imported'; "
        "assert 'scipy.signal' not in sys.modules, 'scipy.signal was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_extraction_runs_blas_single_threaded_and_restores_it(rng):
    from threadpoolctl import threadpool_info, threadpool_limits

    from sklearn_ser.frontend.features import FEATURES, register_feature

    seen = []

    def spy(ctx):
        seen.extend(blas_threads())
        return np.zeros((*ctx.y.shape[:-1], 1, ctx.mfcc.shape[-1]), dtype=np.float32)

    def blas_threads():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    register_feature("blas_spy", spy, ["blas_spy"])
    try:
        with threadpool_limits(limits=2, user_api="blas"):
            before = blas_threads()
            small(features=("mfcc", "blas_spy")).fit_transform([rng.standard_normal(8000)])
            after = blas_threads()
    finally:
        del FEATURES["blas_spy"]
    assert seen and set(seen) == {1}
    assert after == before


def test_gc_is_frozen_in_worker_processes_only(wav_dir):
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import sklearn_ser.frontend.clip as mod

    frozen = gc.get_freeze_count()
    small(n_jobs=1).fit_transform(wav_dir)
    assert gc.get_freeze_count() == frozen, "the user's process must be left alone"
    # one worker runs both calls in turn
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as worker:
        assert worker.submit(gc.get_freeze_count).result() == 0
        worker.submit(mod._freeze_imports_in_worker).result()
        assert worker.submit(gc.get_freeze_count).result() > 0


def test_worker_imports_neither_scikit_learn_nor_pandas():
    # what a joblib worker imports to run one clip: start-up cost of every n_jobs > 1 call
    code = ("import sys, sklearn_ser, sklearn_ser.frontend.clip; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'sklearn', 'pandas', 'tensorflow', 'keras', 'librosa'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


class ViewSpy(ClassifierMixin, BaseEstimator):
    """Records the shapes it is fitted and scored on; predicts the majority class."""

    seen: list = []

    def fit(self, X, y):
        ViewSpy.seen.append(("fit", X.shape))
        values, counts = np.unique(y, return_counts=True)
        self.classes_ = values
        self.majority_ = values[np.argmax(counts)]
        return self

    def predict(self, X):
        ViewSpy.seen.append(("predict", X.shape))
        return np.full(len(X), self.majority_)


def test_only_training_folds_are_augmented_in_cross_validation(wav_dir):
    ViewSpy.seen = []
    y = np.array(["a", "b"] * 3)
    pipe = Pipeline([("features", small(augment=("noise", "shift"), random_state=0)),
                     ("clf", ViewSpy())])
    cross_validate(pipe, wav_dir, y, cv=KFold(3))
    fits = [shape for kind, shape in ViewSpy.seen if kind == "fit"]
    predicts = [shape for kind, shape in ViewSpy.seen if kind == "predict"]
    assert len(fits) == 3 and all(len(s) == 4 and s[:2] == (4, 3) for s in fits)
    assert predicts and all(len(s) == 3 and s[0] == 2 for s in predicts)


def test_grid_search_over_feature_parameters_with_a_classical_estimator(wav_dir):
    y = np.array(["low", "low", "low", "high", "high", "high"])
    pipe = Pipeline([("features", small(output="stats")), ("svc", SVC())])
    search = GridSearchCV(pipe, {"features__n_mfcc": [5, 13]}, cv=KFold(2, shuffle=True,
                                                                      random_state=0))
    search.fit(wav_dir, y)
    assert search.best_params_["features__n_mfcc"] in (5, 13)
    assert search.predict(wav_dir).shape == (6,)


@pytest.mark.data
def test_real_emodb_clips(emodb_paths):
    paths = emodb_paths[:12]
    aft = AudioFeatureTransformer(augment=AUGMENT, random_state=0, n_jobs=2)
    train = aft.fit_transform(paths)
    test = aft.transform(paths)
    assert train.shape == (12, 6, aft.n_frames_, len(aft.get_feature_names_out()))
    assert test.shape == (12, aft.n_frames_, train.shape[-1])
    assert np.all(np.isfinite(train))
    np.testing.assert_allclose(train[:, 0], test, rtol=1e-5, atol=1e-5)


def test_pad_mode_wrap_repeats_short_clips_instead_of_padding_silence():
    tone = [np.sin(2 * np.pi * 440 * np.arange(4000) / 16000).astype(np.float32)]
    wrapped = AudioFeatureTransformer(duration=1.0, top_db=None,
                                      pad_mode="wrap").fit_transform(tone)[0]
    silent = AudioFeatureTransformer(duration=1.0, top_db=None,
                                     pad_mode="constant").fit_transform(tone)[0]
    # the tone fills 8 of 32 frames; after it, silence sits at the log-mel floor
    np.testing.assert_allclose(silent[12:], np.broadcast_to(silent[-1], silent[12:].shape))
    assert silent[12:, 10].max() < wrapped[12:20, 10].min() - 20  # 440 Hz band: silence vs tone
    np.testing.assert_allclose(wrapped[12:20].mean(axis=0), wrapped[2:6].mean(axis=0),
                               atol=1.0)
    with pytest.raises(ValueError, match="pad_mode"):
        AudioFeatureTransformer(pad_mode="reflect").fit(tone)


def spectral_peak_bin(ctx):
    """A custom feature at module level, so that it pickles to worker processes."""
    return np.argmax(ctx.power, axis=-2)[..., np.newaxis, :].astype(np.float32)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_registered_custom_feature_works_in_parallel_workers(wav_dir, n_jobs):
    # workers never see the main process's registry: they receive the feature objects
    from sklearn_ser.frontend.features import FEATURES, register_feature

    register_feature("peak_bin", spectral_peak_bin, ["peak_bin"])
    try:
        X = small(features=("rms", "peak_bin"), n_jobs=n_jobs).fit_transform(wav_dir)
        serial = small(features=("rms", "peak_bin"), n_jobs=1).fit_transform(wav_dir)
    finally:
        del FEATURES["peak_bin"]
    assert X.shape == (6, small().fit(wav_dir).n_frames_, 2)
    np.testing.assert_array_equal(X, serial)
    assert np.ptp(X[..., 1]) > 0  # the tones of different pitch peak in different bins


@pytest.mark.parametrize("augment, message", [
    ([("noise", {"snr": 10})], r"'noise' has no parameter \['snr'\]"),
    ([("echo", {"decay": (0.5, 2.0)})], r"'echo': parameter 'decay' must be in \[0, 1\]"),
    ([("reverb", {"rt60": 600})], r"'reverb': parameter 'rt60' must be in \(0, 10\]"),
    ([("stretch_pitch", {"rate": (1.2, 0.8)})], r"'rate' has low > high"),
    ([("shift", {"seconds": "far"})], r"'seconds' must be a number or a \(low, high\) pair"),
    ([("noise", {"noise_files": ["missing.wav"]})], r"missing\.wav.*does not exist"),
])
def test_augmentation_parameters_are_validated_in_fit(augment, message):
    clips = [np.zeros(8000)]
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        small(augment=augment).fit(clips)  # fit, before any clip reaches a worker


def test_custom_augmentation_parameters_are_checked_against_its_signature():
    def louder(y, sr, rng, gain=2.0):
        return gain * y

    clips = [np.ones(8000)]
    X = small(augment=[(louder, {"gain": 3.0})], random_state=0).fit_transform(clips)
    assert X.shape[1] == 2
    with pytest.raises(ValueError, match=r"'louder' has no parameter \['gian'\]"):
        small(augment=[(louder, {"gian": 3.0})]).fit(clips)


def test_mel_top_db_sets_the_floor_of_each_views_log_mel(wav_dir):
    wide = small(features=("mel",), duration=1.0, augment=("noise",), random_state=0)
    narrow = clone(wide).set_params(mel_top_db=20.0)
    X_wide, X_narrow = wide.fit_transform(wav_dir), narrow.fit_transform(wav_dir)
    peak = X_narrow.max(axis=(-2, -1), keepdims=True)
    # every view's own floor: the clean clip and its noisy view are floored separately
    assert np.all(X_narrow >= peak - 20.0 - 1e-4)
    assert np.all(np.isclose(X_narrow, peak - 20.0, atol=1e-4).any(axis=(-2, -1)))
    # above the floor nothing changes: the floor is the only difference
    np.testing.assert_array_equal(X_narrow, np.maximum(X_wide, peak - 20.0))
    assert X_wide.min() < (peak - 20.0).min()


@pytest.mark.parametrize("value", [0, -10.0, "80"])
def test_mel_top_db_must_be_a_positive_number(wav_dir, value):
    with pytest.raises(ValueError, match="'mel_top_db' parameter of AudioFeatureTransformer"):
        small(mel_top_db=value).fit(wav_dir)
