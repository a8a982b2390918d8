"""Docstring sections shared by the ``load_*`` and ``fetch_*`` functions, filled from the registry.

Every public loader and fetcher keeps a full numpydoc docstring of its own; the sections that
are the same for all of them (the Bunch fields, the common options, a fetcher's Returns and
Raises, the citation) are written once here and put in place of ``{{section}}`` placeholders
by :func:`corpus_doc`, with the corpus' name, emotions and citation taken from its registry
entry. The placeholder mechanism is the package's own (:mod:`sklearn_ser.utils._docstrings`).
"""

from __future__ import annotations

import inspect
import textwrap

from ..utils._docstrings import fill_sections
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

_LOADER_PARAMETERS = (
    """\
Parameters
----------
root : str or os.PathLike
    Folder holding the {title} audio files (any depth, any format soundfile decodes); they
    are indexed by name, never decoded.
"""
    + _EMOTIONS
    + "\n"
    + _MERGE_CALM
)

_LOADER_RAISES_WARNS = (
    """\
Raises
------
FileNotFoundError
    If ``root`` does not exist or holds no {title} clip.

Warns
-----
"""
    + _LOADER_WARNS
)

_FETCH_PARAMETERS = """\
data_home : str or os.PathLike, default=None
    Data folder; see :func:`get_data_home` (``SKLEARN_SER_DATA``, ``~/sklearn_ser_data``).
    The corpus is kept in its ``{folder}`` subfolder.
download_if_missing : bool, default=True
    {download}
{passed_on}
    Passed to :func:`{loader}`."""

_FETCH_RETURNS = """\
Returns
-------
data : Bunch
    As returned by :func:`{loader}`.

Raises
------
"""

_DOWNLOAD_ERROR = (
    "If the download fails, is cut short{hash_check}, is not a valid zip or does not hold "
    "the {clips:,} clips from {speakers} speakers. Nothing partial is left behind; calling "
    "again restarts cleanly."
)

_FETCH_RAISES_ARCHIVE = (
    _FETCH_RETURNS
    + """\
DownloadError
{download_error}
UnsafeArchiveError
    If a member would be written outside the target folder or is a link, or the archive
    would expand beyond {max_mb:,} MB or compresses implausibly well (a zip bomb).
FileNotFoundError
    If the corpus is missing and ``download_if_missing=False``."""
)

_FETCH_RAISES_MANUAL = (
    _FETCH_RETURNS
    + """\
FileNotFoundError
    If ``<data_home>/{folder}`` is missing or empty; the message says how to fill it."""
)

_REFERENCES = """\
{citation}

Licence: {licence}."""

_FETCH_EXAMPLES = """\
Examples
--------
>>> from sklearn_ser.datasets import {fetcher}
>>> data = {fetcher}()  # doctest: +SKIP"""

# a downloaded archive is checked against the registry's count, so the example can show it
_FETCH_EXAMPLES_COUNT = """
>>> len(data.frame)  # doctest: +SKIP
{clips}"""


def _sections(info: Corpus, passed_on: str) -> dict[str, str]:
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
            else f"Accepted for symmetry with the other fetchers; {info.title} is never downloaded."
        ),
        "hash_check": ", does not match its pinned SHA-256"
        if archive is not None and archive.known_hash
        else "",
        "max_mb": archive.max_size // 1024**2 if archive is not None else 0,
        "passed_on": passed_on,
        "fetcher": f"fetch_{info.name}",
    }
    fields["download_error"] = textwrap.fill(
        _DOWNLOAD_ERROR.format(**fields), 88, initial_indent="    ", subsequent_indent="    "
    )
    raises = _FETCH_RAISES_ARCHIVE if archive is not None else _FETCH_RAISES_MANUAL
    templates = {
        "bunch_fields": _BUNCH_FIELDS,
        "emotions": _EMOTIONS,
        "merge_calm": _MERGE_CALM,
        "loader_parameters": _LOADER_PARAMETERS,
        "loader_warns": _LOADER_WARNS,
        "loader_raises_warns": _LOADER_RAISES_WARNS,
        "fetch_parameters": _FETCH_PARAMETERS,
        "fetch_returns_raises": raises,
        "fetch_sections": "Parameters\n----------\n" + _FETCH_PARAMETERS + "\n\n" + raises,
        "references": "References\n----------\n" + _REFERENCES,
        "fetch_examples": _FETCH_EXAMPLES + (_FETCH_EXAMPLES_COUNT if archive is not None
                                             else ""),
    }
    return {key: text.format(**fields) for key, text in templates.items()}


def corpus_doc(name: str):
    """Decorator: fill the ``{{section}}`` lines of a docstring for corpus ``name``.

    A placeholder stands alone on its line; the section is indented like it. An unknown
    placeholder is an error at import time, so a typo cannot reach the rendered docs. The
    options a fetcher passes on to its loader are read from the fetcher's signature.
    """
    info = get_corpus(name)

    def decorate(function):
        fetch_own = {"subset", "data_home", "download_if_missing"}
        passed_on = ", ".join(
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.kind is p.KEYWORD_ONLY and p.name not in fetch_own
        )
        function.__doc__ = fill_sections(function.__doc__, _sections(info, passed_on))
        return function

    return decorate
