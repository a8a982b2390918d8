"""Vocabulary shared by every corpus module: emotion names, audio extensions, the file warning.

Like scikit-learn's ``datasets/_base.py`` this module imports no corpus module. The pipeline
of a loader follows the module names: :mod:`._scan` finds and parses the files,
:mod:`._bunch` builds the table, :mod:`._combine` loads and joins corpora by registry name.
"""

from __future__ import annotations

import functools

__all__ = [
    "AUDIO_EXTENSIONS",
    "COMMON_EMOTIONS",
    "EMOTIONS",
    "CorpusFileWarning",
    "check_emotions",
    "readable_extensions",
]

#: Harmonised emotion names used in the ``emotion`` column and in ``y`` of every loader.
EMOTIONS = (
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fear",
    "disgust",
    "surprise",
    "boredom",
)

#: The six emotions shared by all five corpora (RAVDESS, CREMA-D, TESS, SAVEE, EmoDB).
COMMON_EMOTIONS = ("angry", "disgust", "fear", "happy", "neutral", "sad")

#: Extensions treated as audio. Loaders index every one that the installed soundfile
#: (libsndfile) decodes; audio files in any other format are reported, because a corpus
#: converted to such a format would otherwise look empty without a word.
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".au"}
)

# libsndfile format that decodes each extension; .m4a/.aac have none (no AAC decoder).
_SOUNDFILE_FORMATS = {
    ".wav": "WAV",
    ".flac": "FLAC",
    ".ogg": "OGG",
    ".oga": "OGG",
    ".opus": "OGG",
    ".mp3": "MP3",
    ".aif": "AIFF",
    ".aiff": "AIFF",
    ".au": "AU",
}


class CorpusFileWarning(UserWarning):
    """Files under a corpus folder were skipped; the message gives count, reason and examples."""


@functools.cache
def readable_extensions() -> frozenset[str]:
    """The audio extensions the installed soundfile decodes (MP3 needs libsndfile >= 1.1)."""
    try:
        import soundfile
    except (ImportError, OSError):  # no libsndfile: every audio file is reported, not indexed
        return frozenset()
    available = set(soundfile.available_formats())
    return frozenset(ext for ext, fmt in _SOUNDFILE_FORMATS.items() if fmt in available)


def check_emotions(
    emotions, *, option: str = "emotions", unique: bool = False, ordered: bool = False
) -> tuple[str, ...]:
    """Validate a list of harmonised emotion names; return it as a tuple of plain ``str``.

    The one validator behind ``emotions=`` of the loaders and of the synthetic corpus: not a
    bare string, not empty, every name in :data:`EMOTIONS` (and, with ``unique``, none
    repeated; with ``ordered``, not a set, whose order would change from run to run). The
    errors name ``option`` and list the valid names.
    """
    if ordered and isinstance(emotions, (set, frozenset, dict)):
        raise TypeError(
            f"{option} must be an ordered list or tuple of emotion names, got a "
            f"{type(emotions).__name__}: its order, and so the output, would vary between runs."
        )
    if isinstance(emotions, str):
        raise TypeError(
            f"{option} must be a list of emotion names such as {list(COMMON_EMOTIONS)}, "
            f"got the string {emotions!r}; for a single emotion pass e.g. [{emotions!r}]."
        )
    try:
        emotions = tuple(emotions)
    except TypeError:
        raise TypeError(
            f"{option} must be a list of emotion names from {list(EMOTIONS)}, "
            f"got {type(emotions).__name__}."
        ) from None
    unknown = [e for e in emotions if not isinstance(e, str) or e not in EMOTIONS]
    unknown = [e for i, e in enumerate(unknown) if e not in unknown[:i]]  # unhashables too
    if unknown:
        raise ValueError(
            f"Unknown emotion name(s) {unknown} in {option}; valid names are {list(EMOTIONS)}."
        )
    if not emotions:
        raise ValueError(f"{option} must name at least one emotion, got an empty list.")
    if unique:
        repeated = sorted({e for e in emotions if emotions.count(e) > 1})
        if repeated:
            raise ValueError(f"{option} must not repeat a name, got {repeated} more than once.")
    return tuple(str(e) for e in emotions)  # plain str, not numpy.str_, in y and frame
