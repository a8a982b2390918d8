"""Sliding-window analysis of long recordings (sklearn_ser.windows), without TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.windows import analyse_recording, audio_transformer, window_bounds

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
    with pytest.raises(TypeError, match="first step is an AudioFeatureTransformer"):
        audio_transformer(model)
    with pytest.raises(TypeError, match="AudioFeatureTransformer"):
        analyse_recording(LogisticRegression(), np.zeros(100))


def test_missing_file_is_named(tone_vs_noise, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.wav"):
        analyse_recording(tone_vs_noise, tmp_path / "nope.wav")
