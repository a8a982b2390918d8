"""RAVDESS: Ryerson Audio-Visual Database of Emotional Speech and Song (audio-only part)."""

from __future__ import annotations

import re
from pathlib import Path

from sklearn.utils import Bunch

from ._bunch import index_corpus
from ._docs import corpus_doc
from ._fetch import fetch_corpus
from ._scan import Naming, _Skip, check_fields, name_fields

__all__ = ["fetch_ravdess", "load_ravdess"]

_NAME = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")
_ACTOR_FOLDER = re.compile(r"^actor_(\d+)$", re.IGNORECASE)

_EMOTIONS = {
    "01": "neutral",
    "02": "calm",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fear",
    "07": "disgust",
    "08": "surprise",
}
_CHANNELS = {"01": "speech", "02": "song"}
_INTENSITIES = {"01": "normal", "02": "strong"}
_STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}

_DESCR = """\
RAVDESS (Ryerson Audio-Visual Database of Emotional Speech and Song), audio-only {subset}.

24 professional actors (12 female, 12 male; odd actor numbers are male) speak or sing two
lexically matched statements in a neutral North American accent. Speech: neutral, calm, happy,
sad, angry, fearful, surprise and disgust (1,440 clips, 60 per actor). Song: neutral, calm,
happy, sad, angry and fearful (1,012 clips, 44 per actor; actor 18 has no song files).
Every emotion except neutral comes at two intensities (normal, strong). 48 kHz, 16-bit WAV
in the release (any audio format soundfile decodes is read).

File names: modality-channel-emotion-intensity-statement-repetition-actor.wav, e.g.
03-01-06-01-02-01-12.wav (audio-only, speech, fearful, normal, "Dogs...", 1st repetition,
actor 12)."""


def _parser(subset: str):
    wanted = "01" if subset == "speech" else "02"

    def parse(path: Path) -> dict:
        modality, channel, emotion, intensity, statement, repetition, actor = name_fields(
            _NAME, path.stem, "the RAVDESS pattern 03-01-06-01-02-01-12.wav"
        )
        check_fields(
            "invalid RAVDESS field codes",
            (modality == "03", f"modality {modality} is not 03 (audio-only)"),
            (channel in _CHANNELS, f"vocal channel {channel} is not 01 or 02"),
            (emotion in _EMOTIONS, f"emotion code {emotion} is not 01-08"),
            (intensity in _INTENSITIES, f"intensity {intensity} is not 01 or 02"),
            (statement in _STATEMENTS, f"statement {statement} is not 01 or 02"),
            (repetition in ("01", "02"), f"repetition {repetition} is not 01 or 02"),
            (1 <= int(actor) <= 24, f"actor {actor} is not 01-24"),
        )
        folder = _ACTOR_FOLDER.match(path.parent.name)
        if folder is not None and int(folder.group(1)) != int(actor):
            raise _Skip(
                "actor number in the name differs from its Actor_XX folder",
                f"actor {actor} in folder {path.parent.name}",
            )
        if channel != wanted:
            raise _Skip(
                f"{_CHANNELS[channel]} clip while subset={subset!r} "
                f"(load it with subset={_CHANNELS[channel]!r})"
            )
        return {
            "key": path.stem,
            "emotion": _EMOTIONS[emotion],
            "label": emotion,
            "speaker": actor,
            "gender": "male" if int(actor) % 2 else "female",
            "subset": _CHANNELS[channel],
            "intensity": _INTENSITIES[intensity],
            "statement": int(statement),
            "text": _STATEMENTS[statement],
            "repetition": int(repetition),
        }

    return parse


def _check_subset(subset) -> str:
    if subset not in ("speech", "song"):
        raise ValueError(f"subset must be 'speech' or 'song', got {subset!r}.")
    return subset


@corpus_doc("ravdess")
def load_ravdess(root, subset="speech", *, emotions=None, merge_calm=False) -> Bunch:
    """Index the audio-only RAVDESS speech or song clips found under ``root``.

    Audio files are found recursively, so both the official Zenodo archives (``Actor_01/`` ...
    ``Actor_24/`` folders) and flat copies work, in any audio format soundfile decodes. Files
    are only indexed, never decoded.

    Parameters
    ----------
    root : str or os.PathLike
        Folder holding the extracted ``Audio_Speech_Actors_01-24.zip`` or
        ``Audio_Song_Actors_01-24.zip`` (any depth).
    subset : {"speech", "song"}, default="speech"
        Vocal channel to load (file name field 2: ``01`` speech, ``02`` song). Clips of the
        other channel found under ``root`` are skipped with a warning.
    emotions : list of str, default=None
        Keep only clips with these harmonised emotions (e.g.
        :data:`~sklearn_ser.datasets.COMMON_EMOTIONS`); None keeps all.
    merge_calm : bool, default=False
        If True, calm clips get the emotion ``"neutral"`` (their ``label`` stays ``"02"``).
        Applied before the ``emotions`` filter.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        frame : pandas.DataFrame
            One row per clip, sorted by path: ``path``, ``emotion``, ``label`` (the
            two-digit RAVDESS emotion code), ``speaker`` (``"ravdess_01"`` ...
            ``"ravdess_24"``, shared by speech and song), ``gender``, ``corpus``
            (``"ravdess"``), ``subset``, ``intensity`` (normal/strong), ``statement`` (1 or 2),
            ``text``, ``repetition`` (1 or 2).
        {{bunch_fields}}

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist or holds no RAVDESS clip of the requested subset.
    ValueError
        If ``subset`` is not ``"speech"`` or ``"song"``.

    Warns
    -----
    {{loader_warns}}
        Clips of the other subset are reported the same way.

    Notes
    -----
    A complete copy gives 1,440 speech clips (24 actors) or 1,012 song clips (23 actors).

    {{references}}

    Examples
    --------
    >>> from sklearn_ser.datasets import load_ravdess
    >>> data = load_ravdess("RAVDESS", subset="speech")  # doctest: +SKIP
    >>> len(data.frame), data.frame["speaker"].nunique()  # doctest: +SKIP
    (1440, 24)
    """
    subset = _check_subset(subset)
    columns = ("subset", "intensity", "statement", "text", "repetition")
    example = f"03-{'01' if subset == 'speech' else '02'}-06-01-02-01-12.wav"
    naming = Naming(_parser(subset), example, columns)
    descr = _DESCR.format(subset=subset)
    return index_corpus("ravdess", root, naming, descr, emotions=emotions, merge_calm=merge_calm)


@corpus_doc("ravdess_speech")
def fetch_ravdess(
    subset="speech",
    *,
    data_home=None,
    download_if_missing=True,
    emotions=None,
    merge_calm=False,
) -> Bunch:
    """Download (once) and load the audio-only RAVDESS speech or song archive from Zenodo.

    The archive (``Audio_Speech_Actors_01-24.zip``, 208 MB, or ``Audio_Song_Actors_01-24.zip``,
    226 MB, from Zenodo record 1188976, over https) is verified against a pinned SHA-256
    checksum, extracted safely and atomically into ``<data_home>/ravdess_<subset>/`` and its
    clip and actor counts are checked (1,440 / 24 or 1,012 / 23) before it is used. Later
    calls load the extracted folder without network access.

    Parameters
    ----------
    subset : {"speech", "song"}, default="speech"
        Which archive to fetch (the ``ravdess_speech`` or ``ravdess_song`` folder).
    {{fetch_parameters}}

    {{fetch_returns_raises}}
    ValueError
        If ``subset`` is not ``"speech"`` or ``"song"``.

    Notes
    -----
    The pinned SHA-256 values were not computed by the authors of this package: they come
    from independent public records of these archives whose MD5 and size match the ones
    Zenodo publishes (speech ``md5:bc696df654c87fed845eb13823edef8a``, song
    ``md5:5411230427d67a21e18aa4d466e6d1b9``). The song archive's figures are 1,012 clips
    from 23 actors.

    {{references}}

    Examples
    --------
    >>> from sklearn_ser.datasets import fetch_ravdess
    >>> data = fetch_ravdess(subset="song")  # doctest: +SKIP
    >>> len(data.frame), data.frame["speaker"].nunique()  # doctest: +SKIP
    (1012, 23)
    """
    return fetch_corpus(
        f"ravdess_{_check_subset(subset)}", data_home, download_if_missing, emotions, merge_calm
    )
