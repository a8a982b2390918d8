"""SAVEE: Surrey Audio-Visual Expressed Emotion database (audio part)."""

from __future__ import annotations

import re
from pathlib import Path

from sklearn.utils import Bunch

from ._base import _Skip, build_bunch, check_root, scan
from ._fetch import manual_folder

__all__ = ["fetch_savee", "load_savee"]

_SPEAKERS = ("DC", "JE", "JK", "KL")
_FLAT = re.compile(r"^([A-Za-z]{2})_([A-Za-z]{1,2})(\d{2})$")  # DC_a01 (mirrors: ALL/)
_NESTED = re.compile(r"^([A-Za-z]{1,2})(\d{2})$")  # DC/a01 (official AudioData/)

_EMOTIONS = {
    "a": "angry",
    "d": "disgust",
    "f": "fear",
    "h": "happy",
    "n": "neutral",
    "sa": "sad",
    "su": "surprise",
}
# Each speaker says 15 sentences per emotion and 30 neutral ones.
_SENTENCES_PER_EMOTION = {code: 30 if code == "n" else 15 for code in _EMOTIONS}

_DESCR = """\
SAVEE (Surrey Audio-Visual Expressed Emotion), audio.

Four male native English speakers (DC, JE, JK, KL; postgraduate students and researchers at
the University of Surrey) read phonetically balanced TIMIT sentences with seven emotions:
15 sentences per emotion and 30 neutral ones per speaker, 120 clips per speaker, 480 in all.
44.1 kHz mono WAV.

File names: emotion code and sentence number, a01 ... su15 (a anger, d disgust, f fear,
h happiness, n neutral, sa sadness, su surprise), in per-speaker folders (AudioData/DC/a01.wav)
or flat with a speaker prefix (DC_a01.wav).

Licence: free for research use after registration; no redistribution.
Source: http://kahlan.eps.surrey.ac.uk/savee/ (registration required).
Citation: Haq S, Jackson PJB (2010). Multimodal emotion recognition. In W Wang (ed.), Machine
Audition: Principles, Algorithms and Systems, IGI Global, 398-423.
doi:10.4018/978-1-61520-919-4.ch017"""


def _parse(path: Path) -> dict:
    flat = _FLAT.match(path.stem)
    if flat is not None:
        speaker, code, number = flat.groups()
        speaker = speaker.upper()
    else:
        nested = _NESTED.match(path.stem)
        if nested is None:
            raise _Skip("name does not follow the SAVEE pattern DC_a01.wav or DC/a01.wav")
        code, number = nested.groups()
        speaker = path.parent.name.upper()
        if speaker not in _SPEAKERS:
            raise _Skip(
                "SAVEE clip without a speaker: the name has no DC_/JE_/JK_/KL_ prefix and "
                "its folder is not named after a speaker",
                f"folder '{path.parent.name}'",
            )
    code = code.lower()
    problems = []
    if speaker not in _SPEAKERS:
        problems.append(f"speaker {speaker} is not one of {list(_SPEAKERS)}")
    if code not in _EMOTIONS:
        problems.append(f"emotion code {code!r} is not one of {sorted(_EMOTIONS)}")
    elif not 1 <= int(number) <= _SENTENCES_PER_EMOTION[code]:
        problems.append(
            f"sentence number {number} is not 01-{_SENTENCES_PER_EMOTION[code]:02d} for {code!r}"
        )
    if problems:
        raise _Skip("invalid SAVEE name fields", "; ".join(problems))
    return {
        "key": f"{speaker}_{code}{number}",
        "emotion": _EMOTIONS[code],
        "label": code,
        "speaker": speaker,
        "gender": "male",
        "sentence": f"{code}{number}",
    }


def load_savee(root, *, emotions=None, merge_calm=False) -> Bunch:
    """Index the SAVEE audio clips found under ``root``.

    Both layouts in use are recognised: the official ``AudioData/<speaker>/a01.wav`` and the
    flat ``DC_a01.wav`` of common mirrors. Files are never decoded.

    Parameters
    ----------
    root : str or os.PathLike
        Folder holding the SAVEE WAV files (any depth).
    emotions : list of str, default=None
        Keep only clips with these harmonised emotions; None keeps all seven.
    merge_calm : bool, default=False
        Map calm to neutral (SAVEE has no calm clips; accepted so that every loader takes the
        same options).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        frame : pandas.DataFrame
            One row per clip, sorted by path: ``path``, ``emotion``, ``label`` (``a``, ``d``,
            ``f``, ``h``, ``n``, ``sa``, ``su``), ``speaker`` (``"savee_DC"`` ...), ``gender``
            (all male), ``corpus`` (``"savee"``), ``sentence`` (e.g. ``"sa03"``).
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
        If ``root`` does not exist or holds no SAVEE clip.

    Warns
    -----
    CorpusFileWarning
        For audio files not following the naming and for duplicated clips.

    Notes
    -----
    A complete copy holds 480 clips from 4 speakers (120 each: 15 per emotion, 30 neutral).

    Examples
    --------
    >>> from sklearn_ser.datasets import load_savee
    >>> data = load_savee("SAVEE")  # doctest: +SKIP
    >>> len(data.frame), data.frame["speaker"].nunique()  # doctest: +SKIP
    (480, 4)
    """
    root = check_root(root, "SAVEE")
    return build_bunch(
        scan(root, _parse),
        corpus="savee",
        name="SAVEE",
        root=root,
        extra_columns=("sentence",),
        descr=_DESCR,
        expected_name="DC_a01.wav or DC/a01.wav",
        emotions=emotions,
        merge_calm=merge_calm,
    )


_HOW_TO_GET = """\
SAVEE is not in '{folder}', and it cannot be downloaded automatically: the University of
Surrey distributes it only to registered users, for research.
1. Register at http://kahlan.eps.surrey.ac.uk/savee/ (page "Register"); you receive a user
   name and password by e-mail.
2. Download the audio data ("AudioData") from the same site with these credentials.
3. Extract it so that the WAV files are below that folder, e.g.
   {folder}/AudioData/DC/a01.wav (the flat layout DC_a01.wav of mirrors works too).
Then call fetch_savee() again, or load_savee(path) for a copy elsewhere.
"""


def fetch_savee(
    *, data_home=None, download_if_missing=True, emotions=None, merge_calm=False
) -> Bunch:
    """Load SAVEE from ``<data_home>/savee/``, or explain how to get it and where to put it.

    SAVEE is only distributed to registered users, so it cannot be downloaded
    automatically. If the folder is missing or empty this raises
    :class:`FileNotFoundError` whose message explains the registration, the download and
    the expected layout.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Data folder; see :func:`get_data_home`. The corpus is expected in its ``savee``
        subfolder.
    download_if_missing : bool, default=True
        Accepted for symmetry with the other fetchers; SAVEE is never downloaded.
    emotions, merge_calm
        Passed to :func:`load_savee`.

    Returns
    -------
    data : Bunch
        As returned by :func:`load_savee`.

    Raises
    ------
    FileNotFoundError
        If ``<data_home>/savee`` is missing or empty; the message says how to fill it.

    Examples
    --------
    >>> from sklearn_ser.datasets import fetch_savee
    >>> data = fetch_savee()  # doctest: +SKIP
    """
    folder = manual_folder(
        "savee",
        data_home=data_home,
        download_if_missing=download_if_missing,
        instructions=_HOW_TO_GET,
    )
    return load_savee(folder, emotions=emotions, merge_calm=merge_calm)
