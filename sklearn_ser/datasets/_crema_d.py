"""CREMA-D: Crowd-sourced Emotional Multimodal Actors Dataset (the AudioWAV clips)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
from sklearn.utils import Bunch

from ._base import CorpusFileWarning, _Skip, build_bunch, check_root, scan
from ._fetch import manual_folder

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
CREMA-D (Crowd-sourced Emotional Multimodal Actors Dataset), AudioWAV clips.

7,442 clips from 91 actors (48 male, 43 female, aged 20 to 74, of various races and
ethnicities) speaking 12 sentences with six emotions (anger, disgust, fear, happy, neutral,
sad) at four levels (low, medium, high, unspecified). 16 kHz mono WAV. Emotion labels are the
intended (acted) emotion from the file name, not the crowd-sourced ratings.

File names: actor_sentence_emotion_level.wav, e.g. 1001_DFA_ANG_XX.wav. Actor sex, age, race
and ethnicity come from VideoDemographics.csv when it is present.

Licence: Open Database License (ODbL 1.0); contents under the Database Contents License.
Source: https://github.com/CheyneyComputerScience/CREMA-D (git-lfs).
Citation: Cao H, Cooper DG, Keutmann MK, Gur RC, Nenkova A, Verma R (2014). CREMA-D:
Crowd-sourced Emotional Multimodal Actors Dataset. IEEE Transactions on Affective Computing
5(4): 377-390. doi:10.1109/TAFFC.2014.2336244"""


def _audio_root(root: Path) -> Path:
    # A full repository clone also holds AudioMP3/ and VideoFlash/ copies of every clip;
    # the WAV files meant for computation are in AudioWAV/.
    for child in ("AudioWAV", "audiowav"):
        if (root / child).is_dir():
            return root / child
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
    match = _NAME.match(stem)
    if match is None:
        raise _Skip("name does not follow the CREMA-D pattern 1001_DFA_ANG_XX.wav")
    actor, sentence, emotion, level = match.groups()
    problems = []
    if not 1001 <= int(actor) <= 1091:
        problems.append(f"actor {actor} is not 1001-1091")
    if sentence not in _SENTENCES:
        problems.append(f"sentence code {sentence} is unknown")
    if emotion not in _EMOTIONS:
        problems.append(f"emotion code {emotion} is unknown")
    if level not in _LEVELS:
        problems.append(f"level {level} is not LO, MD, HI or XX")
    if problems:
        raise _Skip("invalid CREMA-D field codes", "; ".join(problems))
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


def load_crema_d(
    root, *, emotions=None, merge_calm=False, exclude_broken=True, demographics=None
) -> Bunch:
    """Index the CREMA-D WAV clips found under ``root``.

    ``root`` may be a clone of the CREMA-D repository (its ``AudioWAV/`` folder is used, so
    the MP3 and video copies of the clips are not counted) or any folder holding the WAV
    files (e.g. the ``AudioWAV`` folder itself or a mirror). Files are never decoded.

    Parameters
    ----------
    root : str or os.PathLike
        Repository clone or folder with ``1001_DFA_ANG_XX.wav``-style files (any depth).
    emotions : list of str, default=None
        Keep only clips with these harmonised emotions; None keeps all six.
    merge_calm : bool, default=False
        Map calm to neutral (CREMA-D has no calm clips; accepted so that every loader takes
        the same options).
    exclude_broken : bool, default=True
        Exclude the clips listed in :data:`CREMA_D_BROKEN_CLIPS`, with a warning naming
        the ones found.
    demographics : str or os.PathLike, default=None
        Path of ``VideoDemographics.csv`` (actor sex, age, race, ethnicity). By default it
        is looked for in ``root``, next to ``AudioWAV/`` and in the parent of ``root``; when
        absent, gender is ``"unknown"``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        frame : pandas.DataFrame
            One row per clip, sorted by path: ``path``, ``emotion``, ``label`` (``ANG``,
            ``DIS``, ``FEA``, ``HAP``, ``NEU``, ``SAD``), ``speaker`` (``"crema_d_1001"``),
            ``gender``, ``corpus`` (``"crema_d"``), ``sentence`` (three-letter code),
            ``text``, ``intensity`` (low/medium/high/unspecified), ``age``, ``race``,
            ``ethnicity``.
        X, y, groups : ndarray of str, shape (n_clips,)
            Paths, harmonised emotions and speaker ids aligned with ``frame``.
        target_names : ndarray of str
            Sorted emotion names present.
        skipped : pandas.DataFrame
            Skipped files (``path``, ``reason``, ``detail``), including excluded broken clips.
        DESCR : str
            Description of the corpus and of what was loaded.

    Raises
    ------
    FileNotFoundError
        If ``root`` (or ``demographics``) does not exist or holds no CREMA-D clip.
    ValueError
        If the demographics file cannot be read or lacks its columns.

    Warns
    -----
    CorpusFileWarning
        For excluded broken clips, files not following the naming, duplicates, and actors
        missing from the demographics file.

    Notes
    -----
    A complete copy holds 7,442 clips from 91 actors; 7,438 remain after the default
    exclusions. The misnamed ``1040_ITH_SAD_X.wav`` of older copies is read as
    ``1040_ITH_SAD_XX``.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_crema_d
    >>> data = load_crema_d("CREMA-D", exclude_broken=False)  # doctest: +SKIP
    >>> len(data.frame), data.frame["speaker"].nunique()  # doctest: +SKIP
    (7442, 91)
    """
    if not isinstance(exclude_broken, bool):
        raise TypeError(f"exclude_broken must be True or False, got {exclude_broken!r}.")
    root = check_root(root, "CREMA-D")
    audio_root = _audio_root(root)
    if demographics is not None:
        demographics = Path(demographics).expanduser()
        if not demographics.is_file():
            raise FileNotFoundError(
                f"The CREMA-D demographics file '{demographics}' does not exist or is not a file."
            )
    else:
        demographics = _find_demographics(root, audio_root)
    actors = _read_demographics(demographics) if demographics is not None else {}

    index = scan(audio_root, _parse)
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
            stacklevel=2,
        )
    return build_bunch(
        index,
        corpus="crema_d",
        name="CREMA-D",
        root=audio_root,
        extra_columns=("sentence", "text", "intensity", "age", "race", "ethnicity"),
        descr=_DESCR,
        expected_name="1001_DFA_ANG_XX.wav",
        emotions=emotions,
        merge_calm=merge_calm,
    )


_HOW_TO_GET = """\
CREMA-D is not in '{folder}', and it cannot be downloaded automatically: there is no single
archive of it. Its 7,442 WAV files are stored with git-lfs in
https://github.com/CheyneyComputerScience/CREMA-D (mirror:
https://gitlab.com/cs-cooper-lab/crema-d-mirror); GitHub's "Download ZIP" only holds
130-byte git-lfs pointers, not audio. To get the WAV files (about 600 MB) into that folder:

    git lfs install
    GIT_LFS_SKIP_SMUDGE=1 git clone https://github.com/CheyneyComputerScience/CREMA-D.git "{folder}"
    cd "{folder}" && git lfs pull --include "AudioWAV/*"

then call fetch_crema_d() again (or load_crema_d(path) for a copy elsewhere). The authors
ask users to fill in the short form linked from the repository's README.
"""


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

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Data folder; see :func:`get_data_home`. The corpus is expected in its ``crema_d``
        subfolder (a clone of the repository or any folder holding the WAV files).
    download_if_missing : bool, default=True
        Accepted for symmetry with the other fetchers; CREMA-D is never downloaded.
    emotions, merge_calm, exclude_broken
        Passed to :func:`load_crema_d`.

    Returns
    -------
    data : Bunch
        As returned by :func:`load_crema_d`.

    Raises
    ------
    FileNotFoundError
        If ``<data_home>/crema_d`` is missing or empty; the message says how to fill it.

    Examples
    --------
    >>> from sklearn_ser.datasets import fetch_crema_d
    >>> data = fetch_crema_d()  # doctest: +SKIP
    """
    folder = manual_folder(
        "crema_d",
        data_home=data_home,
        download_if_missing=download_if_missing,
        instructions=_HOW_TO_GET,
    )
    return load_crema_d(
        folder, emotions=emotions, merge_calm=merge_calm, exclude_broken=exclude_broken
    )
