"""Loaders read every audio format soundfile decodes, with the same names, labels and speakers;
and the shared copies in ../shared/data (Ogg Opus, WAV) load with the exact counts of their
README."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from sklearn_ser.datasets import (
    CorpusFileWarning,
    _base,
    get_corpus,
    load_corpus,
    load_crema_d,
    load_emodb,
    load_tess,
)

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
EMODB_NAMES = ["03a01Fa", "08a02Wb", "16b10Ta", "11b03Nb"]


def touch(root: Path, *relative: str) -> None:
    for rel in relative:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"")


def frame_without_paths(data):
    return data.frame.drop(columns="path").reset_index(drop=True)


@pytest.mark.parametrize("extension", [".flac", ".opus", ".ogg", ".mp3", ".aiff", ".WAV"])
def test_every_soundfile_format_gives_the_same_rows(tmp_path, extension):
    touch(tmp_path / "wav", *[f"wav/{n}.wav" for n in EMODB_NAMES])
    touch(tmp_path / "other", *[f"wav/{n}{extension}" for n in EMODB_NAMES])
    with warnings.catch_warnings(action="error", category=CorpusFileWarning):
        reference = load_emodb(tmp_path / "wav")
        other = load_emodb(tmp_path / "other")
    assert frame_without_paths(other).equals(frame_without_paths(reference))
    assert all(path.endswith(extension) for path in other.X)
    assert list(other.groups) == ["emodb_03", "emodb_08", "emodb_11", "emodb_16"]


def test_a_clip_in_two_formats_is_counted_once_keeping_the_lossless_copy(tmp_path):
    touch(tmp_path, "03a01Fa.mp3", "03a01Fa.wav", "08a02Wb.opus", "08a02Wb.flac")
    with pytest.warns(CorpusFileWarning, match=r"skipped 2 file.*duplicate clip"):
        data = load_emodb(tmp_path)
    assert sorted(Path(p).name for p in data.X) == ["03a01Fa.wav", "08a02Wb.flac"]
    assert sorted(Path(p).name for p in data.skipped["path"]) == ["03a01Fa.mp3", "08a02Wb.opus"]


def test_formats_the_installed_soundfile_cannot_decode_are_reported(tmp_path, monkeypatch):
    import soundfile

    touch(tmp_path, "03a01Fa.wav", "08a02Wb.mp3", "16b10Ta.m4a")
    # A libsndfile older than 1.1 has no MP3 decoder: its MP3 files must be reported, not
    # indexed (they would fail only when decoded, deep inside a fit).
    formats = {k: v for k, v in soundfile.available_formats().items() if k != "MP3"}
    monkeypatch.setattr(soundfile, "available_formats", lambda: formats)
    _base.readable_extensions.cache_clear()
    try:
        with pytest.warns(CorpusFileWarning) as record:
            data = load_emodb(tmp_path)
    finally:
        _base.readable_extensions.cache_clear()
    assert [Path(p).name for p in data.X] == ["03a01Fa.wav"]
    messages = " | ".join(str(w.message) for w in record)
    assert "audio format .mp3 is not decodable" in messages
    assert "audio format .m4a is not decodable" in messages
    assert sorted(Path(p).name for p in data.skipped["path"]) == ["08a02Wb.mp3", "16b10Ta.m4a"]


@pytest.mark.parametrize(
    "folders, used",
    [
        (["AudioOpus"], "AudioOpus"),
        (["AudioMP3"], "AudioMP3"),
        (["AudioWAV", "AudioMP3"], "AudioWAV"),  # a repository clone: MP3 copies not counted
        (["audiomp3", "AudioOpus"], "AudioOpus"),  # the less lossy copy, any case
    ],
)
def test_crema_d_audio_folder_layouts(tmp_path, folders, used):
    extensions = {"audiowav": ".wav", "audiomp3": ".mp3", "audioopus": ".opus"}
    for folder in folders:
        ext = extensions[folder.lower()]
        touch(tmp_path / folder, f"1001_DFA_ANG_XX{ext}", f"1091_IEO_HAP_HI{ext}")
    touch(tmp_path / "VideoFlash", "1001_DFA_ANG_XX.flv")
    with warnings.catch_warnings(action="error", category=CorpusFileWarning):
        data = load_crema_d(tmp_path)
    assert {Path(p).parent.name for p in data.X} == {used}
    assert data.frame["label"].tolist() == ["ANG", "HAP"]
    assert data.frame["speaker"].tolist() == ["crema_d_1001", "crema_d_1091"]


def test_tess_transcoded_with_upstream_folder_case_and_typo(tmp_path):
    touch(
        tmp_path,
        "OAF_Fear/OAF_back_fear.opus",
        "OAF_Pleasant_surprise/OAF_back_ps.opus",
        "OAF_neutral/OA_bite_neutral.opus",
        "YAF_pleasant_surprised/YAF_youth_ps.opus",
        "YAF_sad/YAF_back_sad.opus",
    )
    with warnings.catch_warnings(action="error", category=CorpusFileWarning):
        data = load_tess(tmp_path)
    assert data.frame["speaker"].tolist() == ["tess_OAF"] * 3 + ["tess_YAF"] * 2
    # Sorted by path: upper-case folder names come first.
    assert data.frame["emotion"].tolist() == ["fear", "surprise", "neutral", "surprise", "sad"]


# --------------------------------------------------------------------------- the shared copies


def shared(folder: str) -> Path:
    path = SHARED / folder
    if not path.is_dir():
        pytest.skip(f"shared copy not found at {path}")
    return path


@pytest.mark.data
def test_shared_crema_d_opus_copy_counts():
    root = shared("crema_d")
    with warnings.catch_warnings(action="error", category=CorpusFileWarning):
        data = load_crema_d(root, exclude_broken=False)
    frame = data.frame
    assert len(frame) == 7442 and frame["speaker"].nunique() == 91
    assert frame["emotion"].value_counts().to_dict() == {
        "angry": 1271,
        "disgust": 1271,
        "fear": 1271,
        "happy": 1271,
        "sad": 1271,
        "neutral": 1087,
    }
    assert all(p.endswith(".opus") and os.sep + "AudioOpus" + os.sep in p for p in data.X)
    assert sorted(frame["speaker"].str[-4:].astype(int).unique()) == list(range(1001, 1092))
    # The same clips through the registry and from the AudioOpus folder itself.
    via_name = load_corpus("CREMA-D", root / "AudioOpus", exclude_broken=False)
    assert via_name.frame["path"].tolist() == frame["path"].tolist()
    # The default excludes the four known-broken clips, with a warning naming them.
    with pytest.warns(CorpusFileWarning, match="skipped 4 file.*known-broken"):
        assert len(load_crema_d(root).frame) == 7438


@pytest.mark.data
def test_shared_tess_opus_copy_counts():
    root = shared("tess")
    with warnings.catch_warnings(action="error", category=CorpusFileWarning):
        data = load_tess(root)
    frame = data.frame
    assert len(frame) == 2800
    assert frame.groupby("speaker").size().to_dict() == {"tess_OAF": 1400, "tess_YAF": 1400}
    assert frame["emotion"].value_counts().to_dict() == dict.fromkeys(
        ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"], 400
    )
    assert (frame.groupby(["speaker", "emotion"]).size() == 200).all()
    typo = frame[frame["path"].str.endswith("OA_bite_neutral.opus")]
    assert typo["speaker"].tolist() == ["tess_OAF"] and typo["word"].tolist() == ["bite"]


@pytest.mark.data
def test_shared_emodb_copy_counts_through_the_registry():
    root = shared("emodb")
    with warnings.catch_warnings(action="error", category=CorpusFileWarning):
        data = get_corpus("emodb").load(root)
    assert len(data.frame) == 535 and data.frame["speaker"].nunique() == 10
    assert data.frame.groupby("gender")["speaker"].nunique().to_dict() == {"female": 5, "male": 5}
    assert data.frame["emotion"].value_counts().to_dict() == {
        "angry": 127,
        "boredom": 81,
        "neutral": 79,
        "happy": 71,
        "fear": 69,
        "sad": 62,
        "disgust": 46,
    }
