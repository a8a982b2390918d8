"""The ``corpus-table`` directive: tables of docs/corpora.rst rendered from the corpus registry.

Counts, licences, citations, download addresses and checksums are written once, in
``sklearn_ser/datasets/_registry.py``; the documentation reads them from there, so that a
corpus added to the registry appears in the docs and no table can drift from the code.

``.. corpus-table:: overview`` (clips, speakers, emotions, licence), ``sources`` (where to get
each corpus, what to cite) or ``downloads`` (transport, checksum, content checks, size bound).
"""

from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from sklearn_ser.datasets import list_corpora
from sklearn_ser.datasets._extract import MAX_RATIO


def _distinct():
    """Entries that are not aliases (``ravdess`` is ``ravdess_speech`` under another name)."""
    kept = []
    for entry in list_corpora():
        alias = any(
            other is not entry
            and other.loader_name == entry.loader_name
            and dict(other.emotion_counts) == dict(entry.emotion_counts)
            and other.options
            and not entry.options
            for other in list_corpora()
        )
        if not alias:
            kept.append(entry)
    return kept


def _label(entry) -> str:
    subset = dict(entry.options).get("subset")
    name = f"{entry.title} {subset}" if subset else entry.title
    options = ", ".join(f"``{k}={v!r}``" for k, v in dict(entry.options).items())
    call = f":func:`~sklearn_ser.datasets.{entry.loader_name}`" + (
        f", {options}" if options else ""
    )
    return f"{name} ({call}; ``{entry.name}``)"


def _overview():
    header = [
        "Corpus (loader; name)",
        "Clips",
        "Speakers",
        "Emotions (clips)",
        "Language",
        "Sample rate",
        "Licence",
    ]
    rows = []
    for entry in _distinct():
        counts = ", ".join(f"{e} {n:,}" for e, n in entry.emotion_counts.items())
        rows.append(
            [
                _label(entry),
                f"{entry.clips:,}",
                str(entry.speakers),
                counts,
                entry.language,
                entry.sample_rate,
                entry.licence,
            ]
        )
    return header, rows


def _sources():
    header = ["Corpus", "Where to get it", "Citation"]
    rows, seen = [], set()
    for entry in _distinct():
        if entry.title in seen:  # the RAVDESS subsets share their source and citation
            continue
        seen.add(entry.title)
        fetcher = f":func:`~sklearn_ser.datasets.{entry.fetcher_name}`"
        how = "downloads and verifies it" if entry.archive else "explains how to get it"
        rows.append([entry.title, f"{entry.source}; {fetcher} {how}.", entry.citation])
    return header, rows


def _downloads():
    header = ["Corpus", "Archive address", "Pinned checksum", "Content check", "Extraction bound"]
    rows = []
    for entry in _distinct():
        archive = entry.archive
        if archive is None:
            continue
        address = f"``{archive.url}``"
        if archive.fallback_url:
            address += f" (``{archive.fallback_url}`` only if https cannot be reached)"
        checksum = (
            f"SHA-256 ``{archive.known_hash.split(':', 1)[1]}``"
            if archive.known_hash
            else f"none: {archive.hash_note}"
        )
        content = (
            f"{entry.clips:,} clips, {entry.speakers} speakers, clips per emotion; "
            "CRC-32 of every member"
        )
        rows.append(
            [
                entry.title + (f" {entry.options['subset']}" if entry.options else ""),
                address,
                checksum,
                content,
                f"{archive.max_size // 1024**2:,} MB, compression ratio {MAX_RATIO}",
            ]
        )
    return header, rows


_TABLES = {"overview": _overview, "sources": _sources, "downloads": _downloads}


def _list_table(header, rows) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return lines


class CorpusTable(SphinxDirective):
    required_arguments = 1

    def run(self):
        kind = self.arguments[0]
        if kind not in _TABLES:
            raise self.error(f"corpus-table: unknown table {kind!r}; use one of {sorted(_TABLES)}")
        container = nodes.container()
        lines = _list_table(*_TABLES[kind]())
        self.state.nested_parse(
            StringList(lines, source="corpus registry"), self.content_offset, container
        )
        return container.children


def setup(app):
    app.add_directive("corpus-table", CorpusTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
