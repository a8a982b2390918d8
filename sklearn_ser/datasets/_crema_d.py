"""CREMA-D: Crowd-sourced Emotional Multimodal Actors Dataset (the audio clips)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
from sklearn.utils import Bunch

from ._base import CorpusFileWarning
from ._bunch import index_corpus
from ._docs import corpus_doc
from ._fetch import fetch_corpus
from ._scan import Naming, _Index, check_fields, name_fields

__all__ = ["CREMA_D_BROKEN_CLIPS", "fetch_crema_d", "load_crema_d"]

#: Clips excluded by default (``exclude_broken=True``), with the reason. These are the four
#: clips that CREMA-D users have reported as unusable and that are excluded throughout the
#: literature and public code: two are (nearly) empty recordings, one has (almost) no duration
#: and one is about a minute long and contains every emotion for its sentence. The list is
#: documented in ``docs/corpora.rst``; pass ``exclude_broken=False`` to keep them.
CREMA_D_BROKEN_CLIPS = {
    "1076_MTI_SAD_XX": "no audio (empty recording)",
    "1076_MTI_NEU_XX": "nearly empty recording (a few frames long)",
    "1064_TIE_SAD_XX": "no duration (truncated recording)",
    "1064_IEO_DIS_MD": "about one minute long, holds every emotion for its sentence",
}

# Some copies (e.g. older clones and the Kaggle mirror) carry the file misnamed
# 1040_ITH_SAD_X.wav; upstream renamed it to 1040_ITH_SAD_XX.wav (CREMA-D issue #6).
_RENAMED = {"1040_ITH_SAD_X": "1040_ITH_SAD_XX"}

_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")

_EMOTIONS = {
    "ANG": "angry",
    "DIS": "disgust",
    "FEA": "fear",
    "HAP": "happy",
    "NEU": "neutral",
    "SAD": "sad",
}
_LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
_SENTENCES = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}
_DEMOGRAPHICS_FILE = "VideoDemographics.csv"
_DEMOGRAPHICS_COLUMNS = ("ActorID", "Age", "Sex", "Race", "Ethnicity")

_DESCR = """\
CREMA-D (Crowd-sourced Emotional Multimodal Actors Dataset), audio clips.

7,442 clips from 91 actors (48 male, 43 female, aged 20 to 74, of various races and
ethnicities) speaking 12 sentences with six emotions (anger, disgust, fear, happy, neutral,
sad) at four levels (low, medium, high, unspecified). 16 kHz mono WAV (AudioWAV/) and MP3
(AudioMP3/) in the release; copies in any format soundfile decodes (e.g. AudioOpus/) load the
same. Emotion labels are the intended (acted) emotion from the file name, not the
crowd-sourced ratings.

File names: actor_sentence_emotion_level.wav, e.g. 1001_DFA_ANG_XX.wav. Actor sex, age, race
and ethnicity come from VideoDemographics.csv when it is present."""


# A full repository clone holds every clip in AudioWAV/, again in AudioMP3/ and as video in
# VideoFlash/; transcoded copies use a folder per format (AudioOpus/ ...). One audio folder is
# indexed, the least lossy one present, so that no clip is counted twice.
_AUDIO_FOLDERS = ("audiowav", "audioflac", "audioopus", "audioogg", "audiomp3")


def _audio_root(root: Path) -> Path:
    children = {p.name.lower(): p for p in root.iterdir() if p.is_dir()}
    for name in _AUDIO_FOLDERS:
        if name in children:
            return children[name]
    return root


def _find_demographics(root: Path, audio_root: Path) -> Path | None:
    for folder in (root, audio_root.parent, root.parent):
        candidate = folder / _DEMOGRAPHICS_FILE
        if candidate.is_file():
            return candidate
    return None


def _read_demographics(path: Path) -> dict[str, dict]:
    try:
        table = pd.read_csv(path, dtype=str)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ValueError(f"Cannot read the CREMA-D demographics file '{path}': {exc}") from exc
    missing = [c for c in _DEMOGRAPHICS_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"The CREMA-D demographics file '{path}' lacks the column(s) {missing}; "
            f"expected {list(_DEMOGRAPHICS_COLUMNS)}."
        )
    info = {}
    for row in table.itertuples(index=False):
        actor = str(row.ActorID).strip()
        sex = str(row.Sex).strip().lower()
        try:
            age = int(str(row.Age).strip())
        except ValueError:
            age = None
        info[actor] = {
            "gender": sex if sex in ("male", "female") else "unknown",
            "age": age,
            "race": str(row.Race).strip(),
            "ethnicity": str(row.Ethnicity).strip(),
        }
    return info


def _parse(path: Path) -> dict:
    stem = _RENAMED.get(path.stem, path.stem)
    actor, sentence, emotion, level = name_fields(
        _NAME, stem, "the CREMA-D pattern 1001_DFA_ANG_XX.wav"
    )
    check_fields(
        "invalid CREMA-D field codes",
        (1001 <= int(actor) <= 1091, f"actor {actor} is not 1001-1091"),
        (sentence in _SENTENCES, f"sentence code {sentence} is unknown"),
        (emotion in _EMOTIONS, f"emotion code {emotion} is unknown"),
        (level in _LEVELS, f"level {level} is not LO, MD, HI or XX"),
    )
    return {
        "key": stem,
        "emotion": _EMOTIONS[emotion],
        "label": emotion,
        "speaker": actor,
        "gender": "unknown",
        "sentence": sentence,
        "text": _SENTENCES[sentence],
        "intensity": _LEVELS[level],
    }


_NAMING = Naming(
    _parse, "1001_DFA_ANG_XX.wav", ("sentence", "text", "intensity", "age", "race", "ethnicity")
)


@corpus_doc("crema_d")
def load_crema_d(
    root, *, emotions=None, merge_calm=False, exclude_broken=True, demographics=None
) -> Bunch:
    """Index the CREMA-D clips found under ``root``.

    ``root`` may be a clone of the CREMA-D repository or a copy with one folder per audio
    format: one of ``AudioWAV/``, ``AudioFLAC/``, ``AudioOpus/``, ``AudioOgg/``,
    ``AudioMP3/`` is used, in this order of preference (any case), so the other copies of the
    clips are not counted twice. It may also be any folder holding the clips (e.g. the
    ``AudioWAV`` folder itself or a flat mirror), in any audio format soundfile decodes.
    Files are never decoded.

    Parameters
    ----------
    root : str or os.PathLike
        Repository clone or folder with ``1001_DFA_ANG_XX.wav``-style files (any depth, any
        extension soundfile decodes: ``.wav``, ``.opus``, ``.mp3`` ...).
    {{emotions}}
    {{merge_calm}}
    exclude_broken : bool, default=True
        Exclude the clips listed in :data:`CREMA_D_BROKEN_CLIPS`, with a warning naming
        the ones found.
    demographics : str or os.PathLike, default=None
        Path of ``VideoDemographics.csv`` (actor sex, age, race, ethnicity). By default it
        is looked for in ``root``, next to the audio folder and in the parent of ``root``;
        when absent, gender is ``"unknown"``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        frame : pandas.DataFrame
            One row per clip, sorted by path: ``path``, ``emotion``, ``label`` (``ANG``,
            ``DIS``, ``FEA``, ``HAP``, ``NEU``, ``SAD``), ``speaker`` (``"crema_d_1001"``),
            ``gender``, ``corpus`` (``"crema_d"``), ``sentence`` (three-letter code),
            ``text``, ``intensity`` (low/medium/high/unspecified), ``age``, ``race``,
            ``ethnicity``.
        {{bunch_fields}}

    Raises
    ------
    FileNotFoundError
        If ``root`` (or ``demographics``) does not exist or holds no CREMA-D clip.
    ValueError
        If the demographics file cannot be read or lacks its columns.

    Warns
    -----
    {{loader_warns}}
        Excluded broken clips and actors missing from the demographics file are reported
        the same way.

    Notes
    -----
    A complete copy holds 7,442 clips from 91 actors (angry, disgust, fear, happy, sad 1,271
    each, neutral 1,087); 7,438 remain after the default exclusions, which ``skipped`` lists
    with the reason. The misnamed
    ``1040_ITH_SAD_X.wav`` of older copies is read as ``1040_ITH_SAD_XX``.

    {{references}}

    Examples
    --------
    >>> from sklearn_ser.datasets import load_crema_d
    >>> data = load_crema_d("CREMA-D", exclude_broken=False)  # doctest: +SKIP
    >>> len(data.frame), data.frame["speaker"].nunique()  # doctest: +SKIP
    (7442, 91)
    """
    if not isinstance(exclude_broken, bool):
        raise TypeError(f"exclude_broken must be True or False, got {exclude_broken!r}.")
    if demographics is not None:
        demographics = Path(demographics).expanduser()
        if not demographics.is_file():
            raise FileNotFoundError(
                f"The CREMA-D demographics file '{demographics}' does not exist or is not a file."
            )
    found = {}

    def audio_folder(checked_root: Path) -> Path:
        audio_root = _audio_root(checked_root)
        found["demographics"] = demographics or _find_demographics(checked_root, audio_root)
        return audio_root

    def refine(index: _Index) -> None:
        _exclude_and_describe(index, exclude_broken, found["demographics"])

    return index_corpus(
        "crema_d",
        root,
        _NAMING,
        _DESCR,
        emotions,
        merge_calm,
        audio_folder=audio_folder,
        refine=refine,
    )


def _exclude_and_describe(index: _Index, exclude_broken: bool, demographics) -> None:
    """Drop the known-broken clips (reported) and add the actors' demographics."""
    actors = _read_demographics(demographics) if demographics is not None else {}
    kept = []
    unknown_actors = set()
    for record in index.records:
        if exclude_broken and record["key"] in CREMA_D_BROKEN_CLIPS:
            index.skip(
                record["path"],
                "known-broken CREMA-D clip excluded (exclude_broken=True)",
                CREMA_D_BROKEN_CLIPS[record["key"]],
            )
            continue
        info = actors.get(record["speaker"])
        if info is None and demographics is not None:
            unknown_actors.add(record["speaker"])
        record.update(info or {"age": None, "race": None, "ethnicity": None})
        kept.append(record)
    index.records = kept
    if unknown_actors:
        warnings.warn(
            f"CREMA-D: actor(s) {sorted(unknown_actors)} are missing from '{demographics}'; "
            "their gender is 'unknown'.",
            CorpusFileWarning,
            stacklevel=5,
        )


@corpus_doc("crema_d")
def fetch_crema_d(
    *,
    data_home=None,
    download_if_missing=True,
    emotions=None,
    merge_calm=False,
    exclude_broken=True,
) -> Bunch:
    """Load CREMA-D from ``<data_home>/crema_d/``, or explain how to put it there.

    CREMA-D has no stable downloadable archive: the audio lives in git-lfs storage of the
    authors' GitHub repository, which needs ``git lfs`` to fetch (a plain download of the
    repository gives text pointers instead of audio). This function therefore does not
    download; if the folder is missing or empty it raises :class:`FileNotFoundError` whose
    message gives the exact commands to clone the audio into it.

    {{fetch_sections}}

    {{references}}

    {{fetch_examples}}
    """
    return fetch_corpus(
        "crema_d",
        data_home,
        download_if_missing,
        emotions,
        merge_calm,
        exclude_broken=exclude_broken,
    )
