"""Decoding that checks before it allocates: forged and truncated headers, channel layouts,
bounded reads, content-keyed caching (issue 12, cases 2, 3, 4, 9 and 10)."""

import os
import tracemalloc
import warnings

import numpy as np
import pytest
import soundfile as sf
from _wav import wav_bytes, with_field
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.frontend.decode import AudioInputError, audio_info, check_waveform, load_audio
from sklearn_ser.frontend.inputs import clip_sources, content_key, decode_source


def small(**kwargs):
    params = dict(duration=0.5, features=("zcr", "rms", "mfcc"), n_mfcc=13)
    params.update(kwargs)
    return AudioFeatureTransformer(**params)


@pytest.fixture
def speech_wav(tone):
    """Two seconds of a 16-bit tone at 22.05 kHz, as bytes (88 KB, like the issue's file)."""
    return wav_bytes(tone(180, 2.0, sr=22050), 22050)


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("rate", [1, 999, 384_001, 2**31 - 1])
def test_implausible_sample_rate_is_refused_before_any_allocation(tmp_path, speech_wav, rate):
    # issue 12 case 2: a 1 Hz header made fit_transform allocate 5.5 GB
    path = _write(tmp_path, "forged.wav", with_field(speech_wav, "sample_rate", rate))
    tracemalloc.start()
    try:
        with pytest.raises(AudioInputError, match=r"forged\.wav.*implausible sample rate"):
            small().fit_transform([path])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_lowest_plausible_rate_is_decoded_within_the_read_bound(tmp_path, speech_wav):
    # the same 88 KB at 1000 Hz is 44 s: only duration + 10 s of it are decoded
    path = _write(tmp_path, "slow.wav", with_field(speech_wav, "sample_rate", 1000))
    assert audio_info(path).duration == pytest.approx(44.1)
    X = small(duration=1.0).fit_transform([path])
    assert X.shape[0] == 1 and np.all(np.isfinite(X))


def test_truncated_wav_is_refused_or_used_with_a_warning(tmp_path, speech_wav):
    # issue 12 case 3: header plus a few bytes gave features from 3 samples
    path = _write(tmp_path, "cut.wav", speech_wav[:50])
    with pytest.raises(AudioInputError, match=r"cut\.wav.*truncated.*declares 88200 bytes.*"
                                              r"holds 6 \(3 frames"):
        small().fit_transform([path])
    with pytest.warns(UserWarning, match=r"cut\.wav.*truncated.*samples present"):
        X = small(truncated="warn").fit_transform([path])
    assert X.shape == (1, small().fit([path]).n_frames_, 15)


def test_forged_data_size_is_refused(tmp_path, speech_wav):
    path = _write(tmp_path, "huge.wav", with_field(speech_wav, "data_size", 10**9))
    with pytest.raises(AudioInputError, match=r"huge\.wav.*truncated.*1000000000 bytes"):
        load_audio(path, 16000)


def test_streamed_wav_of_unspecified_size_is_read_to_its_end(tmp_path, speech_wav, tone):
    # encoders writing to a pipe cannot seek back to fill in the size: 0xFFFFFFFF
    path = _write(tmp_path, "piped.wav", with_field(speech_wav, "data_size", 0xFFFFFFFF))
    np.testing.assert_array_equal(load_audio(path, 22050),
                                  sf.read(_write(tmp_path, "ok.wav", speech_wav),
                                          dtype="float32")[0])


def test_truncated_flac_is_refused_naming_the_file(tmp_path, rng):
    path = tmp_path / "noise.flac"
    sf.write(path, 0.1 * rng.standard_normal(16000 * 5), 16000)
    cut = _write(tmp_path, "cut.flac", path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(AudioInputError, match=r"cut\.flac"):
        load_audio(cut, 16000)


def test_only_duration_plus_margin_is_read_from_a_long_file(tmp_path, monkeypatch, rng):
    # issue 12 case 10: transform decoded a whole 10-minute file to keep 2 s
    y = (0.1 * rng.standard_normal(16000 * 60)).astype(np.float32)
    path = tmp_path / "long.wav"
    sf.write(path, y, 16000, subtype="FLOAT")
    frames_read = []
    real_read = sf.SoundFile.read

    def counting_read(self, frames=-1, **kwargs):
        out = real_read(self, frames, **kwargs)
        frames_read.append(len(out))
        return out

    monkeypatch.setattr(sf.SoundFile, "read", counting_read)
    X = small(duration=2.0, n_jobs=1).fit_transform([str(path)])
    assert sum(frames_read) == 12 * 16000  # duration + 10 s
    monkeypatch.undo()
    # the prefix gives the features of the same audio cut there
    sf.write(tmp_path / "prefix.wav", y[: 12 * 16000], 16000, subtype="FLOAT")
    np.testing.assert_array_equal(X, small(duration=2.0).fit_transform([tmp_path / "prefix.wav"]))


def test_load_audio_offset_and_max_duration_read_a_slice(tmp_path, rng):
    y = (0.1 * rng.standard_normal(8000)).astype(np.float32)
    path = tmp_path / "slice.wav"
    sf.write(path, y, 8000, subtype="FLOAT")
    np.testing.assert_array_equal(load_audio(path, 8000, offset=0.25, max_duration=0.5),
                                  y[2000:6000])
    with pytest.raises(AudioInputError, match=r"slice\.wav.*nothing to decode after offset"):
        load_audio(path, 8000, offset=1.0)


def test_many_channel_file_is_read_in_bounded_blocks(tmp_path, rng):
    n_channels, n = 64, 16000 * 4
    y = (0.1 * rng.standard_normal((n, n_channels))).astype(np.float32)
    path = tmp_path / "array.wav"
    sf.write(path, y, 16000, subtype="FLOAT")
    del y
    tracemalloc.start()
    try:
        out = load_audio(path, 16000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (n,)
    # the 16 MB of samples are never held at once: blocks of 1 MB plus the mono output
    assert peak < n * n_channels * 4 / 4


@pytest.mark.parametrize("layout", ["channels_first", "channels_last"])
def test_both_multichannel_layouts_give_the_mono_features(tone, layout):
    # issue 12 case 4: librosa's (2, n) was averaged over the wrong axis into 2 samples
    y = tone(200, 1.0)
    stereo = np.stack([y, 0.5 * y]) if layout == "channels_first" else np.stack([y, 0.5 * y], 1)
    aft = small()
    np.testing.assert_array_equal(aft.fit_transform([stereo]), aft.fit_transform([0.75 * y]))


@pytest.mark.parametrize("shape", [(4, 4), (2, 8), (20, 16000)])
def test_ambiguous_2d_waveform_is_refused_not_guessed(shape):
    with pytest.raises(AudioInputError, match=r"X\[0\].*shape.*which axis holds the channels"):
        small().fit_transform([np.ones(shape)])


def test_huge_finite_waveform_is_reported_as_such():
    with pytest.raises(AudioInputError, match=r"X\[0\].*finite samples too large for float32"):
        small().fit_transform([np.full(8000, 1e300)])
    with pytest.raises(AudioInputError, match=r"X\[0\].*NaN or infinite"):
        small().fit_transform([np.full(8000, np.inf)])
    # within float32's range a loud waveform is just peak-normalised
    loud = check_waveform(np.stack([np.full(100, 3e38)] * 2))
    assert np.all(np.isfinite(loud))


def test_cache_sees_a_file_replaced_with_same_size_and_mtime(tmp_path, tone):
    # issue 12 case 9: cp -p / rsync -t keep size and mtime, the old key served stale features
    path = tmp_path / "clip.wav"
    sf.write(path, tone(150, 0.6), 16000, subtype="PCM_16")
    stat = os.stat(path)
    cache = str(tmp_path / "cache")
    first = small(memory=cache).fit_transform([str(path)])
    sf.write(path, tone(300, 0.6), 16000, subtype="PCM_16")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(path).st_size == stat.st_size and os.stat(path).st_mtime_ns == stat.st_mtime_ns
    second = small(memory=cache).fit_transform([str(path)])
    np.testing.assert_array_equal(second, small().fit_transform([str(path)]))
    assert not np.array_equal(first, second)


def test_content_key_follows_bytes_not_names(tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"x" * 3_000_000)
    b.write_bytes(b"x" * 3_000_000)
    assert content_key(a) == content_key(b) == content_key(a, block_size=7)
    b.write_bytes(b"x" * 2_999_999 + b"y")
    assert content_key(a) != content_key(b)


def test_clip_sources_and_decode_source_are_the_shared_entry_points(tmp_path, tone):
    path = tmp_path / "clip.wav"
    sf.write(path, tone(150, 0.5, sr=8000), 8000, subtype="FLOAT")
    sources = clip_sources(None, [str(path), tone(150, 0.5, sr=8000)], reset=False)
    assert [(s.kind, s.label, s.key) for s in sources] == [
        ("path", str(path), None), ("wave", "X[1]", None)]
    from_file, from_array = (decode_source(s, sr=16000, input_sr=8000) for s in sources)
    np.testing.assert_allclose(from_file, from_array, atol=1e-6)
    with pytest.raises(FileNotFoundError, match=r"gone\.wav.*X\[0\]"):
        clip_sources(None, [tmp_path / "gone.wav"], reset=False)


@pytest.mark.parametrize("param, value", [("sr", 999), ("input_sr", 1), ("truncated", "skip")])
def test_rate_and_truncation_parameters_are_validated_in_fit(param, value):
    with pytest.raises(InvalidParameterError, match=param):
        small(**{param: value}).fit([np.zeros(8000)])


def test_decoding_warns_only_for_truncation(tmp_path, speech_wav):
    path = _write(tmp_path, "ok.wav", speech_wav)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert audio_info(path).frames == 44100
