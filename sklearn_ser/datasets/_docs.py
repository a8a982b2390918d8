"""Docstring sections shared by the ``load_*`` and ``fetch_*`` functions, filled from the registry.

Every public loader and fetcher keeps a full numpydoc docstring of its own; the sections that
are the same for all of them (the Bunch fields, the common options, a fetcher's Returns and
Raises, the citation) are written once here and put in place of ``{{section}}`` placeholders
by :func:`corpus_doc`, with the corpus' name, emotions and citation taken from its registry
entry.
"""

from __future__ import annotations

import re
import textwrap

from ._registry import Corpus, get_corpus

_BUNCH_FIELDS = """\
X, y, groups : ndarray of str, shape (n_clips,)
    Paths, harmonised emotions and speaker ids aligned with ``frame``.
target_names : ndarray of str
    Sorted emotion names present.
skipped : pandas.DataFrame
    Skipped files (``path``, ``reason``, ``detail``).
DESCR : str
    Description of the corpus and of what was loaded."""

_EMOTIONS = """\
emotions : list of str, default=None
    Keep only clips with these harmonised emotions; None keeps all {n_emotions}
    ({emotion_list})."""

_MERGE_CALM = """\
merge_calm : bool, default=False
    Map calm to neutral ({title} has no calm clips; accepted so that every loader takes the
    same options)."""

_LOADER_WARNS = """\
CorpusFileWarning
    For audio files not following the naming (or in a format soundfile cannot decode) and
    for duplicated clips (each is listed in ``data.skipped``)."""

_FETCH_OPTIONS = """\
data_home : str or os.PathLike, default=None
    Data folder; see :func:`get_data_home` (``SKLEARN_SER_DATA``, ``~/sklearn_ser_data``).
    The corpus is kept in its ``{folder}`` subfolder.
download_if_missing : bool, default=True
    {download}"""

_FETCH_RETURNS = """\
data : Bunch
    As returned by :func:`{loader}`."""

_FETCH_RAISES_ARCHIVE = """\
DownloadError
    If the download fails, is cut short, {hash_check}is not a valid zip, is larger than
    {max_mb:,} MB once extracted or does not hold the {clips:,} clips from {speakers}
    speakers. Nothing partial is left behind; calling again restarts cleanly.
UnsafeArchiveError
    If a member of the archive would be written outside the target folder or is a link.
FileNotFoundError
    If the corpus is missing and ``download_if_missing=False``."""

_FETCH_RAISES_MANUAL = """\
FileNotFoundError
    If ``<data_home>/{folder}`` is missing or empty; the message says how to fill it."""

_REFERENCES = """\
{citation}

Licence: {licence}."""


def _sections(info: Corpus) -> dict[str, str]:
    archive = info.archive
    folder = archive.folder if archive is not None else info.name
    fields = {
        "title": info.title,
        "folder": folder,
        "loader": info.loader_name,
        "n_emotions": len(info.emotions),
        "emotion_list": ", ".join(info.emotions),
        "clips": info.clips,
        "speakers": info.speakers,
        "citation": textwrap.fill(info.citation, 88),
        "licence": info.licence,
        "download": (
            "If False, raise :class:`FileNotFoundError` instead of downloading."
            if archive is not None
            else f"Accepted for symmetry with the other fetchers; {info.title} is never "
            "downloaded."
        ),
        "hash_check": "does not match its pinned SHA-256, "
        if archive is not None and archive.known_hash
        else "",
        "max_mb": archive.max_size // 1024**2 if archive is not None else 0,
    }
    raises = _FETCH_RAISES_ARCHIVE if archive is not None else _FETCH_RAISES_MANUAL
    templates = {
        "bunch_fields": _BUNCH_FIELDS,
        "emotions": _EMOTIONS,
        "merge_calm": _MERGE_CALM,
        "loader_warns": _LOADER_WARNS,
        "fetch_options": _FETCH_OPTIONS,
        "fetch_returns": _FETCH_RETURNS,
        "fetch_raises": raises,
        "references": _REFERENCES,
    }
    return {key: text.format(**fields) for key, text in templates.items()}


_PLACEHOLDER = re.compile(r"^(?P<indent>[ ]*)\{\{(?P<key>\w+)\}\}[ ]*$", re.MULTILINE)


def corpus_doc(name: str):
    """Decorator: fill the ``{{section}}`` lines of a docstring for corpus ``name``.

    A placeholder stands alone on its line; the section is indented like it. An unknown
    placeholder is an error at import time, so a typo cannot reach the rendered docs.
    """
    sections = _sections(get_corpus(name))

    def fill(match: re.Match) -> str:
        key = match["key"]
        if key not in sections:
            raise KeyError(f"unknown docstring section {{{{{key}}}}}; known: {sorted(sections)}")
        return textwrap.indent(sections[key], match["indent"])

    def decorate(function):
        function.__doc__ = _PLACEHOLDER.sub(fill, function.__doc__)
        return function

    return decorate
