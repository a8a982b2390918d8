"""Corpus loaders on fixture trees written in each corpus' naming (empty files: loaders never
decode audio), plus the real EmoDB copy when it is available."""

from __future__ import annotations

import itertools
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_ser.datasets import (
    COMMON_EMOTIONS,
    CORPUS_NAMES,
    CREMA_D_BROKEN_CLIPS,
    EMOTIONS,
    CorpusFileWarning,
    concat_corpora,
    get_corpus,
    list_corpora,
    load_corpora,
    load_corpus,
    load_crema_d,
    load_emodb,
    load_ravdess,
    load_savee,
    load_tess,
)

EMODB_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "emodb"


# --------------------------------------------------------------------------- fixture trees


def touch(root: Path, *relative: str, content: bytes = b"") -> list[Path]:
    """Write files (empty by default) below ``root``; the folders are created once each."""
    paths = [root / rel for rel in relative]
    for folder in {path.parent for path in paths}:
        folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        # os.open/os.write: the trees hold ~6,000 files, and Python's buffered file objects
        # make building them several times slower.
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
        try:
            os.write(fd, content)
        finally:
            os.close(fd)
    return paths


def ravdess_names(channel: str) -> list[str]:
    """Every audio-only clip of a complete RAVDESS speech ("01") or song ("02") release."""
    emotions = (
        ["01", "02", "03", "04", "05", "06", "07", "08"]
        if channel == "01"
        else ["01", "02", "03", "04", "05", "06"]
    )
    actors = [a for a in range(1, 25) if not (channel == "02" and a == 18)]
    names = []
    for actor, emotion, statement, repetition in itertools.product(
        actors, emotions, ("01", "02"), ("01", "02")
    ):
        for intensity in ("01",) if emotion == "01" else ("01", "02"):
            names.append(
                f"Actor_{actor:02d}/03-{channel}-{emotion}-{intensity}-{statement}-"
                f"{repetition}-{actor:02d}.wav"
            )
    return names


CREMA_SENTENCES = [
    "IEO",
    "TIE",
    "IOM",
    "IWW",
    "TAI",
    "MTI",
    "IWL",
    "ITH",
    "DFA",
    "ITS",
    "TSI",
    "WSI",
]
CREMA_EMOTIONS = ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"]


def crema_names(actors) -> list[str]:
    """The CREMA-D recording grid: IEO at three levels (neutral unspecified), others at XX."""
    names = []
    for actor in actors:
        for sentence in CREMA_SENTENCES:
            for emotion in CREMA_EMOTIONS:
                levels = ("LO", "MD", "HI") if sentence == "IEO" and emotion != "NEU" else ("XX",)
                names += [f"{actor}_{sentence}_{emotion}_{level}.wav" for level in levels]
    return names


TESS_FOLDERS = {  # real folder spellings differ between the two speakers and between copies
    ("OAF", "angry"): "OAF_angry",
    ("OAF", "disgust"): "OAF_disgust",
    ("OAF", "fear"): "OAF_Fear",
    ("OAF", "happy"): "OAF_happy",
    ("OAF", "neutral"): "OAF_neutral",
    ("OAF", "ps"): "OAF_Pleasant_surprise",
    ("OAF", "sad"): "OAF_Sad",
    ("YAF", "angry"): "YAF_angry",
    ("YAF", "disgust"): "YAF_disgust",
    ("YAF", "fear"): "YAF_fear",
    ("YAF", "happy"): "YAF_happy",
    ("YAF", "neutral"): "YAF_neutral",
    ("YAF", "ps"): "YAF_pleasant_surprised",
    ("YAF", "sad"): "YAF_sad",
}
TESS_WORDS = ["back", "bar", "base", "bath", "bite"] + [f"word{i:03d}" for i in range(195)]


def tess_names() -> list[str]:
    names = []
    for (speaker, emotion), folder in TESS_FOLDERS.items():
        for word in TESS_WORDS:
            # The release ships this one clip misnamed with speaker "OA".
            prefix = "OA" if (speaker, word, emotion) == ("OAF", "bite", "neutral") else speaker
            names.append(f"{folder}/{prefix}_{word}_{emotion}.wav")
    return names


SAVEE_CODES = {"a": 15, "d": 15, "f": 15, "h": 15, "n": 30, "sa": 15, "su": 15}


def savee_names(flat: bool) -> list[str]:
    names = []
    for speaker in ("DC", "JE", "JK", "KL"):
        for code, count in SAVEE_CODES.items():
            for number in range(1, count + 1):
                stem = f"{code}{number:02d}"
                names.append(
                    f"ALL/{speaker}_{stem}.wav" if flat else f"AudioData/{speaker}/{stem}.wav"
                )
    return names


EMODB_SMALL = [
    "03a01Fa.wav",
    "03a01Wa.wav",
    "08b02Ld.wav",
    "09a05Eb.wav",
    "16b10Tb.wav",
    "10a07Na.wav",
    "11b09Aa.wav",
]


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """Fixture copies of every corpus (about 6,000 empty files, built once per module)."""
    root = tmp_path_factory.mktemp("corpora")
    touch(root / "ravdess_speech", *ravdess_names("01"))
    touch(root / "ravdess_song", *ravdess_names("02"))
    crema = root / "crema_d"
    # The full recording grid (82 per actor) for the first and last actor, one clip of every
    # other actor and the known-broken clips: every name form and every actor id occurs,
    # without writing all 7,442 files.
    grid = crema_names([1001, 1091])
    others = [f"{actor}_DFA_ANG_XX.wav" for actor in range(1002, 1091)]
    broken = [f"{stem}.wav" for stem in CREMA_D_BROKEN_CLIPS]
    touch(crema / "AudioWAV", *grid, *others, *broken)
    touch(crema / "AudioMP3", "1001_DFA_ANG_XX.mp3")  # the repository's MP3 copies: not indexed
    touch(root / "tess", *tess_names())
    touch(root / "savee_nested", *savee_names(flat=False))
    touch(root / "savee_flat", *savee_names(flat=True))
    touch(root / "emodb" / "wav", *EMODB_SMALL)
    (root / "emodb" / "erkennung.txt").write_text("not audio")
    return root


def no_corpus_warnings():
    return warnings.catch_warnings(action="error", category=CorpusFileWarning)


def assert_aligned(data):
    frame = data.frame
    assert list(frame.columns[:6]) == ["path", "emotion", "label", "speaker", "gender", "corpus"]
    np.testing.assert_array_equal(data.X, frame["path"].to_numpy())
    np.testing.assert_array_equal(data.y, frame["emotion"].to_numpy())
    np.testing.assert_array_equal(data.groups, frame["speaker"].to_numpy())
    assert all(isinstance(p, str) for p in data.X)
    assert list(frame["path"]) == sorted(frame["path"])
    assert set(frame["emotion"]) <= set(EMOTIONS)
    assert list(data.target_names) == sorted(set(frame["emotion"]))
    assert frame.index.equals(pd.RangeIndex(len(frame)))
    assert "Loaded:" in data.DESCR


# --------------------------------------------------------------------------- complete copies


def test_ravdess_speech_complete_copy(trees):
    with no_corpus_warnings():
        data = load_ravdess(trees / "ravdess_speech", subset="speech")
    assert_aligned(data)
    frame = data.frame
    assert len(frame) == 1440 and frame["speaker"].nunique() == 24
    counts = frame["emotion"].value_counts()
    assert counts["neutral"] == 96
    assert all(
        counts[e] == 192 for e in ("calm", "happy", "sad", "angry", "fear", "disgust", "surprise")
    )
    assert frame.groupby("gender")["speaker"].nunique().to_dict() == {"female": 12, "male": 12}
    row = frame[frame["path"].str.endswith("03-01-06-02-02-01-12.wav")].iloc[0]
    assert (row.emotion, row.label, row.speaker, row.gender) == (
        "fear",
        "06",
        "ravdess_12",
        "female",
    )
    assert (row.intensity, row.statement, row.repetition) == ("strong", 2, 1)
    assert row.text == "Dogs are sitting by the door" and row.subset == "speech"
    assert data.skipped.empty


def test_ravdess_song_complete_copy(trees):
    with no_corpus_warnings():
        data = load_ravdess(trees / "ravdess_song", subset="song")
    assert len(data.frame) == 1012 and data.frame["speaker"].nunique() == 23
    assert "ravdess_18" not in set(data.groups)
    assert set(data.y) == {"neutral", "calm", "happy", "sad", "angry", "fear"}


CREMA_FIXTURE_CLIPS = 2 * 82 + 89 + len(CREMA_D_BROKEN_CLIPS)


def test_crema_d_every_actor_and_recording_with_demographics(trees, tmp_path):
    csv = tmp_path / "VideoDemographics.csv"
    rows = ['"ActorID","Age","Sex","Race","Ethnicity"']
    rows += [
        f'{a},{20 + a % 50},"{"Male" if a % 2 else "Female"}","Asian","Not Hispanic"'
        for a in range(1001, 1092)
    ]
    csv.write_text("\n".join(rows) + "\n")
    with pytest.warns(CorpusFileWarning, match="known-broken") as record:
        data = load_crema_d(trees / "crema_d", demographics=csv)
    assert_aligned(data)
    # A complete copy has up to 82 recordings for each of the 91 actors (the release lacks
    # 20 of the 7,462, hence 7,442 clips); each is recognised on its own name.
    assert len(data.frame) == CREMA_FIXTURE_CLIPS - len(CREMA_D_BROKEN_CLIPS)
    assert data.frame["speaker"].nunique() == 91
    assert (data.frame["speaker"] == "crema_d_1091").sum() == 82
    grid = data.frame[data.frame["speaker"] == "crema_d_1001"]
    assert grid["emotion"].value_counts().to_dict() == {
        "angry": 14,
        "disgust": 14,
        "fear": 14,
        "happy": 14,
        "sad": 14,
        "neutral": 12,
    }
    assert grid["intensity"].value_counts().to_dict() == {
        "unspecified": 67,
        "low": 5,
        "medium": 5,
        "high": 5,
    }
    assert grid["sentence"].nunique() == 12
    message = str(record[0].message)
    assert all(name in message for name in CREMA_D_BROKEN_CLIPS)
    assert not set(data.frame["path"].map(lambda p: Path(p).stem)) & set(CREMA_D_BROKEN_CLIPS)
    assert len(data.skipped) == len(CREMA_D_BROKEN_CLIPS)  # the MP3 copies are not counted
    row = data.frame[data.frame["path"].str.endswith("1091_IEO_SAD_MD.wav")].iloc[0]
    assert (row.emotion, row.label, row.speaker, row.gender) == (
        "sad",
        "SAD",
        "crema_d_1091",
        "male",
    )
    assert (row.sentence, row.text, row.intensity, row.age) == (
        "IEO",
        "It's eleven o'clock",
        "medium",
        61,
    )
    assert data.frame.loc[data.frame["speaker"] == "crema_d_1002", "gender"].tolist() == ["female"]
    assert data.frame["age"].dtype == "Int64"

    with no_corpus_warnings():
        everything = load_crema_d(trees / "crema_d", exclude_broken=False, demographics=csv)
    assert len(everything.frame) == CREMA_FIXTURE_CLIPS


def test_tess_complete_copy_with_irregular_folders(trees):
    with no_corpus_warnings():
        data = load_tess(trees / "tess")
    assert_aligned(data)
    frame = data.frame
    assert len(frame) == 2800
    assert frame.groupby("speaker").size().to_dict() == {"tess_OAF": 1400, "tess_YAF": 1400}
    assert frame["emotion"].value_counts().to_dict() == {
        e: 400 for e in ("angry", "disgust", "fear", "happy", "neutral", "surprise", "sad")
    }
    assert set(frame.loc[frame["label"] == "ps", "emotion"]) == {"surprise"}
    misnamed = frame[frame["path"].str.endswith("OA_bite_neutral.wav")].iloc[0]
    assert (misnamed.speaker, misnamed.word, misnamed.text) == (
        "tess_OAF",
        "bite",
        "Say the word bite",
    )
    assert set(frame["gender"]) == {"female"}


@pytest.mark.parametrize("layout", ["savee_nested", "savee_flat"])
def test_savee_complete_copy_in_both_layouts(trees, layout):
    with no_corpus_warnings():
        data = load_savee(trees / layout)
    assert_aligned(data)
    frame = data.frame
    assert len(frame) == 480 and frame["speaker"].nunique() == 4
    counts = frame["emotion"].value_counts()
    assert counts["neutral"] == 120 and counts["sad"] == counts["surprise"] == 60
    row = frame[frame["path"].str.contains("KL")].query("sentence == 'sa03'").iloc[0]
    assert (row.emotion, row.label, row.speaker, row.gender) == ("sad", "sa", "savee_KL", "male")


def test_emodb_fixture_tree(trees):
    with no_corpus_warnings():
        data = load_emodb(trees / "emodb")
    assert_aligned(data)
    assert dict(zip(data.frame["label"], data.frame["emotion"])) == {
        "F": "happy",
        "W": "angry",
        "L": "boredom",
        "E": "disgust",
        "T": "sad",
        "N": "neutral",
        "A": "fear",
    }
    row = data.frame.iloc[0]
    assert (row.speaker, row.gender, row.sentence, row.version, row.age) == (
        "emodb_03",
        "male",
        "a01",
        "a",
        31,
    )
    assert row.text == "Der Lappen liegt auf dem Eisschrank."
    genders = dict(zip(data.frame["speaker"], data.frame["gender"]))
    assert genders["emodb_08"] == "female" and genders["emodb_16"] == "female"


# --------------------------------------------------------------------------- layouts and reports


def test_ravdess_flat_mixed_folder_reports_other_subset(tmp_path):
    touch(
        tmp_path, "03-01-05-01-01-01-01.wav", "03-01-01-01-01-01-02.wav", "03-02-05-02-01-01-01.wav"
    )
    with pytest.warns(
        CorpusFileWarning, match=r"skipped 1 file.*subset='speech'.*03-02-05-02"
    ) as record:
        data = load_ravdess(tmp_path)
    assert "subset='song'" in str(record[0].message)
    assert len(data.frame) == 2
    assert data.skipped["path"].str.endswith("03-02-05-02-01-01-01.wav").all()
    with pytest.warns(CorpusFileWarning):
        song = load_ravdess(tmp_path, subset="song")
    assert song.frame["label"].tolist() == ["05"] and song.frame["intensity"].tolist() == ["strong"]


def test_ravdess_duplicated_mirror_counts_each_clip_once(tmp_path):
    # The Kaggle copy holds every actor folder twice: at the top and in audio_speech_actors_01-24/.
    names = ravdess_names("01")[:120]
    touch(tmp_path, *names)
    touch(tmp_path / "audio_speech_actors_01-24", *names)
    with pytest.warns(CorpusFileWarning, match="skipped 120 file.*duplicate clip") as record:
        data = load_ravdess(tmp_path)
    assert len(data.frame) == 120
    assert "and 115 more" in str(record[0].message)
    # Paths are sorted, so the top-level copy comes first and is the one kept.
    assert not data.frame["path"].str.contains("audio_speech_actors").any()


def test_mismatching_and_foreign_files_are_reported_not_dropped_silently(tmp_path):
    good = touch(tmp_path, "Actor_01/03-01-05-01-01-01-01.wav")
    touch(
        tmp_path,
        "Actor_01/notes.wav",  # not a RAVDESS name
        "Actor_01/03-01-09-01-01-01-01.wav",  # emotion code 09 does not exist
        "Actor_02/03-01-05-01-01-01-03.wav",  # actor 03 inside Actor_02/
        "Actor_01/03-01-05-01-01-01-01.mp3",  # the same clip in a lossy format
        "Actor_01/03-01-05-01-01-01-02.m4a",  # a format soundfile does not decode
        "Actor_01/readme.txt",  # not audio: ignored
        ".hidden/03-01-05-01-01-01-05.wav",  # hidden folders are archive metadata
        "__MACOSX/Actor_01/._03-01-05-01-01-01-01.wav",
    )
    with pytest.warns(CorpusFileWarning) as record:
        data = load_ravdess(tmp_path)
    assert data.frame["path"].tolist() == [str(good[0])]
    messages = " | ".join(str(w.message) for w in record)
    assert "notes.wav" in messages and "RAVDESS pattern" in messages
    assert "emotion code 09 is not 01-08" in messages
    assert "actor 03 in folder Actor_02" in messages
    assert "duplicate clip" in messages  # the WAV copy is kept, whatever the sorting
    assert "audio format .m4a is not decodable by the installed soundfile" in messages
    assert "readme" not in messages and "MACOSX" not in messages and "hidden" not in messages
    assert sorted(Path(p).name for p in data.skipped["path"]) == [
        "03-01-05-01-01-01-01.mp3",
        "03-01-05-01-01-01-02.m4a",
        "03-01-05-01-01-01-03.wav",
        "03-01-09-01-01-01-01.wav",
        "notes.wav",
    ]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="needs a non-root POSIX user"
)
def test_unreadable_folder_is_reported(tmp_path):
    touch(tmp_path, "03a01Fa.wav", "locked/03a01Wa.wav")
    (tmp_path / "locked").chmod(0)
    try:
        with pytest.warns(CorpusFileWarning, match="folder could not be read.*locked"):
            data = load_emodb(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert len(data.frame) == 1


def test_listing_errors_are_reported(tmp_path, monkeypatch):
    # Same situation as above, simulated so that it also runs as root.
    import sklearn_ser.datasets._scan as scan

    touch(tmp_path, "03a01Fa.wav")
    real_walk = os.walk

    def walk(top, onerror=None, followlinks=False):
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "locked")))
        yield from real_walk(top, onerror=onerror, followlinks=followlinks)

    monkeypatch.setattr(scan.os, "walk", walk)
    with pytest.warns(CorpusFileWarning, match=r"folder could not be read.*locked \(Permission"):
        data = load_emodb(tmp_path)
    assert len(data.frame) == 1 and data.skipped["reason"].tolist() == ["folder could not be read"]


def test_warning_lists_count_reason_and_a_few_examples(tmp_path):
    touch(tmp_path, "03a01Fa.wav", *[f"junk_{i}.wav" for i in range(8)])
    with pytest.warns(CorpusFileWarning) as record:
        load_emodb(tmp_path)
    (warning,) = record
    message = str(warning.message)
    assert message.startswith("EmoDB: skipped 8 file(s)")
    assert "junk_0.wav" in message and "junk_4.wav" in message and "junk_5.wav" not in message
    assert "and 3 more" in message


def test_crema_d_repository_details(tmp_path):
    audio = tmp_path / "CREMA-D" / "AudioWAV"
    touch(
        audio,
        "1001_DFA_ANG_XX.wav",
        "1002_IEO_HAP_HI.wav",
        "1040_ITH_SAD_X.wav",
        "1076_MTI_SAD_XX.wav",
    )
    touch(
        audio,
        "1003_TSI_NEU_XX.wav",
        content=b"version https://git-lfs.github.com/spec/v1\noid sha256:00\n",
    )
    (tmp_path / "CREMA-D" / "VideoDemographics.csv").write_text(
        '"ActorID","Age","Sex","Race","Ethnicity"\n1001,51,"Male","Caucasian","Not Hispanic"\n'
        '1002,21,"Female","Caucasian","Not Hispanic"\n1040,42,"Male","Caucasian","Not Hispanic"\n'
    )
    with pytest.warns(CorpusFileWarning) as record:
        data = load_crema_d(tmp_path / "CREMA-D")
    messages = " | ".join(str(w.message) for w in record)
    assert "git-lfs pointer" in messages and "1003_TSI_NEU_XX.wav" in messages
    assert "1076_MTI_SAD_XX" in messages and "no audio" in messages
    frame = data.frame.set_index(data.frame["path"].map(lambda p: Path(p).name))
    assert frame.loc["1040_ITH_SAD_X.wav", "intensity"] == "unspecified"  # misnamed upstream
    assert frame["gender"].to_dict() == {
        "1001_DFA_ANG_XX.wav": "male",
        "1002_IEO_HAP_HI.wav": "female",
        "1040_ITH_SAD_X.wav": "male",
    }
    assert frame.loc["1001_DFA_ANG_XX.wav", "race"] == "Caucasian"


def test_crema_d_without_or_with_incomplete_demographics(tmp_path):
    touch(tmp_path, "1001_DFA_ANG_XX.wav", "1005_TAI_FEA_XX.wav")
    with no_corpus_warnings():
        data = load_crema_d(tmp_path)
    assert set(data.frame["gender"]) == {"unknown"} and data.frame["age"].isna().all()
    csv = tmp_path / "demo.csv"
    csv.write_text(
        '"ActorID","Age","Sex","Race","Ethnicity"\n1001,51,"Male","Caucasian","Not Hispanic"\n'
    )
    with pytest.warns(CorpusFileWarning, match=r"\['1005'\] are missing from"):
        data = load_crema_d(tmp_path, demographics=csv)
    assert data.frame["gender"].tolist() == ["male", "unknown"]
    csv.write_text("ActorID,Age\n1001,51\n")
    with pytest.raises(
        ValueError, match=r"demo\.csv' lacks the column\(s\) \['Sex', 'Race', 'Ethnicity'\]"
    ):
        load_crema_d(tmp_path, demographics=csv)
    with pytest.raises(FileNotFoundError, match=r"missing\.csv"):
        load_crema_d(tmp_path, demographics=tmp_path / "missing.csv")


def test_savee_nested_file_outside_a_speaker_folder_is_reported(tmp_path):
    touch(tmp_path, "DC/a01.wav", "extra/a02.wav", "JE/a16.wav", "KL/n30.wav")
    with pytest.warns(CorpusFileWarning) as record:
        data = load_savee(tmp_path)
    messages = " | ".join(str(w.message) for w in record)
    assert "folder 'extra'" in messages
    assert "sentence number 16 is not 01-15 for 'a'" in messages
    assert sorted(data.frame["sentence"]) == ["a01", "n30"]


def test_emodb_invalid_fields_reported(tmp_path):
    touch(tmp_path, "03a01Fa.wav", "04a01Fa.wav", "03c01Fa.wav", "03a01Xa.wav")
    with pytest.warns(CorpusFileWarning) as record:
        data = load_emodb(tmp_path)
    message = str(record[0].message)
    assert "speaker 04 is not one of" in message and "emotion letter X" in message
    assert len(data.frame) == 1 and len(data.skipped) == 3


# --------------------------------------------------------------------------- options and errors


def test_merge_calm_and_emotion_subset(trees):
    root = trees / "ravdess_speech"
    merged = load_ravdess(root, merge_calm=True)
    assert "calm" not in set(merged.y)
    assert (merged.y == "neutral").sum() == 96 + 192
    assert set(merged.frame.loc[merged.frame["emotion"] == "neutral", "label"]) == {"01", "02"}

    six = load_ravdess(root, emotions=COMMON_EMOTIONS)
    assert set(six.y) == set(COMMON_EMOTIONS) and len(six.frame) == 96 + 5 * 192
    six_merged = load_ravdess(root, emotions=COMMON_EMOTIONS, merge_calm=True)
    assert len(six_merged.frame) == len(six.frame) + 192
    assert list(six.target_names) == sorted(COMMON_EMOTIONS)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"emotions": ["angry", "joy"]}, ValueError, r"Unknown emotion name\(s\) \['joy'\]"),
        ({"emotions": "angry"}, TypeError, "list of emotion names"),
        ({"emotions": []}, ValueError, "at least one emotion"),
        ({"emotions": ["surprise"]}, ValueError, "None of the 7 EmoDB clips"),
        ({"merge_calm": "yes"}, TypeError, "merge_calm must be True or False"),
    ],
)
def test_option_errors(trees, kwargs, error, match):
    with pytest.raises(error, match=match):
        load_emodb(trees / "emodb", **kwargs)


def test_root_errors_name_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"EmoDB folder '.*nowhere' does not exist"):
        load_emodb(tmp_path / "nowhere")
    (tmp_path / "file.wav").touch()
    with pytest.raises(NotADirectoryError, match=r"file\.wav' is not a folder"):
        load_tess(tmp_path / "file.wav")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(
        FileNotFoundError, match=r"No SAVEE clips found under '.*empty'.*DC_a01.wav"
    ):
        load_savee(empty)
    with (
        pytest.warns(CorpusFileWarning),
        pytest.raises(
            FileNotFoundError,
            match=r"1 audio file\(s\) were found but none matched, e.g. 'file.wav'",
        ),
    ):
        load_tess(tmp_path)
    with pytest.raises(TypeError, match="root must be the path"):
        load_emodb(None)
    with pytest.raises(ValueError, match="subset must be 'speech' or 'song'"):
        load_ravdess(tmp_path, subset="both")


def test_loading_is_deterministic(trees):
    first = load_tess(trees / "tess").frame
    second = load_tess(trees / "tess").frame
    pd.testing.assert_frame_equal(first, second)


# --------------------------------------------------------------------------- dispatch and combine


@pytest.mark.parametrize(
    "name, corpus_dir, n_clips",
    [
        ("emodb", "emodb", 7),
        ("TESS", "tess", 2800),
        ("CREMA-D", "crema_d", CREMA_FIXTURE_CLIPS - 4),
        ("ravdess_song", "ravdess_song", 1012),
        ("savee", "savee_flat", 480),
    ],
)
def test_load_corpus_dispatches_by_name(trees, name, corpus_dir, n_clips):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusFileWarning)
        data = load_corpus(name, trees / corpus_dir)
    assert len(data.frame) == n_clips


def test_load_corpus_rejects_unknown_names(trees):
    with pytest.raises(ValueError, match=r"Unknown corpus 'iemocap'; choose one of \['ravdess'"):
        load_corpus("iemocap", trees)
    with pytest.raises(TypeError, match="corpus name must be a string"):
        load_corpus(3, trees)


def test_registry_is_the_one_list_of_corpora():
    import sklearn_ser.datasets as datasets

    entries = list_corpora()
    assert tuple(e.name for e in entries) == CORPUS_NAMES
    for entry in entries:
        # The names the registry gives resolve to the public functions, whose docstrings
        # carry the entry's citation.
        assert entry.loader is getattr(datasets, entry.loader_name)
        assert entry.fetcher is getattr(datasets, entry.fetcher_name)
        assert entry.citation.split(" (")[0] in " ".join(entry.loader.__doc__.split())
        assert entry.clips == sum(entry.emotion_counts.values())
        assert set(entry.emotions) <= set(EMOTIONS)
        assert get_corpus(entry.name.upper().replace("_", "-")) is entry


@pytest.mark.parametrize("name", ["ravdess_song", "crema_d", "tess", "savee", "emodb"])
def test_registry_entry_loads_like_its_loader(trees, name):
    folder = {"savee": "savee_flat"}.get(name, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusFileWarning)
        via_entry = get_corpus(name).load(trees / folder)
        options = {"subset": "song"} if name == "ravdess_song" else {}
        direct = get_corpus(name).loader(trees / folder, **options)
    pd.testing.assert_frame_equal(via_entry.frame, direct.frame)
    assert get_corpus(name).title in via_entry.DESCR and "Citation: " in via_entry.DESCR


def test_registry_module_imports_no_corpus_module():
    # The registry names loaders; importing it must not import them (no cycle, cheap to list).
    # The packages are stubbed so that their __init__ (which imports every loader) stays out.
    import subprocess
    import sys

    code = (
        "import sys, types\n"
        "for name, path in (('sklearn_ser', sys.argv[1]), ('sklearn_ser.datasets', sys.argv[2])):\n"
        "    module = sys.modules[name] = types.ModuleType(name)\n"
        "    module.__path__ = [path]\n"
        "import sklearn_ser.datasets._registry as registry\n"
        "assert registry.get_corpus('CREMA-D').loader_name == 'load_crema_d'\n"
        "loaded = [m for m in sys.modules if m.startswith(('sklearn_ser.datasets.', 'pandas'))]\n"
        "print(sorted(loaded))\n"
    )
    package = Path(load_corpus.__code__.co_filename).parent
    out = subprocess.run(
        [sys.executable, "-c", code, str(package.parent), str(package)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(
        ["sklearn_ser.datasets._entry", "sklearn_ser.datasets._registry"]
    )


def test_load_corpora_combines_with_unique_speakers(trees):
    data = load_corpora(
        {
            "ravdess_speech": trees / "ravdess_speech",
            "ravdess_song": trees / "ravdess_song",
            "tess": trees / "tess",
            "savee": trees / "savee_nested",
            "emodb": trees / "emodb",
        },
        emotions=COMMON_EMOTIONS,
        merge_calm=True,
    )
    assert_aligned_combined(data)
    frame = data.frame
    assert set(frame["corpus"]) == {"ravdess", "tess", "savee", "emodb"}
    assert set(data.y) == set(COMMON_EMOTIONS)
    # Speech and song share their actors: the same speaker ids, one corpus.
    speech = set(frame.loc[frame["subset"] == "speech", "speaker"])
    song = set(frame.loc[frame["subset"] == "song", "speaker"])
    assert song < speech
    per_speaker_corpora = frame.groupby("speaker")["corpus"].nunique()
    assert (per_speaker_corpora == 1).all()
    # Corpus-specific columns of other corpora are missing values, not errors.
    assert frame.loc[frame["corpus"] == "tess", "intensity"].isna().all()
    assert frame.loc[frame["corpus"] == "ravdess", "word"].isna().all()
    assert frame["age"].dtype == "Int64" and frame["repetition"].dtype == "Int64"
    # RAVDESS speech + song (calm merged, no disgust in song), TESS and SAVEE without
    # surprise, EmoDB without boredom.
    assert len(frame) == (96 + 192 + 5 * 192) + (92 + 184 + 4 * 184) + 2400 + 420 + 6


def assert_aligned_combined(data):
    np.testing.assert_array_equal(data.X, data.frame["path"].to_numpy())
    np.testing.assert_array_equal(data.y, data.frame["emotion"].to_numpy())
    np.testing.assert_array_equal(data.groups, data.frame["speaker"].to_numpy())


def test_combine_errors(trees):
    emodb = load_emodb(trees / "emodb")
    with pytest.raises(ValueError, match="appear in more than one of the corpora"):
        concat_corpora([emodb, emodb])
    with pytest.raises(ValueError, match="at least one corpus"):
        concat_corpora([])
    with pytest.raises(TypeError, match="item 1 is DataFrame"):
        concat_corpora([emodb, emodb.frame])
    with pytest.raises(ValueError, match="named twice"):
        load_corpora({"emodb": trees / "emodb", "EmoDB": trees / "emodb"})
    with pytest.raises(TypeError, match="unexpected option"):
        load_corpora({"ravdess": trees / "ravdess_song"}, subset="song")
    with pytest.raises(ValueError, match="roots is empty"):
        load_corpora({})
    with pytest.raises(TypeError, match="roots must map corpus names"):
        load_corpora([trees / "emodb"])


def test_concat_keeps_order_and_descriptions(trees):
    emodb, savee = load_emodb(trees / "emodb"), load_savee(trees / "savee_flat")
    data = concat_corpora([savee, emodb])
    assert data.frame["corpus"].tolist() == ["savee"] * 480 + ["emodb"] * 7
    assert "SAVEE" in data.DESCR and "EmoDB" in data.DESCR
    assert "Loaded: 487 clips, 10 speakers (corpus: emodb, savee)" in data.DESCR
