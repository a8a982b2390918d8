"""OpenSmileTransformer: openSMILE's feature sets through the library's audio front end."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.frontend.condition import trim_silence
from sklearn_ser.frontend.decode import AudioInputError, resample

opensmile = pytest.importorskip("opensmile")

import sklearn_ser.frontend.smile_clip as smile_worker  # noqa: E402
from sklearn_ser import OpenSmileTransformer  # noqa: E402
from sklearn_ser.transformers.smile import make_functionals_pipeline  # noqa: E402

SR = 16000


@pytest.fixture
def wav_22k(tmp_path, tone, rng):
    """A 16-bit mono WAV at 22.05 kHz: a voiced tone in light noise, silence around it."""
    voiced = tone(160, 0.9, sr=22050)
    y = np.concatenate([np.zeros(4410), voiced, np.zeros(2205)])
    y = y + 0.003 * rng.standard_normal(y.size)
    path = tmp_path / "voiced.wav"
    sf.write(path, y, 22050, subtype="PCM_16")
    return str(path)


def reference(path_or_signal, feature_set="eGeMAPSv02", level="Functionals", sr=None):
    smile = opensmile.Smile(feature_set=feature_set, feature_level=level)
    if sr is None:
        return smile.process_file(path_or_signal)
    return smile.process_signal(path_or_signal, sr)


@pytest.mark.parametrize("feature_set", ["eGeMAPSv02", "ComParE_2016"])
def test_functionals_equal_opensmile_process_file(wav_22k, feature_set):
    ref = reference(wav_22k, feature_set)
    smile = OpenSmileTransformer(feature_set).fit([wav_22k])
    X = smile.transform([wav_22k])
    assert X.shape == (1, ref.shape[1]) and X.dtype == np.float32
    np.testing.assert_array_equal(X[0], ref.to_numpy()[0])
    assert smile.get_feature_names_out().tolist() == list(ref.columns)
    assert smile.n_frames_ is None


def test_lld_sequences_have_the_probed_frame_count_at_any_rate(wav_22k, tone):
    smile = OpenSmileTransformer(level="lld", duration=1.0, input_sr=SR)
    X = smile.fit_transform([wav_22k, tone(200, 0.4, sr=SR), tone(120, 2.5, sr=SR)])
    assert smile.n_frames_ == 96  # 10 ms hop over 1 s, minus openSMILE's 60 ms window
    assert X.shape == (3, 96, 25) and X.dtype == np.float32
    names = smile.get_feature_names_out()
    assert names.tolist() == list(reference(wav_22k, level="LowLevelDescriptors").columns)
    # the 16 kHz waveform padded to 1 s is exactly openSMILE's LLDs of that signal
    padded = np.concatenate([tone(200, 0.4, sr=SR), np.zeros(SR - int(0.4 * SR), np.float32)])
    np.testing.assert_array_equal(
        X[1], reference(padded, level="LowLevelDescriptors", sr=SR).to_numpy())


def test_lld_deltas_of_compare(tone):
    smile = OpenSmileTransformer("ComParE_2016", level="lld_deltas", duration=0.5, input_sr=SR)
    assert smile.fit_transform([tone(150, 0.5)]).shape == (1, smile.n_frames_, 65)


def test_waveforms_and_tables_give_what_the_signal_gives(tone):
    y = tone(180, 1.0)
    ref = reference(y, sr=SR).to_numpy()[0]
    from_list = OpenSmileTransformer(input_sr=SR).fit_transform([y, y])
    from_table = OpenSmileTransformer(sr=SR).fit_transform(np.stack([y, y]))
    np.testing.assert_array_equal(from_list, np.stack([ref, ref]))
    np.testing.assert_array_equal(from_table, from_list)


def test_sr_resamples_before_opensmile(wav_22k):
    y, _ = sf.read(wav_22k, dtype="float32")
    ref = reference(resample(y, 22050, SR), sr=SR).to_numpy()[0]
    np.testing.assert_array_equal(OpenSmileTransformer(sr=SR).fit_transform([wav_22k])[0], ref)


def test_trimming_and_normalisation_are_options(wav_22k):
    y, _ = sf.read(wav_22k, dtype="float32")
    trimmed = OpenSmileTransformer(top_db=30).fit_transform([wav_22k])[0]
    np.testing.assert_array_equal(trimmed, reference(trim_silence(y, 30), sr=22050).to_numpy()[0])
    default = OpenSmileTransformer().fit_transform([wav_22k])[0]
    assert not np.array_equal(trimmed, default)
    # normalising changes the level (loudness features), not the pitch
    loud = OpenSmileTransformer(normalize=True).fit([wav_22k])
    names = loud.get_feature_names_out().tolist()
    normalised = loud.transform([wav_22k])[0]
    f0, level = names.index("F0semitoneFrom27.5Hz_sma3nz_amean"), names.index("loudness_sma3_amean")
    assert normalised[f0] == pytest.approx(default[f0], abs=0.5)
    assert normalised[level] > 1.5 * default[level]


def test_waveform_far_beyond_full_scale_is_refused_unless_normalised(tone):
    loud = 5.0 * tone(150, 0.5)  # peak 2.5
    with pytest.raises(AudioInputError, match=r"X\[1\] peaks at 2\.5, far beyond.*normalize"):
        OpenSmileTransformer(input_sr=SR).fit_transform([tone(150, 0.5), loud])
    X = OpenSmileTransformer(input_sr=SR, normalize=True).fit_transform([loud])
    assert np.isfinite(X).all()


def test_overshoot_is_saturated_not_wrapped_around():
    # decoded Opus/MP3 overshoots full scale; the wrapper casts y * 32768 to int16, where
    # +1.0 and beyond wrap around to the opposite sign: samples are saturated instead
    y = 1.02 * np.sin(2 * np.pi * 250 * np.arange(SR) / SR).astype(np.float32)
    X = OpenSmileTransformer(input_sr=SR).fit_transform([y])[0]
    saturated = np.clip(y, -1.0, 32767 / 32768)
    np.testing.assert_array_equal(X, reference(saturated, sr=SR).to_numpy()[0])
    assert not np.allclose(X, reference(y, sr=SR).to_numpy()[0], rtol=1e-3)


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        ("clip.wav", AudioInputError, "not a single path"),
        (np.zeros(100), AudioInputError, "1-D numeric array"),
        ([b"clip.wav"], AudioInputError, r"X\[0\] is bytes"),
        ([], AudioInputError, "holds no clips"),
        (["/nonexistent/gone.wav"], FileNotFoundError, r"gone\.wav.*X\[0\].*does not exist"),
    ],
)
def test_input_errors_are_those_of_audio_feature_transformer(X, error, message):
    for estimator in (OpenSmileTransformer(sr=SR), AudioFeatureTransformer()):
        with pytest.raises(error, match=message):
            estimator.fit(X)


def test_undecodable_file_is_named(tmp_path, wav_22k):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really audio")
    with pytest.raises(AudioInputError, match=r"broken\.wav"):
        OpenSmileTransformer().fit_transform([wav_22k, str(broken)])


def test_waveforms_without_a_rate_are_refused(tone):
    with pytest.raises(ValueError, match="input_sr"):
        OpenSmileTransformer().fit([tone(150, 0.5)])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"feature_set": "eGeMAPS_v99"}, r"'feature_set' is 'eGeMAPS_v99'.*ComParE_2016"),
        ({"level": "lld"}, r"level'='lld'.*set 'duration'"),
        ({"augment": ["noise"]}, r"'augment' needs level='lld'"),
        ({"level": "lld_deltas", "duration": 1.0}, r"'feature_set' and 'level'.*not available"),
        ({"level": "frames"}, r"'level' parameter"),
        ({"sr": 100}, r"'sr' parameter"),
    ],
)
def test_bad_parameters_are_named_in_fit(tone, params, message):
    smile = OpenSmileTransformer(input_sr=SR, **params)  # constructing never fails
    with pytest.raises(ValueError, match=message):
        smile.fit([tone(150, 0.5)])


def test_clip_too_short_for_opensmile_is_named(tone):
    with pytest.raises(AudioInputError, match=r"X\[1\] is too short.*0\.030 s.*'duration'"):
        OpenSmileTransformer(input_sr=SR).fit_transform([tone(150, 0.5), tone(150, 0.03)])
    padded = OpenSmileTransformer(input_sr=SR, duration=0.5).fit_transform([tone(150, 0.03)])
    assert np.isfinite(padded).all()


def test_lld_augmented_views_only_in_fit_transform(wav_22k, tone):
    X = [wav_22k, tone(150, 0.7, sr=SR)]
    params = dict(level="lld", duration=0.8, input_sr=SR, augment=["noise", "shift"])
    smile = OpenSmileTransformer(**params, random_state=0)
    train = smile.fit_transform(X)
    assert train.shape == (2, 3, smile.n_frames_, 25) and smile.n_views_ == 3
    assert smile.augmentations_ == ["noise", "shift"]
    test = smile.transform(X)
    np.testing.assert_array_equal(train[:, 0], test)
    assert not np.allclose(train[:, 1], test)
    np.testing.assert_array_equal(OpenSmileTransformer(**params, random_state=0).fit_transform(X),
                                  train)


def test_parallel_workers_build_their_own_smile(wav_22k, tone):
    X = [wav_22k, tone(150, 0.7, sr=SR), tone(230, 0.5, sr=SR)]
    serial = OpenSmileTransformer(sr=SR).fit_transform(X)
    parallel = OpenSmileTransformer(sr=SR, n_jobs=2).fit_transform(X)
    np.testing.assert_array_equal(serial, parallel)


def test_memory_cache_is_keyed_on_file_content(tmp_path, tone):
    path = tmp_path / "clip.wav"
    sf.write(path, tone(150, 0.6), SR, subtype="PCM_16")
    smile = OpenSmileTransformer(memory=str(tmp_path / "cache"))
    first = smile.fit_transform([str(path)])
    np.testing.assert_array_equal(smile.transform([str(path)]), first)
    sf.write(path, tone(260, 0.6), SR, subtype="PCM_16")  # same name, same size
    assert not np.array_equal(smile.transform([str(path)]), first)


def test_missing_opensmile_gives_the_extra_to_install(monkeypatch, tone):
    monkeypatch.setitem(sys.modules, "opensmile", None)
    monkeypatch.setattr(smile_worker, "_SMILES", {})
    with pytest.raises(ImportError, match=r"pip install sklearn-ser\[opensmile\]"):
        OpenSmileTransformer(input_sr=SR).fit([tone(150, 0.5)])


def test_importing_the_package_does_not_import_opensmile():
    code = ("import sys, sklearn_ser; sklearn_ser.OpenSmileTransformer(); "
            "print('opensmile' in sys.modules, 'sklearn_ser.transformers.smile' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_in_a_speaker_independent_pipeline(tone, rng):
    # two "emotions" told apart by pitch, three speakers: a classical head learns it
    waves, y, groups = [], [], []
    for speaker in range(3):
        for label, f0 in (("low", 110), ("high", 260)):
            for k in range(3):
                waves.append(tone(f0 * (1 + 0.05 * speaker) + 5 * k, 0.5) * 0.6)
                y.append(label)
                groups.append(speaker)
    pipe = make_pipeline(OpenSmileTransformer(input_sr=SR), StandardScaler(),
                         LogisticRegression(C=0.1))
    scores = cross_val_score(pipe, waves, y, groups=groups, cv=GroupKFold(3))
    assert scores.mean() == 1.0
    assert clone(pipe).get_params()["opensmiletransformer__feature_set"] == "eGeMAPSv02"
    # the library's own anchor is the same pipeline, built in one place
    anchor = make_functionals_pipeline(input_sr=SR)
    assert [name for name, _ in anchor.steps] == ["features", "scale", "clf"]
    assert cross_val_score(anchor, waves, y, groups=groups, cv=GroupKFold(3)).mean() == 1.0


@parametrize_with_checks(
    # the checks' tables are waveforms with values beyond [-1, 1]: normalised, padded to 0.2 s
    [OpenSmileTransformer(input_sr=SR, duration=0.2, normalize=True)],
)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


@pytest.mark.data
def test_emodb_clips_equal_process_file(emodb_paths):
    paths = emodb_paths[:3]
    ref = opensmile.Smile(feature_set="eGeMAPSv02").process_files(paths).to_numpy()
    np.testing.assert_array_equal(OpenSmileTransformer().fit_transform(paths), ref)


def test_works_after_tensorflow_was_imported(tmp_path):
    # openSMILE's library, loaded after TensorFlow's, crashed the process in process_signal
    script = textwrap.dedent("""
        import tensorflow
        import numpy as np
        from sklearn_ser import OpenSmileTransformer
        wave = np.random.default_rng(0).normal(size=16000).astype("float32") * 0.1
        for level in ("functionals", "lld"):
            out = OpenSmileTransformer("eGeMAPSv02", level=level, duration=1.0,
                                       input_sr=16000).fit_transform([wave])
            assert np.isfinite(out).all(), level
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]
