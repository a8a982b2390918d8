"""What the registry records of a corpus: a :class:`Corpus` entry and its :class:`RemoteArchive`.

Plain data with lazy accessors: the loader and fetcher are looked up by name when first used,
so that neither this module nor the registry imports a corpus module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Corpus", "RemoteArchive"]


@dataclass(frozen=True)
class RemoteArchive:
    """A pinned corpus archive.

    Attributes
    ----------
    url : str
        Where to download it (https wherever the host offers it).
    fallback_url : str or None
        Plain-http address tried only when ``url`` cannot be reached at all (connection
        refused, TLS failure, an error status), with a warning; None: no fallback.
    filename : str
        File name of the archive in ``<data_home>/_archives/``.
    folder : str
        Folder of ``data_home`` the archive is extracted into.
    known_hash : str or None
        ``"sha256:<hex>"`` (or ``"md5:<hex>"``) checked by pooch. None only where the bytes
        are not stable or no verified checksum exists; ``hash_note`` says which.
    max_size : int
        Bound on the total uncompressed size of the members, in bytes; extraction refuses a
        larger archive before writing anything.
    label_files : tuple of str
        Patterns (``fnmatch``, case-insensitive, on the member path) of the archive's own
        label files, published with the clips; any other non-audio member is left out.
    hash_note : str
        Why no checksum is pinned (empty when one is).
    """

    url: str
    filename: str
    folder: str
    known_hash: str | None
    fallback_url: str | None = None
    max_size: int = 2 * 1024**3
    label_files: tuple[str, ...] = ()
    hash_note: str = ""


@dataclass(frozen=True)
class Corpus:
    """One registry entry: what sklearn-ser knows about a corpus.

    Attributes
    ----------
    name : str
        Registry key, as accepted by :func:`~sklearn_ser.datasets.load_corpus` and the CLI's
        ``--corpus``.
    title : str
        Name shown in messages (``"CREMA-D"``).
    options : mapping
        Keyword arguments this entry passes to the loader and fetcher (``subset="song"``).
    emotion_counts : mapping of str to int
        Clips per harmonised emotion in a complete copy (``emotions`` lists its keys).
    clips, speakers : int
        Size of a complete copy. A download must hold exactly these counts (None: not
        checked).
    language, sample_rate, licence, source, citation : str
        For the docs, ``DESCR`` and the model cards of anything trained on it.
    archive : RemoteArchive or None
        Pinned archive of :func:`fetch`; None where the corpus cannot be downloaded
        automatically (``how_to_get`` then says how to obtain it).
    how_to_get : str
        Message of the fetcher when the corpus is missing and cannot be downloaded;
        ``{folder}`` is replaced by the folder to put it in.
    corpus : str
        Id stored in the ``corpus`` column (default ``name``; both RAVDESS subsets are
        ``"ravdess"``).
    module : str
        Module of :mod:`sklearn_ser.datasets` holding the loader and fetcher (default
        ``"_<name>"``).
    loader_name, fetcher_name : str
        Names of the public functions in ``module`` (default ``load_<name>``,
        ``fetch_<name>``).
    """

    name: str
    title: str
    emotion_counts: Mapping[str, int] | None
    clips: int | None
    speakers: int | None
    language: str
    sample_rate: str
    licence: str
    source: str
    citation: str
    options: Mapping = field(default_factory=dict)
    archive: RemoteArchive | None = None
    how_to_get: str = ""
    # By convention corpus ``x`` is module ``_x`` with ``load_x`` and ``fetch_x``, and its
    # clips are marked ``corpus == "x"``; only the RAVDESS subsets say otherwise.
    corpus: str = ""
    module: str = ""
    loader_name: str = ""
    fetcher_name: str = ""

    def __post_init__(self):
        defaults = {
            "corpus": self.name,
            "module": f"_{self.name}",
            "loader_name": f"load_{self.name}",
            "fetcher_name": f"fetch_{self.name}",
        }
        for attribute, default in defaults.items():
            if not getattr(self, attribute):
                object.__setattr__(self, attribute, default)  # frozen: set once, here

    @property
    def emotions(self) -> tuple[str, ...]:
        """Harmonised emotions of a complete copy."""
        return tuple(self.emotion_counts or ())

    @property
    def loader(self) -> Callable:
        """The public ``load_*`` function of this corpus."""
        return getattr(self._module(), self.loader_name)

    @property
    def fetcher(self) -> Callable:
        """The public ``fetch_*`` function of this corpus."""
        return getattr(self._module(), self.fetcher_name)

    def load(self, root, **kwargs):
        """``loader(root, **options, **kwargs)``: the entry's corpus found under ``root``."""
        return self.loader(root, **self.options, **kwargs)

    def fetch(self, **kwargs):
        """``fetcher(**options, **kwargs)``: the entry's corpus from the data folder."""
        return self.fetcher(**self.options, **kwargs)

    def describe(self, body: str) -> str:
        """``body`` followed by the licence, source and citation lines of ``DESCR``."""
        return (
            f"{body.rstrip()}\n\nLicence: {self.licence}\nSource: {self.source}\n"
            f"Citation: {self.citation}"
        )

    def _module(self):
        return importlib.import_module(f"{__package__}.{self.module}")
