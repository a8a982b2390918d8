"""TESS: Toronto Emotional Speech Set."""

from __future__ import annotations

import re
from pathlib import Path

from sklearn.utils import Bunch

from ._base import COMMON_EMOTIONS
from ._bunch import index_corpus
from ._docs import corpus_doc
from ._fetch import fetch_corpus
from ._scan import Naming, check_fields, name_fields

__all__ = ["fetch_tess", "load_tess"]

_NAME = re.compile(r"^([A-Za-z]+)_([^_]+)_([A-Za-z]+)$")

# TESS names six of its emotions with the harmonised names themselves; "ps" is "pleasant
# surprise"
_EMOTIONS = {**{name: name for name in COMMON_EMOTIONS}, "ps": "surprise"}
_SPEAKERS = {"OAF": 64, "YAF": 26}  # older and younger adult female, age at recording
# The corpus ships one file misnamed OA_bite_neutral.wav (in OAF_neutral/, kept by every
# copy, transcoded ones too); reading "OA" as a third speaker would create a one-clip speaker.
_SPEAKER_ALIASES = {"OA": "OAF"}

_DESCR = """\
TESS (Toronto Emotional Speech Set).

Two actresses (aged 64 and 26; speakers OAF and YAF) say 200 target words in the carrier
phrase "Say the word _____" with seven emotions (anger, disgust, fear, happiness, pleasant
surprise, sadness, neutral): 2,800 clips, 400 per emotion. 24,414 Hz WAV in the release
(copies transcoded to any format soundfile decodes load the same). Pleasant surprise
(ps) is harmonised to "surprise".

File names: speaker_word_emotion.wav, e.g. OAF_back_angry.wav, YAF_bite_ps.wav; folder names
vary between copies (OAF_Pleasant_surprise, YAF_pleasant_surprised, ...) and are not used."""


def _parse(path: Path) -> dict:
    named_speaker, word, named_emotion = name_fields(
        _NAME, path.stem, "the TESS pattern OAF_back_angry.wav"
    )
    speaker = _SPEAKER_ALIASES.get(named_speaker.upper(), named_speaker.upper())
    emotion = named_emotion.lower()
    check_fields(
        "invalid TESS name fields",
        (speaker in _SPEAKERS, f"speaker {named_speaker} is not OAF or YAF"),
        (emotion in _EMOTIONS, f"emotion {named_emotion} is not one of {sorted(_EMOTIONS)}"),
    )
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


_NAMING = Naming(_parse, "OAF_back_angry.wav", ("word", "text", "age"))


@corpus_doc("tess")
def load_tess(root, *, emotions=None, merge_calm=False) -> Bunch:
    """Index the TESS clips found under ``root``.

    Clips are recognised by their file names, so the differently spelled folders of the
    official release and of mirrors (``OAF_Pleasant_surprise``, ``YAF_pleasant_surprised``,
    ``OAF_Fear``, ``YAF_sad``, a doubly nested ``TESS Toronto emotional speech set data/``)
    all work, in any audio format soundfile decodes (``OAF_back_angry.wav``, ``.opus`` ...).

    {{loader_parameters}}

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        frame : pandas.DataFrame
            One row per clip, sorted by path: ``path``, ``emotion``, ``label`` (``angry``,
            ``disgust``, ``fear``, ``happy``, ``neutral``, ``ps``, ``sad``), ``speaker``
            (``"tess_OAF"``, ``"tess_YAF"``), ``gender``, ``corpus`` (``"tess"``), ``word``,
            ``text``, ``age``.
        {{bunch_fields}}

    {{loader_raises_warns}}

    Notes
    -----
    A complete copy holds 2,800 clips from 2 speakers, 400 per emotion. The misnamed
    ``OA_bite_neutral.wav`` of the release is attributed to speaker OAF.

    {{references}}

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
    return index_corpus("tess", root, _NAMING, _DESCR, emotions=emotions, merge_calm=merge_calm)


@corpus_doc("tess")
def fetch_tess(
    *, data_home=None, download_if_missing=True, emotions=None, merge_calm=False
) -> Bunch:
    """Download (once) and load TESS from the University of Toronto Dataverse (Borealis).

    All files of dataset ``doi:10.5683/SP2/E8H2MF`` are downloaded over https as one zip
    through the Dataverse access API, extracted safely and atomically into
    ``<data_home>/tess/`` and used only if they hold exactly 2,800 clips from 2 speakers.
    Later calls load the extracted folder without network access.

    {{fetch_sections}}

    Notes
    -----
    Dataverse assembles the zip on the fly, so its bytes and any checksum of them change
    between downloads: no SHA-256 can be pinned. Integrity rests on the zip's per-file
    CRC-32 and on the exact clip and speaker counts (Dataverse may leave out files of a bulk
    download that exceeds its size limit; the count check then says so). If the bulk
    download fails, download the files from https://doi.org/10.5683/SP2/E8H2MF by hand and
    use :func:`load_tess`.

    {{references}}

    {{fetch_examples}}
    """
    return fetch_corpus("tess", data_home, download_if_missing, emotions, merge_calm)
