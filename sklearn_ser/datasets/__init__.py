"""Emotional speech corpora: loaders with harmonised labels, verified downloads, a synthetic demo.

Loaders (``load_*``) index a corpus already on disk; fetchers (``fetch_*``) download it once
into :func:`get_data_home` (where a public archive exists) and then load it. Every loader
returns a :class:`~sklearn.utils.Bunch` whose ``frame`` has one row per clip and whose ``X``
(paths), ``y`` (harmonised emotion) and ``groups`` (speaker, unique across corpora) plug into
scikit-learn cross-validation. The corpus registry (:func:`list_corpora`, :func:`get_corpus`)
names every corpus with its loader, fetcher, archive, licence and citation.
"""

from ._base import AUDIO_EXTENSIONS, COMMON_EMOTIONS, EMOTIONS, CorpusFileWarning
from ._combine import concat_corpora, load_corpora, load_corpus
from ._crema_d import CREMA_D_BROKEN_CLIPS, fetch_crema_d, load_crema_d
from ._emodb import fetch_emodb, load_emodb
from ._fetch import DATA_HOME_ENV, DownloadError, UnsafeArchiveError, get_data_home
from ._ravdess import fetch_ravdess, load_ravdess
from ._registry import CORPUS_NAMES, Corpus, get_corpus, list_corpora
from ._savee import fetch_savee, load_savee
from ._tess import fetch_tess, load_tess
from .synthetic import make_emotional_speech

__all__ = [
    "AUDIO_EXTENSIONS",
    "COMMON_EMOTIONS",
    "CORPUS_NAMES",
    "CREMA_D_BROKEN_CLIPS",
    "DATA_HOME_ENV",
    "EMOTIONS",
    "Corpus",
    "CorpusFileWarning",
    "DownloadError",
    "UnsafeArchiveError",
    "concat_corpora",
    "fetch_crema_d",
    "fetch_emodb",
    "fetch_ravdess",
    "fetch_savee",
    "fetch_tess",
    "get_corpus",
    "get_data_home",
    "list_corpora",
    "load_corpora",
    "load_corpus",
    "load_crema_d",
    "load_emodb",
    "load_ravdess",
    "load_savee",
    "load_tess",
    "make_emotional_speech",
]
