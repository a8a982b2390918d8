"""TESS: Toronto Emotional Speech Set."""

from __future__ import annotations

import re
from pathlib import Path

from sklearn.utils import Bunch

from ._base import _Skip, build_bunch, check_root, scan
from ._fetch import fetch_archive

__all__ = ["fetch_tess", "load_tess"]

_NAME = re.compile(r"^([A-Za-z]+)_([^_]+)_([A-Za-z]+)$")

_EMOTIONS = {
    "angry": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happy",
    "neutral": "neutral",
    "ps": "surprise",  # "pleasant surprise"
    "sad": "sad",
}
_SPEAKERS = {"OAF": 64, "YAF": 26}  # older and younger adult female, age at recording
# The corpus ships one file misnamed OA_bite_neutral.wav (in OAF_neutral/); reading "OA"
# as a third speaker would create a one-clip speaker.
_SPEAKER_ALIASES = {"OA": "OAF"}

_DESCR = """\
TESS (Toronto Emotional Speech Set).

Two actresses (aged 64 and 26; speakers OAF and YAF) say 200 target words in the carrier
phrase "Say the word _____" with seven emotions (anger, disgust, fear, happiness, pleasant
surprise, sadness, neutral): 2,800 clips, 400 per emotion. 24,414 Hz WAV. Pleasant surprise
(ps) is harmonised to "surprise".

File names: speaker_word_emotion.wav, e.g. OAF_back_angry.wav, YAF_bite_ps.wav; folder names
vary between copies (OAF_Pleasant_surprise, YAF_pleasant_surprised, ...) and are not used.

Licence: CC BY-NC-ND 4.0. Source: https://doi.org/10.5683/SP2/E8H2MF (University of Toronto
Dataverse, Borealis).
Citation: Pichora-Fuller MK, Dupuis K (2020). Toronto emotional speech set (TESS). Borealis,
V1. doi:10.5683/SP2/E8H2MF"""


def _parse(path: Path) -> dict:
    match = _NAME.match(path.stem)
    if match is None:
        raise _Skip("name does not follow the TESS pattern OAF_back_angry.wav")
    speaker, word, emotion = match.groups()
    speaker = _SPEAKER_ALIASES.get(speaker.upper(), speaker.upper())
    emotion = emotion.lower()
    problems = []
    if speaker not in _SPEAKERS:
        problems.append(f"speaker {match.group(1)} is not OAF or YAF")
    if emotion not in _EMOTIONS:
        problems.append(f"emotion {match.group(3)} is not one of {sorted(_EMOTIONS)}")
    if problems:
        raise _Skip("invalid TESS name fields", "; ".join(problems))
    word = word.lower()
    return {
        "key": f"{speaker}_{word}_{emotion}",
        "emotion": _EMOTIONS[emotion],
        "label": emotion,
        "speaker": speaker,
        "gender": "female",
        "word": word,
        "text": f"Say the word {word}",
        "age": _SPEAKERS[speaker],
    }


def load_tess(root, *, emotions=None, merge_calm=False) -> Bunch:
    """Index the TESS clips found under ``root``.

    Clips are recognised by their file names, so the differently spelled folders of the
    official release and of mirrors (``OAF_Pleasant_surprise``, ``YAF_pleasant_surprised``,
    ``OAF_Fear``, a doubly nested ``TESS Toronto emotional speech set data/``) all work.
    Files are never decoded.

    Parameters
    ----------
    root : str or os.PathLike
        Folder holding the TESS WAV files (any depth).
    emotions : list of str, default=None
        Keep only clips with these harmonised emotions; None keeps all seven.
    merge_calm : bool, default=False
        Map calm to neutral (TESS has no calm clips; accepted so that every loader takes the
        same options).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        frame : pandas.DataFrame
            One row per clip, sorted by path: ``path``, ``emotion``, ``label`` (``angry``,
            ``disgust``, ``fear``, ``happy``, ``neutral``, ``ps``, ``sad``), ``speaker``
            (``"tess_OAF"``, ``"tess_YAF"``), ``gender``, ``corpus`` (``"tess"``), ``word``,
            ``text``, ``age``.
        X, y, groups : ndarray of str, shape (n_clips,)
            Paths, harmonised emotions and speaker ids aligned with ``frame``.
        target_names : ndarray of str
            Sorted emotion names present.
        skipped : pandas.DataFrame
            Skipped files (``path``, ``reason``, ``detail``).
        DESCR : str
            Description of the corpus and of what was loaded.

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist or holds no TESS clip.

    Warns
    -----
    CorpusFileWarning
        For audio files not following the naming and for duplicated clips.

    Notes
    -----
    A complete copy holds 2,800 clips from 2 speakers. The misnamed ``OA_bite_neutral.wav``
    of the release is attributed to speaker OAF.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_tess
    >>> data = load_tess("TESS")  # doctest: +SKIP
    >>> data.frame.groupby("speaker").size()  # doctest: +SKIP
    speaker
    tess_OAF    1400
    tess_YAF    1400
    dtype: int64
    """
    root = check_root(root, "TESS")
    return build_bunch(
        scan(root, _parse),
        corpus="tess",
        name="TESS",
        root=root,
        extra_columns=("word", "text", "age"),
        descr=_DESCR,
        expected_name="OAF_back_angry.wav",
        emotions=emotions,
        merge_calm=merge_calm,
    )


def fetch_tess(
    *, data_home=None, download_if_missing=True, emotions=None, merge_calm=False
) -> Bunch:
    """Download (once) and load TESS from the University of Toronto Dataverse (Borealis).

    All files of dataset ``doi:10.5683/SP2/E8H2MF`` are downloaded as one zip through the
    Dataverse access API, extracted safely and atomically into ``<data_home>/tess/`` and used
    only if they hold exactly 2,800 clips from 2 speakers. Later calls load the extracted
    folder without network access.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Download folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise :class:`FileNotFoundError` instead of downloading.
    emotions : list of str, default=None
        Passed to :func:`load_tess`.
    merge_calm : bool, default=False
        Passed to :func:`load_tess`.

    Returns
    -------
    data : Bunch
        As returned by :func:`load_tess`.

    Raises
    ------
    DownloadError
        If the download fails, is cut short, is not a valid zip or does not hold the 2,800
        clips (Dataverse may leave out files of a bulk download that exceeds its size limit;
        the error says so). Nothing partial is left behind; calling again restarts cleanly.
    FileNotFoundError
        If the corpus is missing and ``download_if_missing=False``.

    Notes
    -----
    Dataverse assembles the zip on the fly, so its bytes and any checksum of them change
    between downloads: no SHA-256 can be pinned. Integrity rests on the zip's per-file
    CRC-32 and on the exact clip and speaker counts. If the bulk download fails, download the
    files from https://doi.org/10.5683/SP2/E8H2MF by hand and use :func:`load_tess`.
    TESS is licensed CC BY-NC-ND 4.0.

    Examples
    --------
    >>> from sklearn_ser.datasets import fetch_tess
    >>> data = fetch_tess()  # doctest: +SKIP
    >>> len(data.frame)  # doctest: +SKIP
    2800
    """
    folder = fetch_archive(
        "tess",
        data_home=data_home,
        download_if_missing=download_if_missing,
        loader=load_tess,
        corpus="TESS",
    )
    return load_tess(folder, emotions=emotions, merge_calm=merge_calm)
