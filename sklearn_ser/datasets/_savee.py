"""SAVEE: Surrey Audio-Visual Expressed Emotion database (audio part)."""

from __future__ import annotations

import re
from pathlib import Path

from sklearn.utils import Bunch

from ._bunch import index_corpus
from ._docs import corpus_doc
from ._fetch import fetch_corpus
from ._scan import Naming, _Skip, check_fields, name_fields

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
or flat with a speaker prefix (DC_a01.wav)."""


def _parse(path: Path) -> dict:
    flat = _FLAT.match(path.stem)
    if flat is not None:
        speaker, code, number = flat.groups()
        speaker = speaker.upper()
    else:
        code, number = name_fields(
            _NESTED, path.stem, "the SAVEE pattern DC_a01.wav or DC/a01.wav"
        )
        speaker = path.parent.name.upper()
        if speaker not in _SPEAKERS:
            raise _Skip(
                "SAVEE clip without a speaker: the name has no DC_/JE_/JK_/KL_ prefix and "
                "its folder is not named after a speaker",
                f"folder '{path.parent.name}'",
            )
    code = code.lower()
    last = _SENTENCES_PER_EMOTION.get(code)
    check_fields(
        "invalid SAVEE name fields",
        (speaker in _SPEAKERS, f"speaker {speaker} is not one of {list(_SPEAKERS)}"),
        (last is not None, f"emotion code {code!r} is not one of {sorted(_EMOTIONS)}"),
        (
            last is None or 1 <= int(number) <= last,
            f"sentence number {number} is not 01-{last or 0:02d} for {code!r}",
        ),
    )
    return {
        "key": f"{speaker}_{code}{number}",
        "emotion": _EMOTIONS[code],
        "label": code,
        "speaker": speaker,
        "gender": "male",
        "sentence": f"{code}{number}",
    }


_NAMING = Naming(_parse, "DC_a01.wav or DC/a01.wav", ("sentence",))


@corpus_doc("savee")
def load_savee(root, *, emotions=None, merge_calm=False) -> Bunch:
    """Index the SAVEE audio clips found under ``root``.

    Both layouts in use are recognised: the official ``AudioData/<speaker>/a01.wav`` and the
    flat ``DC_a01.wav`` of common mirrors, in any audio format soundfile decodes.

    {{loader_parameters}}

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        frame : pandas.DataFrame
            One row per clip, sorted by path: ``path``, ``emotion``, ``label`` (``a``, ``d``,
            ``f``, ``h``, ``n``, ``sa``, ``su``), ``speaker`` (``"savee_DC"`` ...), ``gender``
            (all male), ``corpus`` (``"savee"``), ``sentence`` (e.g. ``"sa03"``).
        {{bunch_fields}}

    {{loader_raises_warns}}

    Notes
    -----
    A complete copy holds 480 clips from 4 speakers (120 each: 15 per emotion, 30 neutral).

    {{references}}

    Examples
    --------
    >>> from sklearn_ser.datasets import load_savee
    >>> data = load_savee("SAVEE")  # doctest: +SKIP
    >>> len(data.frame), data.frame["speaker"].nunique()  # doctest: +SKIP
    (480, 4)
    """
    return index_corpus("savee", root, _NAMING, _DESCR, emotions=emotions, merge_calm=merge_calm)


@corpus_doc("savee")
def fetch_savee(
    *, data_home=None, download_if_missing=True, emotions=None, merge_calm=False
) -> Bunch:
    """Load SAVEE from ``<data_home>/savee/``, or explain how to get it and where to put it.

    SAVEE is only distributed to registered users, so it cannot be downloaded
    automatically. If the folder is missing or empty this raises
    :class:`FileNotFoundError` whose message explains the registration, the download and
    the expected layout.

    {{fetch_sections}}

    {{references}}

    {{fetch_examples}}
    """
    return fetch_corpus("savee", data_home, download_if_missing, emotions, merge_calm)
