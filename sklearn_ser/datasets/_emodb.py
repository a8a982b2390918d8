"""EmoDB: Berlin Database of Emotional Speech."""

from __future__ import annotations

import re
from pathlib import Path

from sklearn.utils import Bunch

from ._bunch import index_corpus
from ._docs import corpus_doc
from ._fetch import fetch_corpus
from ._scan import Naming, check_fields, name_fields

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
16 kHz mono WAV in the release (any audio format soundfile decodes is read).

File names: speaker, sentence, emotion letter, version, e.g. 03a01Fa.wav. Emotion letters:
W anger, L boredom, E disgust, A fear, F happiness, T sadness, N neutral."""


def _parse(path: Path) -> dict:
    speaker, sentence, letter, version = name_fields(
        _NAME, path.stem, "the EmoDB pattern 03a01Fa.wav"
    )
    check_fields(
        "invalid EmoDB name fields",
        (speaker in _SPEAKERS, f"speaker {speaker} is not one of {sorted(_SPEAKERS)}"),
        (sentence in _TEXTS, f"sentence code {sentence} is not one of {sorted(_TEXTS)}"),
        (letter in _EMOTIONS, f"emotion letter {letter} is not one of {sorted(_EMOTIONS)}"),
    )
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


_NAMING = Naming(_parse, "03a01Fa.wav", ("sentence", "text", "version", "age"))


@corpus_doc("emodb")
def load_emodb(root, *, emotions=None, merge_calm=False) -> Bunch:
    """Index the EmoDB clips found under ``root``.

    ``root`` may be the extracted ``download.zip`` (clips in ``wav/``) or any folder holding
    the clips, in any audio format soundfile decodes (WAV, FLAC, Ogg/Opus, MP3 ...).

    {{loader_parameters}}

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        frame : pandas.DataFrame
            One row per clip, sorted by path: ``path``, ``emotion``, ``label`` (the German
            letter ``W L E A F T N``), ``speaker`` (``"emodb_03"`` ...), ``gender``,
            ``corpus`` (``"emodb"``), ``sentence`` (``a01`` ... ``b10``), ``text``,
            ``version`` (a, b, ...), ``age``.
        {{bunch_fields}}

    {{loader_raises_warns}}

    Notes
    -----
    A complete copy holds 535 clips from 10 speakers: angry 127, boredom 81, neutral 79,
    happy 71, fear 69, sad 62, disgust 46.

    {{references}}

    Examples
    --------
    >>> from sklearn_ser.datasets import load_emodb
    >>> data = load_emodb("emodb")  # doctest: +SKIP
    >>> data.frame["emotion"].value_counts().to_dict()  # doctest: +SKIP
    {'angry': 127, 'boredom': 81, 'neutral': 79, 'happy': 71, 'fear': 69, 'sad': 62, 'disgust': 46}
    """
    return index_corpus("emodb", root, _NAMING, _DESCR, emotions=emotions, merge_calm=merge_calm)


@corpus_doc("emodb")
def fetch_emodb(
    *, data_home=None, download_if_missing=True, emotions=None, merge_calm=False,
    allow_http=False,
) -> Bunch:
    """Download (once) and load EmoDB from its authors' site.

    ``http://emodb.bilderbar.info/download/download.zip`` (about 40 MB) is extracted safely
    and atomically into ``<data_home>/emodb/`` and used only if it holds exactly 535 clips
    from 10 speakers. Later calls load the extracted folder without network access.

    {{fetch_sections}}

    Notes
    -----
    The authors publish no checksum, and their host serves plain HTTP only (it offers no
    TLS), so no SHA-256 is pinned: integrity rests on the zip's per-file CRC-32 and on the
    exact clip and speaker counts. Only the WAV files and the release's label files are
    published. Downloading therefore needs ``allow_http=True`` (``sklearn-ser ... --fetch
    --allow-http``): plain http is never used unless asked for.

    {{references}}

    {{fetch_examples}}
    """
    return fetch_corpus("emodb", data_home, download_if_missing, emotions, merge_calm,
                        allow_http=allow_http)
