"""Sliding-window analysis of long recordings (sklearn_ser.inference), without TensorFlow."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import soundfile as sf
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.frontend import stream as _window_stream
from sklearn_ser.frontend.decode import AudioInputError, load_audio, resample
from sklearn_ser.frontend.stream import Windower, resampled
from sklearn_ser.inference import _windows as windows
from sklearn_ser.inference import (
    analyse_recording,
    audio_transformer,
    window_bounds,
    window_rate,
)

SR = 16000


@pytest.mark.parametrize("n, window, hop", [(10, 4, 2), (11, 4, 3), (100, 30, 30),
                                            (100, 30, 7), (31, 30, 15), (5, 5, 1)])
def test_window_bounds_cover_the_recording(n, window, hop):
    bounds = window_bounds(n, window, hop)
    assert bounds[0, 0] == 0 and bounds[-1, 1] == n
    assert np.all(bounds[:, 1] - bounds[:, 0] == window)
    assert np.all(np.diff(bounds[:, 0]) > 0)
    assert np.all(np.diff(bounds[:, 0]) <= hop)  # no gap: every sample is analysed
    covered = np.zeros(n, dtype=bool)
    for start, stop in bounds:
        covered[start:stop] = True
    assert covered.all()


def test_window_bounds_short_recording_is_one_window():
    assert window_bounds(7, 10, 5).tolist() == [[0, 7]]


@pytest.mark.parametrize("kwargs, name", [({"n_samples": 0}, "n_samples"),
                                          ({"window": 0}, "window"), ({"hop": 1.5}, "hop")])
def test_window_bounds_rejects_bad_sizes(kwargs, name):
    args = {"n_samples": 10, "window": 4, "hop": 2, **kwargs}
    with pytest.raises(ValueError, match=name):
        window_bounds(**args)


def _noise(rng, seconds):
    return (0.3 * rng.standard_normal(int(seconds * SR))).astype(np.float32)


@pytest.fixture
def tone_vs_noise(rng, tone):
    """A fast model telling voiced tones ('tone') from white noise ('noise').

    Some training clips are shorter than the 1-s clip length, as in real corpora, so the
    model has seen silence-padded clips of both classes.
    """
    clips, labels = [], []
    for f0, seconds in zip((110, 140, 170, 200, 230, 260), (1.0, 0.7, 1.0, 0.8, 1.0, 0.9)):
        clips.append(tone(f0, seconds))
        labels.append("tone")
        clips.append(_noise(rng, seconds))
        labels.append("noise")
    model = make_pipeline(AudioFeatureTransformer(duration=1.0, top_db=None, output="stats"),
                          StandardScaler(), LogisticRegression())
    return model.fit(clips, labels)


def test_timeline_follows_the_content(tone_vs_noise, tone, rng, tmp_path):
    # 3 s of tone, then 3 s of noise: early windows say tone, late ones noise
    recording = np.concatenate([tone(180, 3.0), _noise(rng, 3.0)])
    path = tmp_path / "long.wav"
    sf.write(path, recording, SR)
    result = analyse_recording(tone_vs_noise, path)
    timeline = result.timeline
    assert result.source == str(path)
    assert result.duration == pytest.approx(6.0)
    assert list(timeline.columns) == ["start", "end", "label", "noise", "tone"]
    assert len(timeline) == len(window_bounds(6 * SR, SR, SR // 2)) == 11
    assert timeline["start"].tolist()[:3] == [0.0, 0.5, 1.0]
    assert np.allclose(timeline["end"] - timeline["start"], 1.0)
    np.testing.assert_allclose(timeline[["noise", "tone"]].sum(axis=1), 1.0)
    pure_tone = timeline["end"] <= 3.0
    pure_noise = timeline["start"] >= 3.0
    assert set(timeline.loc[pure_tone, "label"]) == {"tone"}
    assert set(timeline.loc[pure_noise, "label"]) == {"noise"}
    np.testing.assert_allclose(result.distribution,
                               timeline[["noise", "tone"]].mean(axis=0))
    assert result.label in ("noise", "tone")


def test_short_recording_is_one_clip_prediction(tone_vs_noise, tone):
    clip = tone(150, 0.8)
    result = analyse_recording(tone_vs_noise, clip)
    assert len(result.timeline) == 1
    assert result.timeline.loc[0, "end"] == pytest.approx(0.8)
    np.testing.assert_allclose(result.distribution.to_numpy(),
                               tone_vs_noise.predict_proba([clip])[0])
    assert result.label == "tone"


def test_window_and_hop_options(tone_vs_noise, rng):
    result = analyse_recording(tone_vs_noise, _noise(rng, 4.0), window=0.5, hop=0.25)
    assert len(result.timeline) == len(window_bounds(4 * SR, SR // 2, SR // 4)) == 15
    assert np.allclose(result.timeline["end"] - result.timeline["start"], 0.5)


def test_waveform_at_another_rate_is_resampled(tone_vs_noise, tone):
    y = tone(150, 2.0, sr=8000)
    result = analyse_recording(tone_vs_noise, y, sr=8000)
    assert result.duration == pytest.approx(2.0)
    assert len(result.timeline) == 3


def test_window_longer_than_clip_duration_is_refused(tone_vs_noise, rng):
    with pytest.raises(ValueError, match="exceeds the model's clip duration"):
        analyse_recording(tone_vs_noise, _noise(rng, 3.0), window=2.0)


def test_bad_hop_and_window(tone_vs_noise, rng):
    with pytest.raises(ValueError, match="hop"):
        analyse_recording(tone_vs_noise, _noise(rng, 3.0), hop=0)
    with pytest.raises(ValueError, match="window"):
        analyse_recording(tone_vs_noise, _noise(rng, 3.0), window=-1)


def test_needs_an_audio_pipeline():
    model = make_pipeline(StandardScaler(), LogisticRegression())
    with pytest.raises(TypeError, match=r"front-end transformer .* starting with StandardScaler"):
        audio_transformer(model)
    with pytest.raises(TypeError, match="AudioFeatureTransformer"):
        analyse_recording(LogisticRegression(), np.zeros(100))


def test_any_front_end_with_a_fixed_rate(rng):
    from sklearn_ser import OpenSmileTransformer

    # openSMILE at its defaults reads each file at its own rate: no rate to cut windows at
    model = make_pipeline(OpenSmileTransformer(), LogisticRegression())
    assert isinstance(audio_transformer(model), OpenSmileTransformer)
    with pytest.raises(ValueError, match="'sr' and 'input_sr' are None"):
        analyse_recording(model, _noise(rng, 3.0))
    assert window_rate(OpenSmileTransformer(sr=8000)) == 8000
    assert window_rate(OpenSmileTransformer(input_sr=22050, sr=16000)) == 22050
    # speech-embedding transformers resample to their checkpoint's rate, known once fitted
    embedding = type("Fitted", (), {"input_sr": None, "sampling_rate_": 16000})()
    assert window_rate(embedding) == 16000


def test_windows_through_opensmile_descriptors(tone, rng):
    pytest.importorskip("opensmile")
    from sklearn_ser import OpenSmileTransformer

    clips = [tone(150, 1.0), 0.3 * rng.standard_normal(SR), tone(220, 1.0),
             0.3 * rng.standard_normal(SR)]
    labels = ["tone", "noise", "tone", "noise"]
    smile = OpenSmileTransformer(level="lld", sr=SR, duration=1.0)
    model = make_pipeline(smile, _Flatten(), LogisticRegression()).fit(clips, labels)
    recording = np.concatenate([tone(150, 2.0), 0.3 * rng.standard_normal(2 * SR)])
    result = analyse_recording(model, recording.astype(np.float32))
    assert result.timeline["end"].iloc[-1] == pytest.approx(4.0)
    assert result.timeline["label"].iloc[0] == "tone"
    assert result.timeline["label"].iloc[-1] == "noise"


class _Flatten(StandardScaler):
    """Frames x descriptors flattened, then standardised (a stand-in for a network)."""

    def fit(self, X, y=None):
        return super().fit(np.reshape(X, (len(X), -1)))

    def transform(self, X, copy=None):
        return super().transform(np.reshape(X, (len(X), -1)))


def test_missing_file_is_named(tone_vs_noise, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.wav"):
        analyse_recording(tone_vs_noise, tmp_path / "nope.wav")


# --- streaming: the same windows and probabilities as decoding the recording whole ----------


def _whole_file_analysis(model, y, window, hop):
    """The whole-file path: every window of the decoded recording, classified in one call."""
    bounds = window_bounds(y.size, window, hop)
    return bounds, model.predict_proba([y[start:stop] for start, stop in bounds])


@pytest.mark.parametrize("n, window, hop", [(10, 4, 2), (11, 4, 3), (100, 30, 7), (3, 4, 2),
                                            (4, 4, 2), (100, 10, 25), (97, 97, 5)])
@pytest.mark.parametrize("block", [1, 3, 16, 1000])
def test_windower_cuts_the_windows_of_window_bounds(n, window, hop, block):
    y = np.arange(n, dtype=np.float32)
    windower = Windower(window, hop)
    windows = []
    for start in range(0, n, block):
        windows += windower.push(y[start:start + block])
        # memory: the samples a later window may need, never the recording so far
        assert windower.buffer.size <= window + block
    windows += windower.finish()
    expected = window_bounds(n, window, hop)
    assert [start for start, _ in windows] == expected[:, 0].tolist()
    for (start, clip), (_, stop) in zip(windows, expected):
        np.testing.assert_array_equal(clip, y[start:stop])


@pytest.mark.parametrize("orig_sr", [8000, 22050, 44100])
def test_streamed_resampling_equals_whole_resampling(rng, orig_sr):
    y = rng.standard_normal(orig_sr + 777).astype(np.float32)
    blocks = (y[i:i + 1000] for i in range(0, y.size, 1000))
    streamed = np.concatenate(list(resampled(blocks, orig_sr, SR)))
    np.testing.assert_array_equal(streamed, resample(y, orig_sr, SR))


@pytest.fixture
def recorded(tone_vs_noise, monkeypatch):
    """The model in batches of three windows, the windows its transformer got, the number
    of rows of each final-step call, and the unrecorded model's predict_proba.

    Probabilities are compared to a relative 1e-6: the stand-in classifier's float32 matrix
    product rounds a row differently with the number of rows in a call. The windows
    themselves must be equal sample for sample.
    """
    monkeypatch.setattr(windows, "WINDOW_BATCH", 3)
    predict_proba = copy.deepcopy(tone_vs_noise).predict_proba
    transformer, final = tone_vs_noise[0], tone_vs_noise[-1]
    seen, rows, transform, final_proba = [], [], transformer.transform, final.predict_proba

    def recording_transform(clips):
        assert len(clips) <= 3
        seen.extend(clips)
        return transform(clips)

    def counting_predict_proba(X):
        rows.append(len(X))
        return final_proba(X)

    monkeypatch.setattr(transformer, "transform", recording_transform)
    monkeypatch.setattr(final, "predict_proba", counting_predict_proba)
    return tone_vs_noise, seen, rows, predict_proba


def _check_same_analysis(result, seen, rows, predict_proba, whole, hop):
    bounds = window_bounds(whole.size, SR, hop)
    np.testing.assert_array_equal(result.timeline[["start", "end"]].to_numpy() * SR, bounds)
    assert len(seen) == len(bounds)
    # every call of the final step has the batch's shape (the last batch padded): one trace
    assert rows == [3] * len(rows) and len(rows) == -(-len(bounds) // 3)
    for clip, (start, stop) in zip(seen, bounds):
        np.testing.assert_array_equal(clip, whole[start:stop])
    proba = predict_proba([whole[start:stop] for start, stop in bounds])
    # float32 features of a clip may differ in the last bit with the batch they are computed in
    np.testing.assert_allclose(result.timeline[["noise", "tone"]].to_numpy(), proba, rtol=1e-6,
                               atol=1e-6)
    assert result.duration == whole.size / SR


@pytest.mark.parametrize("file_sr, channels", [(SR, 1), (22050, 2)])
def test_streamed_file_equals_whole_file(recorded, tone, rng, tmp_path, monkeypatch,
                                         file_sr, channels):
    model, seen, rows, predict_proba = recorded
    # tone, noise, tone: 5.3 s in many 0.1-s blocks, and a last window ending at the end
    y = np.concatenate([tone(150, 2.0, sr=file_sr), 0.3 * rng.standard_normal(int(1.5 * file_sr)),
                        tone(220, 1.8, sr=file_sr)]).astype(np.float32)
    if channels == 2:
        y = np.stack([y, 0.5 * y[::-1]], axis=1)
    path = tmp_path / "long.wav"
    sf.write(path, y, file_sr, subtype="FLOAT")
    block, reads = file_sr // 10, []

    def recording_load_audio(*args, **kwargs):
        reads.append(load_audio(*args, **kwargs))
        return reads[-1]

    monkeypatch.setattr(_window_stream, "load_audio", recording_load_audio)
    result = analyse_recording(model, path, hop=0.3, block_size=block)
    assert len(reads) > 50 and max(r.size for r in reads) <= block + 1  # never read whole
    _check_same_analysis(result, seen, rows, predict_proba, load_audio(path, SR), round(0.3 * SR))
    assert set(result.timeline["label"]) == {"tone", "noise"}


def test_streamed_waveform_equals_whole_waveform(recorded, tone):
    model, seen, rows, predict_proba = recorded
    y = np.concatenate([tone(140, 1.7, sr=8000), tone(260, 1.9, sr=8000)])
    result = analyse_recording(model, y, sr=8000, hop=0.25, block_size=777)
    _check_same_analysis(result, seen, rows, predict_proba, resample(y, 8000, SR), SR // 4)


def test_bad_sample_in_a_later_block_names_the_file(tone_vs_noise, tone, tmp_path):
    y = tone(150, 3.0)
    y[int(2.5 * SR)] = np.nan
    path = tmp_path / "broken.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    with pytest.raises(AudioInputError, match=r"broken\.wav.*NaN"):
        analyse_recording(tone_vs_noise, path, block_size=SR // 2)


def test_empty_file_is_named(tone_vs_noise, tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), SR)
    with pytest.raises(AudioInputError, match=r"empty\.wav.*empty"):
        analyse_recording(tone_vs_noise, path)


@pytest.mark.parametrize("block_size", [0, -5, 2.5])
def test_bad_block_size(tone_vs_noise, rng, block_size):
    with pytest.raises(ValueError, match="block_size"):
        analyse_recording(tone_vs_noise, _noise(rng, 2.0), block_size=block_size)


@pytest.mark.parametrize("sr", [0, 10, -16000, "16000", True])
def test_bad_waveform_rate(tone_vs_noise, rng, sr):
    with pytest.raises(ValueError, match="sr must be a sample rate"):
        analyse_recording(tone_vs_noise, _noise(rng, 2.0), sr=sr)


@pytest.mark.parametrize("n_windows", [1, 31, 255, 256, 257, 599, 3599, 10_000])
def test_window_batches_are_equal_and_bounded(n_windows):
    # the analysis classifies the last batch padded to the size of the others: equal batches
    # keep that padding (wasted network work) below one row per batch
    from sklearn_ser.inference._windows import WINDOW_BATCH, _batch_size

    size = _batch_size(n_windows)
    n_batches = -(-n_windows // size)
    assert size <= WINDOW_BATCH
    assert n_windows <= 32 or n_batches * size - n_windows < n_batches


@pytest.mark.parametrize(("n", "window", "hop"), [(10, 4, 2), (11, 4, 3), (3, 4, 2), (4, 4, 1),
                                                   (1000, 37, 11), (16000 * 60, 32000, 16000)])
def test_window_count_without_bounds(n, window, hop):
    from sklearn_ser.inference._windows import _n_windows

    assert _n_windows(n, window, hop) == len(window_bounds(n, window, hop))
