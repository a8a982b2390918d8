import numpy as np
import pytest
import soundfile as sf

from sklearn_ser.frontend.condition import (
    condition,
    fix_length,
    peak_normalize,
    trim_silence,
)
from sklearn_ser.frontend.decode import (
    AudioInputError,
    check_waveform,
    load_audio,
)


def _peak_frequency(y, sr):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    return np.fft.rfftfreq(y.size, 1 / sr)[np.argmax(spectrum)]


@pytest.mark.parametrize(
    ("ext", "subtype"), [("wav", "PCM_16"), ("flac", "PCM_16"), ("ogg", "VORBIS")]
)
def test_load_audio_decodes_formats_and_resamples(tmp_path, ext, subtype):
    sr_in = 22050
    t = np.arange(sr_in) / sr_in
    y = 0.5 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / f"tone.{ext}"
    sf.write(path, y, sr_in, subtype=subtype)

    out = load_audio(path, sr=16000)

    assert out.dtype == np.float32
    assert out.shape == (16000,)
    assert abs(_peak_frequency(out, 16000) - 440) < 3


def test_load_audio_downmixes_stereo(tmp_path):
    left = np.full(1000, 0.2)
    right = np.full(1000, 0.6)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 16000, subtype="FLOAT")

    out = load_audio(path, sr=16000)

    np.testing.assert_allclose(out, 0.4, atol=1e-6)


def test_load_audio_missing_file_names_it(tmp_path):
    missing = tmp_path / "nope.wav"
    with pytest.raises(FileNotFoundError, match=r"nope\.wav.*does not exist"):
        load_audio(missing, 16000)


def test_load_audio_empty_file_names_it(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0), 16000)
    with pytest.raises(AudioInputError, match=r"empty\.wav.*empty"):
        load_audio(path, 16000)


def test_load_audio_zero_byte_and_garbage_files_name_them(tmp_path):
    zero = tmp_path / "zero.wav"
    zero.write_bytes(b"")
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"this is not audio at all" * 20)
    for path in (zero, garbage):
        with pytest.raises(AudioInputError, match=rf"{path.name}.*cannot be decoded"):
            load_audio(path, 16000)


def test_load_audio_non_finite_samples_name_the_file(tmp_path):
    y = np.zeros(100, dtype=np.float32)
    y[10] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, y, 16000, subtype="FLOAT")
    with pytest.raises(AudioInputError, match=r"nan\.wav.*NaN or infinite"):
        load_audio(path, 16000)


def test_load_audio_directory_is_rejected(tmp_path):
    with pytest.raises(AudioInputError, match="is a directory"):
        load_audio(tmp_path, 16000)


def test_check_waveform_errors_name_the_input():
    with pytest.raises(AudioInputError, match=r"X\[3\].*NaN or infinite"):
        check_waveform(np.array([0.0, np.inf]), source="X[3]")
    with pytest.raises(AudioInputError, match=r"X\[0\].*empty"):
        check_waveform(np.array([]), source="X[0]")
    with pytest.raises(AudioInputError, match=r"X\[1\].*1-D waveform"):
        check_waveform(np.zeros((2, 3, 4)), source="X[1]")
    with pytest.raises(AudioInputError, match=r"X\[2\].*not a numeric waveform"):
        check_waveform(["a", "b"], source="X[2]")


def test_peak_normalize_and_silent_signal():
    np.testing.assert_allclose(np.max(np.abs(peak_normalize(np.array([0.1, -0.25])))), 1.0)
    np.testing.assert_array_equal(peak_normalize(np.zeros(5)), np.zeros(5))


def test_trim_silence_removes_leading_and_trailing_silence(tone):
    voiced = tone(200, 0.5)
    y = np.concatenate([np.zeros(8000), voiced, np.zeros(8000)])
    trimmed = trim_silence(y, top_db=30)
    # trimming works on 512-sample frames, so allow one frame of slack on each side
    assert voiced.size <= trimmed.size <= voiced.size + 2 * 512


@pytest.mark.parametrize("top_db", [20, 30, 60])
def test_trim_silence_cuts_where_librosa_does(rng, tone, top_db):
    import librosa

    fade = np.linspace(0, 1, 4000) ** 3  # a slow onset: the cut lands mid-ramp
    for y in [
        np.concatenate([np.zeros(3000), fade * tone(180, 0.25), tone(180, 0.5), np.zeros(2000)]),
        1e-3 * rng.standard_normal(16000) + np.where(np.arange(16000) > 9000, 1.0, 0.0),
        rng.standard_normal(7777) * np.hanning(7777),
    ]:
        y = y.astype(np.float32)
        ref, _ = librosa.effects.trim(y, top_db=top_db, frame_length=512, hop_length=128)
        np.testing.assert_array_equal(trim_silence(y, top_db=top_db), ref)


def test_all_silent_clip_is_kept_untrimmed_and_does_not_crash():
    out = condition(np.zeros(8000), 16000, duration=1.0, top_db=30)
    assert out.shape == (16000,)
    assert not np.any(out)


def test_condition_pads_and_crops_to_duration(tone):
    short = condition(tone(200, 0.5), 16000, duration=1.0, top_db=None)
    long = condition(tone(200, 2.0), 16000, duration=1.0, top_db=None)
    assert short.shape == long.shape == (16000,)
    assert not np.any(short[8000:])
    assert np.max(np.abs(long)) == pytest.approx(1.0)


def test_fix_length_batch():
    assert fix_length(np.ones((2, 5)), 3).shape == (2, 3)
    assert fix_length(np.ones((2, 5)), 7)[:, 5:].sum() == 0


def test_fix_length_wrap_repeats_the_clip_from_its_start():
    y = np.arange(1, 4, dtype=np.float32)
    np.testing.assert_array_equal(fix_length(y, 8, "wrap"), [1, 2, 3, 1, 2, 3, 1, 2])
    np.testing.assert_array_equal(fix_length(y, 5, "constant"), [1, 2, 3, 0, 0])
    np.testing.assert_array_equal(fix_length(y, 2, "wrap"), [1, 2])
    np.testing.assert_array_equal(fix_length(np.zeros(0, np.float32), 3, "wrap"), [0, 0, 0])
    with pytest.raises(ValueError, match="Padding mode"):
        fix_length(y, 8, "reflect")


def test_condition_wrap_fills_a_short_clip_with_speech_not_silence():
    tone = np.sin(np.arange(8000) / 5).astype(np.float32)
    padded = condition(tone, 16000, duration=1.0, top_db=None, pad_mode="constant")
    wrapped = condition(tone, 16000, duration=1.0, top_db=None, pad_mode="wrap")
    assert np.count_nonzero(padded[8000:]) == 0
    np.testing.assert_allclose(wrapped[8000:], wrapped[:8000])
