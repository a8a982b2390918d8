"""EmoDB: Berlin Database of Emotional Speech."""

from __future__ import annotations

import re
from pathlib import Path

from sklearn.utils import Bunch

from ._base import _Skip, build_bunch, check_root, scan
from ._fetch import fetch_archive

__all__ = ["fetch_emodb", "load_emodb"]

_NAME = re.compile(r"^(\d{2})([ab]\d{2})([A-Z])([a-z])$")

# Emotion letters are the initials of the German words: Wut (anger), Langeweile (boredom),
# Ekel (disgust), Angst (fear), Freude (happiness), Trauer (sadness), Neutral.
_EMOTIONS = {
    "W": "angry",
    "L": "boredom",
    "E": "disgust",
    "A": "fear",
    "F": "happy",
    "T": "sad",
    "N": "neutral",
}
_SPEAKERS = {  # speaker: (gender, age at recording)
    "03": ("male", 31),
    "08": ("female", 34),
    "09": ("female", 21),
    "10": ("male", 32),
    "11": ("male", 26),
    "12": ("male", 30),
    "13": ("female", 32),
    "14": ("female", 35),
    "15": ("male", 25),
    "16": ("female", 31),
}
_TEXTS = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}

_DESCR = """\
EmoDB (Berlin Database of Emotional Speech).

Ten professional actors (5 female, 5 male; speakers 03 08 09 10 11 12 13 14 15 16) say ten
everyday German sentences with seven emotions. The 535 clips kept in the public release are
those recognised by at least 80 % and judged natural by more than 60 % of the listeners:
anger 127, boredom 81, neutral 79, happiness 71, fear 69, sadness 62, disgust 46.
16 kHz mono WAV.

File names: speaker, sentence, emotion letter, version, e.g. 03a01Fa.wav. Emotion letters:
W anger, L boredom, E disgust, A fear, F happiness, T sadness, N neutral.

Licence: free of charge for research use. Source: http://emodb.bilderbar.info/
(download: http://emodb.bilderbar.info/download/download.zip).
Citation: Burkhardt F, Paeschke A, Rolfes M, Sendlmeier WF, Weiss B (2005). A database of
German emotional speech. Proc. Interspeech 2005, 1517-1520."""


def _parse(path: Path) -> dict:
    match = _NAME.match(path.stem)
    if match is None:
        raise _Skip("name does not follow the EmoDB pattern 03a01Fa.wav")
    speaker, sentence, letter, version = match.groups()
    problems = []
    if speaker not in _SPEAKERS:
        problems.append(f"speaker {speaker} is not one of {sorted(_SPEAKERS)}")
    if sentence not in _TEXTS:
        problems.append(f"sentence code {sentence} is not one of {sorted(_TEXTS)}")
    if letter not in _EMOTIONS:
        problems.append(f"emotion letter {letter} is not one of {sorted(_EMOTIONS)}")
    if problems:
        raise _Skip("invalid EmoDB name fields", "; ".join(problems))
    gender, age = _SPEAKERS[speaker]
    return {
        "key": path.stem,
        "emotion": _EMOTIONS[letter],
        "label": letter,
        "speaker": speaker,
        "gender": gender,
        "sentence": sentence,
        "text": _TEXTS[sentence],
        "version": version,
        "age": age,
    }


def load_emodb(root, *, emotions=None, merge_calm=False) -> Bunch:
    """Index the EmoDB clips found under ``root``.

    ``root`` may be the extracted ``download.zip`` (clips in ``wav/``) or any folder holding
    the WAV files. Files are never decoded.

    Parameters
    ----------
    root : str or os.PathLike
        Folder holding the EmoDB WAV files (any depth).
    emotions : list of str, default=None
        Keep only clips with these harmonised emotions; None keeps all seven.
    merge_calm : bool, default=False
        Map calm to neutral (EmoDB has no calm clips; accepted so that every loader takes the
        same options).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        frame : pandas.DataFrame
            One row per clip, sorted by path: ``path``, ``emotion``, ``label`` (the German
            letter ``W L E A F T N``), ``speaker`` (``"emodb_03"`` ...), ``gender``,
            ``corpus`` (``"emodb"``), ``sentence`` (``a01`` ... ``b10``), ``text``,
            ``version`` (a, b, ...), ``age``.
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
        If ``root`` does not exist or holds no EmoDB clip.

    Warns
    -----
    CorpusFileWarning
        For audio files not following the naming and for duplicated clips.

    Notes
    -----
    A complete copy holds 535 clips from 10 speakers: angry 127, boredom 81, neutral 79,
    happy 71, fear 69, sad 62, disgust 46.

    Examples
    --------
    >>> from sklearn_ser.datasets import load_emodb
    >>> data = load_emodb("emodb")  # doctest: +SKIP
    >>> data.frame["emotion"].value_counts().to_dict()  # doctest: +SKIP
    {'angry': 127, 'boredom': 81, 'neutral': 79, 'happy': 71, 'fear': 69, 'sad': 62, 'disgust': 46}
    """
    root = check_root(root, "EmoDB")
    return build_bunch(
        scan(root, _parse),
        corpus="emodb",
        name="EmoDB",
        root=root,
        extra_columns=("sentence", "text", "version", "age"),
        descr=_DESCR,
        expected_name="03a01Fa.wav",
        emotions=emotions,
        merge_calm=merge_calm,
    )


def fetch_emodb(
    *, data_home=None, download_if_missing=True, emotions=None, merge_calm=False
) -> Bunch:
    """Download (once) and load EmoDB from its authors' site.

    ``http://emodb.bilderbar.info/download/download.zip`` (about 40 MB) is extracted safely
    and atomically into ``<data_home>/emodb/`` and used only if it holds exactly 535 clips
    from 10 speakers. Later calls load the extracted folder without network access.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Download folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise :class:`FileNotFoundError` instead of downloading.
    emotions : list of str, default=None
        Passed to :func:`load_emodb`.
    merge_calm : bool, default=False
        Passed to :func:`load_emodb`.

    Returns
    -------
    data : Bunch
        As returned by :func:`load_emodb`.

    Raises
    ------
    DownloadError
        If the download fails, is cut short, is not a valid zip or does not hold the 535
        clips. Nothing partial is left behind; calling again restarts cleanly.
    FileNotFoundError
        If the corpus is missing and ``download_if_missing=False``.

    Notes
    -----
    The authors publish no checksum and the archive is served over plain HTTP, so no
    SHA-256 is pinned: integrity rests on the zip's per-file CRC-32 and on the exact
    clip and speaker counts. EmoDB is free for research use; cite Burkhardt et al. (2005).

    Examples
    --------
    >>> from sklearn_ser.datasets import fetch_emodb
    >>> data = fetch_emodb()  # doctest: +SKIP
    >>> len(data.frame)  # doctest: +SKIP
    535
    """
    folder = fetch_archive(
        "emodb",
        data_home=data_home,
        download_if_missing=download_if_missing,
        loader=load_emodb,
        corpus="EmoDB",
    )
    return load_emodb(folder, emotions=emotions, merge_calm=merge_calm)
