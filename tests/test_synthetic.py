"""Tests of the synthetic emotional speech corpus (the offline demo data)."""

from __future__ import annotations

import doctest

import librosa
import numpy as np
import pytest
import soundfile as sf
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_ser.datasets import EMOTIONS, _voices, synthetic
from sklearn_ser.datasets.synthetic import DEFAULT_EMOTIONS, make_emotional_speech


@pytest.fixture(scope="module")
def default_corpus():
    return make_emotional_speech(random_state=0)


@pytest.fixture(scope="module")
def angry_sad():
    return make_emotional_speech(
        n_speakers=4, n_clips_per_emotion=3, emotions=["angry", "sad"], random_state=1
    )


def small(**kwargs):
    params = dict(n_speakers=2, n_clips_per_emotion=1, duration=1.0, random_state=0)
    params.update(kwargs)
    return make_emotional_speech(**params)


def active_frames(wave, frame_length=1024, hop_length=256):
    """Frames at most 20 dB below the loudest one: the speech, without pauses and silence."""
    rms = librosa.feature.rms(y=wave, frame_length=frame_length, hop_length=hop_length)[0]
    return rms, rms > rms.max() * 0.1


def median_f0(wave, sr):
    f0 = librosa.yin(wave, fmin=60, fmax=600, sr=sr, frame_length=1024, hop_length=256)
    _, active = active_frames(wave)
    n = min(f0.size, active.size)
    return float(np.median(f0[:n][active[:n]]))


def speech_level_db(wave):
    rms, active = active_frames(wave)
    return float(20 * np.log10(np.sqrt(np.mean(rms[active] ** 2))))


def high_band_ratio_db(wave, sr):
    """Energy in 1-5 kHz over 50 Hz-1 kHz in speech frames (alpha ratio: spectral tilt)."""
    power = np.abs(librosa.stft(wave, n_fft=1024, hop_length=256)) ** 2
    _, active = active_frames(wave)
    n = min(power.shape[1], active.size)
    spectrum = power[:, :n][:, active[:n]].sum(axis=1)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=1024)
    high = spectrum[(freqs > 1000) & (freqs < 5000)].sum()
    return float(10 * np.log10(high / spectrum[(freqs > 50) & (freqs < 1000)].sum()))


def test_bunch_fields_are_aligned():
    data = small(n_speakers=3, n_clips_per_emotion=2, emotions=["sad", "angry"])
    n_clips = 3 * 2 * 2
    assert len(data.X) == len(data.y) == len(data.groups) == len(data.frame) == n_clips
    assert all(x.dtype == np.float32 and x.shape == (16000,) for x in data.X)
    assert all(np.isfinite(x).all() and 0 < np.abs(x).max() <= 1.0 for x in data.X)
    assert data.y.dtype == object and data.groups.dtype == object
    assert list(data.y) == ["sad", "sad", "angry", "angry"] * 3  # speaker, emotion, take
    assert list(data.groups) == [f"synth_spk0{i}" for i in (1, 2, 3) for _ in range(4)]
    assert list(data.target_names) == ["angry", "sad"]
    frame = data.frame
    assert list(frame.columns) == ["emotion", "speaker", "gender", "text", "take"]
    np.testing.assert_array_equal(frame["emotion"].to_numpy(), data.y)
    np.testing.assert_array_equal(frame["speaker"].to_numpy(), data.groups)
    assert list(frame["take"]) == [1, 2] * 6
    assert list(frame.drop_duplicates("speaker")["gender"]) == ["female", "male", "female"]
    assert frame.groupby("speaker")["gender"].nunique().eq(1).all()
    assert frame["text"].str.fullmatch(r"t\d\d").all()
    assert "12 clips" in data.DESCR


@pytest.mark.slow
def test_default_corpus_is_a_few_hundred_three_second_clips(default_corpus):
    data = default_corpus
    assert len(data.X) == 288 and data.sr == 16000
    assert {x.shape for x in data.X} == {(48000,)}
    assert list(data.target_names) == sorted(DEFAULT_EMOTIONS)
    assert data.frame.groupby(["speaker", "emotion"]).size().eq(6).all()
    speakers = data.frame.drop_duplicates("speaker")
    assert list(speakers["speaker"]) == [f"synth_spk{i:02d}" for i in range(1, 9)]
    assert speakers["gender"].value_counts().to_dict() == {"female": 4, "male": 4}
    assert data.frame["text"].nunique() == 10


def speaker_independent_baseline(data):
    """Accuracy of MFCC mean/std -> StandardScaler -> SVC under GroupKFold(5) by speaker."""
    features = []
    for wave in data.X:
        mfcc = librosa.feature.mfcc(y=wave, sr=data.sr, n_mfcc=13)
        features.append(np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]))
    clf = make_pipeline(StandardScaler(), SVC())
    return cross_val_score(clf, np.array(features), data.y, groups=data.groups, cv=GroupKFold(5))


def test_baseline_on_unseen_speakers_is_above_chance_and_imperfect():
    data = make_emotional_speech(
        n_speakers=5,
        n_clips_per_emotion=3,
        emotions=["neutral", "happy", "sad", "angry"],
        duration=1.5,
        random_state=0,
    )
    scores = speaker_independent_baseline(data)
    assert 0.25 + 0.2 < scores.mean() < 0.95


@pytest.mark.slow
def test_baseline_on_the_default_corpus_is_in_the_documented_range(default_corpus):
    scores = speaker_independent_baseline(default_corpus)
    # Documented operating point (about 0.75, chance 1/6): clearly learnable, clearly unsolved.
    assert 0.55 < scores.mean() < 0.85
    assert scores.min() < 1.0


def test_same_seed_same_corpus_other_seed_other_corpus():
    a, b, c = small(random_state=3), small(random_state=3), small(random_state=4)
    for x, y in zip(a.X, b.X):
        np.testing.assert_array_equal(x, y)
    assert a.frame.equals(b.frame)
    assert all(not np.allclose(x, z) for x, z in zip(a.X, c.X))


def test_generators_are_accepted_and_reproducible():
    from_generator = [small(random_state=np.random.default_rng(7)) for _ in range(2)]
    from_random_state = [small(random_state=np.random.RandomState(7)) for _ in range(2)]
    for first, second in (from_generator, from_random_state):
        for x, y in zip(first.X, second.X):
            np.testing.assert_array_equal(x, y)
    # A shared generator advances: two draws from it give two different corpora.
    rng = np.random.default_rng(7)
    assert not np.allclose(small(random_state=rng).X[0], small(random_state=rng).X[0])
    # None draws fresh entropy.
    assert not np.allclose(small(random_state=None).X[0], small(random_state=None).X[0])


def test_a_clip_does_not_depend_on_the_rest_of_the_request():
    full = small(n_speakers=3, n_clips_per_emotion=2, emotions=["neutral", "angry", "sad"])
    part = small(n_speakers=2, n_clips_per_emotion=1, emotions=["sad"])
    for i, row in part.frame.iterrows():
        match = full.frame.index[
            (full.frame["speaker"] == row["speaker"])
            & (full.frame["emotion"] == row["emotion"])
            & (full.frame["take"] == row["take"])
        ]
        np.testing.assert_array_equal(part.X[i], full.X[match[0]])


def test_all_nine_emotions_are_supported():
    data = small(emotions=np.array(EMOTIONS), duration=0.8)
    assert len(EMOTIONS) == 9
    assert list(data.y) == list(EMOTIONS) * 2
    assert all(type(label) is str for label in data.y)
    assert set(_voices._PROFILES) == set(EMOTIONS)


def test_emotion_strength_zero_removes_the_emotion_cues(angry_sad):
    # Same speakers and clip seeds as the fixture: only the portrayal strength differs.
    flat = make_emotional_speech(
        n_speakers=4,
        n_clips_per_emotion=3,
        emotions=["angry", "sad"],
        random_state=1,
        emotion_strength=0.0,
    )

    def loudness_gap(data):
        levels = np.array([speech_level_db(x) for x in data.X])
        return levels[data.y == "angry"].mean() - levels[data.y == "sad"].mean()

    assert loudness_gap(angry_sad) > 8.0
    assert abs(loudness_gap(flat)) < 3.0


def test_acoustic_correlates_of_anger_and_sadness(angry_sad):
    data = angry_sad
    frame = data.frame.assign(
        f0=[median_f0(x, data.sr) for x in data.X],
        level=[speech_level_db(x) for x in data.X],
        tilt=[high_band_ratio_db(x, data.sr) for x in data.X],
        # Trimmed length: fast speech ends sooner (same texts, fixed clip length).
        length=[librosa.effects.trim(x, top_db=30)[0].size / data.sr for x in data.X],
    )
    means = frame.groupby(["speaker", "emotion"])[["f0", "level", "tilt", "length"]].mean()
    angry, sad = means.xs("angry", level="emotion"), means.xs("sad", level="emotion")
    # For every speaker anger is higher, louder and spectrally flatter than sadness ...
    assert (angry["f0"] > sad["f0"]).all()
    assert (angry["level"] > sad["level"]).all()
    assert (angry["tilt"] > sad["tilt"]).all()
    # ... and on average clearly so (speakers differ in how strongly they act), and faster.
    assert np.mean(12 * np.log2(angry["f0"] / sad["f0"])) > 3  # semitones
    assert np.mean(angry["level"] - sad["level"]) > 8  # dB
    assert np.mean(angry["tilt"] - sad["tilt"]) > 4  # dB
    assert np.mean(angry["length"] - sad["length"]) < -0.2  # seconds


def test_speakers_differ_in_pitch_by_gender():
    data = small(n_speakers=4, n_clips_per_emotion=3, emotions=["neutral"], duration=2.0)
    f0 = data.frame.assign(f0=[median_f0(x, data.sr) for x in data.X])
    by_speaker = f0.groupby(["speaker", "gender"])["f0"].mean()
    female = by_speaker.xs("female", level="gender")
    male = by_speaker.xs("male", level="gender")
    assert female.min() > male.max() * 2 ** (4 / 12)  # at least 4 semitones apart
    assert 150 < female.mean() < 300 and 80 < male.mean() < 170


def test_speech_is_surrounded_by_silence():
    data = small(n_speakers=2, n_clips_per_emotion=2, emotions=list(EMOTIONS), duration=3.0)
    margin = int(0.05 * data.sr)
    for wave in data.X:
        speech_db = speech_level_db(wave)
        for edge in (wave[:margin], wave[-margin:]):
            assert 20 * np.log10(np.sqrt(np.mean(edge**2))) < speech_db - 35
        _, (start, stop) = librosa.effects.trim(wave, top_db=30)
        assert start > 0 and stop < wave.size


def test_short_clips_and_other_sampling_rates():
    for sr, duration in [(8000, 0.5), (22050, 1.5), (48000, 0.6)]:
        data = small(sr=sr, duration=duration, emotions=["happy", "fear"])
        assert data.sr == sr
        assert all(x.shape == (round(sr * duration),) and np.isfinite(x).all() for x in data.X)
        assert all(np.abs(x).max() > 0.01 for x in data.X)  # speech, not just noise


def test_out_dir_writes_readable_16_bit_wavs(tmp_path):
    out = tmp_path / "new" / "folder"
    written = small(emotions=["angry", "sad"], duration=0.8, out_dir=out)
    in_memory = small(emotions=["angry", "sad"], duration=0.8)
    names = [p.rsplit("/", 1)[-1] for p in written.X]
    assert names == [
        "spk01_angry_001.wav",
        "spk01_sad_001.wav",
        "spk02_angry_001.wav",
        "spk02_sad_001.wav",
    ]
    assert written.frame.columns[0] == "path"
    assert list(written.frame["path"]) == list(written.X)
    for path, wave, emotion, speaker in zip(
        written.X, in_memory.X, written.y, written.groups, strict=True
    ):
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert emotion in path and speaker.removeprefix("synth_") in path
        audio, sr = sf.read(path, dtype="float32")
        assert sr == 16000
        np.testing.assert_allclose(audio, wave, atol=1.5 / 2**15)


def test_file_and_speaker_numbers_widen_for_many_speakers(tmp_path):
    data = small(n_speakers=100, emotions=["calm"], duration=0.5, out_dir=tmp_path)
    assert data.groups[0] == "synth_spk001" and data.groups[-1] == "synth_spk100"
    assert data.X[-1].rsplit("/", 1)[-1] == "spk100_calm_001.wav"
    assert len(list(tmp_path.glob("*.wav"))) == 100


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_speakers": 1}, ValueError, "n_speakers must be at least 2"),
        ({"n_speakers": 2.0}, TypeError, "n_speakers must be an int"),
        ({"n_speakers": True}, TypeError, "n_speakers must be an int"),
        ({"n_clips_per_emotion": 0}, ValueError, "n_clips_per_emotion must be positive"),
        ({"n_clips_per_emotion": -3}, ValueError, "n_clips_per_emotion"),
        ({"emotions": ["angry", "furious"]}, ValueError, r"Unknown emotion name.*'furious'"),
        ({"emotions": ["Angry"]}, ValueError, "valid names are \\['neutral', 'calm'"),
        ({"emotions": "angry"}, TypeError, "emotions must be a list of emotion names"),
        ({"emotions": []}, ValueError, "emotions must name at least one emotion"),
        ({"emotions": {"sad", "angry"}}, TypeError, "emotions must be an ordered list"),
        ({"emotions": ["sad", "sad"]}, ValueError, r"must not repeat a name, got \['sad'\]"),
        ({"sr": 4000}, ValueError, "sr must be at least 8000 Hz"),
        ({"sr": 16000.0}, TypeError, "sr must be an int"),
        ({"duration": 0.1}, ValueError, "duration must be a finite number of seconds >= 0.5"),
        ({"duration": float("nan")}, ValueError, "duration must be a finite number"),
        ({"duration": float("inf")}, ValueError, "duration must be a finite number"),
        ({"duration": "3s"}, TypeError, "duration must be a number of seconds"),
        ({"emotion_strength": -1.0}, ValueError, "emotion_strength must be a finite number >= 0"),
        ({"random_state": -1}, ValueError, "random_state must be a non-negative int"),
        ({"random_state": "seed"}, TypeError, "random_state must be None, a non-negative int"),
        ({"out_dir": 3}, TypeError, "out_dir must be a path"),
    ],
)
def test_bad_parameters_are_reported_by_name(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_emotional_speech(**kwargs)


def test_docstring_examples_run():
    result = doctest.testmod(
        synthetic, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.attempted > 0 and result.failed == 0
