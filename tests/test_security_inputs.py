"""Clips that decode but mean nothing, and entries named like audio that are not files
(issue 30, item 7): each is refused or reported, never labelled without a word."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.frontend.decode import AudioContentWarning, AudioInputError, check_waveform
from sklearn_ser.frontend.inputs import clip_sources, decode_source

SR = 16000


def _decode(x):
    [source] = clip_sources(None, [x], reset=False)
    return decode_source(source, sr=SR)


def test_a_single_sample_is_refused():
    with pytest.raises(AudioInputError, match=r"X\[0\] holds 1 sample"):
        _decode(np.array([0.5], dtype=np.float32))


def test_a_silent_clip_is_labelled_with_a_warning():
    with pytest.warns(AudioContentWarning, match=r"X\[0\] is silent"):
        _decode(np.zeros(SR, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _decode(0.1 * np.sin(np.arange(SR, dtype=np.float32)))  # speech-like: no warning


def test_a_silent_file_is_named(tmp_path):
    import soundfile as sf

    path = tmp_path / "quiet.wav"
    sf.write(path, np.zeros(SR), SR, subtype="PCM_16")
    with pytest.warns(AudioContentWarning, match=r"quiet\.wav' is silent"):
        AudioFeatureTransformer(duration=0.5, output="stats", features=("rms",)).fit_transform(
            [str(path)])


def test_boolean_arrays_are_refused_and_unsigned_ones_warned():
    with pytest.raises(AudioInputError, match="boolean array, not a waveform"):
        check_waveform(np.ones(100, dtype=bool), source="X[3]")
    with pytest.warns(AudioContentWarning, match=r"X\[0\]'? holds unsigned integers \(uint8\)"):
        _decode(np.full(1000, 130, dtype=np.uint8))
    with pytest.raises(AudioInputError, match="X is a boolean array"):
        clip_sources(AudioFeatureTransformer(), np.ones((2, 100), dtype=bool), reset=True)
    with pytest.warns(AudioContentWarning, match="X holds unsigned integers"):
        clip_sources(AudioFeatureTransformer(), np.ones((2, 100), dtype=np.uint8), reset=True)


def test_entries_named_like_audio_that_are_not_files_are_reported(tmp_path):
    from sklearn_ser.datasets._scan import not_audio_files

    (tmp_path / "ok.wav").write_bytes(b"RIFF")
    (tmp_path / "folder.wav").mkdir()
    (tmp_path / "broken.wav").symlink_to(tmp_path / "gone.wav")
    (tmp_path / "notes.txt").symlink_to(tmp_path / "gone.txt")  # not audio: not reported
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.flac")
    found = {p.name: why for p, why in not_audio_files(tmp_path)}
    assert found.pop("folder.wav") == "a folder, not an audio file"
    assert found.pop("broken.wav").startswith("a broken symbolic link (to ")
    if hasattr(os, "mkfifo"):
        assert found.pop("pipe.flac") == "not a regular file"
    assert found == {}


def test_predict_reports_what_it_skips(capsys, tmp_path):
    import soundfile as sf

    from sklearn_ser.cli.predict import audio_files

    sf.write(tmp_path / "ok.wav", 0.1 * np.ones(800), SR)
    (tmp_path / "folder.wav").mkdir()
    (tmp_path / "broken.wav").symlink_to(tmp_path / "gone.wav")
    with pytest.warns(UserWarning, match=r"skipped 2 entries.*broken\.wav.*folder\.wav"):
        files = audio_files([str(tmp_path)])
    assert [p.name for p in files] == ["ok.wav"]


def test_a_corpus_scan_reports_them(tmp_path):
    from sklearn_ser.datasets._scan import scan

    (tmp_path / "03a01Fa.wav").mkdir()
    (tmp_path / "03a01Wa.wav").symlink_to(tmp_path / "gone.wav")
    index = scan(tmp_path, lambda p: {"key": p.stem})
    assert index.records == []
    assert sorted((os.path.basename(p), r) for p, r, _ in index.skipped) == [
        ("03a01Fa.wav", "a folder, not an audio file"),
        ("03a01Wa.wav", "a broken symbolic link")]
