"""The corpus registry: the one home of the corpus vocabulary.

Every corpus name that the package, the CLI and the docs know comes from :data:`_CORPORA`:
its loader and fetcher, the archive(s) it is downloaded from, what a complete copy holds,
its licence and its citation. Loaders and fetchers are named here, not imported, so that this
module imports no corpus module (the way scikit-learn's ``datasets/_base.py`` imports no data
set): corpus modules import the registry, never the reverse.

Adding a corpus: write ``_<name>.py`` with ``load_<name>`` (and ``fetch_<name>``), and add its
entry below.
"""

from __future__ import annotations

from types import MappingProxyType

from ._entry import Corpus, RemoteArchive

__all__ = ["CORPUS_NAMES", "Corpus", "RemoteArchive", "download_limit", "get_corpus",
           "list_corpora"]

# Download sizes in bytes, where the publisher states them (Zenodo lists each file's size
# with its MD5); a download stops past this plus _DOWNLOAD_MARGIN. Archives without a
# stated size are capped at their bound on the extracted size (max_size): a zip of audio is
# never larger than what it extracts to, beyond its directory.
_DOWNLOAD_BYTES = {
    "Audio_Speech_Actors_01-24.zip": 208_468_073,
    "Audio_Song_Actors_01-24.zip": 225_505_317,
}
_DOWNLOAD_MARGIN = 0.02  # and at least 1 MiB: room for a re-packed file, none for a stream


_RAVDESS = dict(
    title="RAVDESS",
    corpus="ravdess",
    module="_ravdess",
    loader_name="load_ravdess",
    fetcher_name="fetch_ravdess",
    language="English (North American)",
    sample_rate="48 kHz",
    licence="CC BY-NC-SA 4.0",
    source="https://zenodo.org/records/1188976",
    citation=(
        "Livingstone SR, Russo FA (2018). The Ryerson Audio-Visual Database of Emotional "
        "Speech and Song (RAVDESS). PLoS ONE 13(5): e0196391. doi:10.1371/journal.pone.0196391"
    ),
)
_RAVDESS_SPEECH = ("neutral", "calm", "happy", "sad", "angry", "fear", "disgust", "surprise")


def _ravdess_counts(emotions, clips):
    # Neutral has no strong intensity: half the clips of each other emotion.
    per = clips // (2 * len(emotions) - 1)
    return MappingProxyType({e: per if e == "neutral" else 2 * per for e in emotions})


def _ravdess_subset(subset: str, sha256: str) -> Corpus:
    """Entry of one RAVDESS subset: its Zenodo archive, and what a complete copy holds."""
    # Song: six emotions, and actor 18 recorded none.
    emotions, clips, speakers = (
        (_RAVDESS_SPEECH, 1440, 24) if subset == "speech" else (_RAVDESS_SPEECH[:6], 1012, 23)
    )
    filename = f"Audio_{subset.title()}_Actors_01-24.zip"
    archive = RemoteArchive(
        url=f"https://zenodo.org/records/1188976/files/{filename}?download=1",
        filename=filename,
        folder=f"ravdess_{subset}",
        known_hash=f"sha256:{sha256}",
        max_size=600 * 1024**2,
    )
    return Corpus(
        name=f"ravdess_{subset}",
        emotion_counts=_ravdess_counts(emotions, clips),
        clips=clips,
        speakers=speakers,
        options=MappingProxyType({"subset": subset}),
        archive=archive,
        **_RAVDESS,
    )


# Checksums. RAVDESS: Zenodo publishes the MD5 of each file (speech
# bc696df654c87fed845eb13823edef8a, 208,468,073 bytes; song 5411230427d67a21e18aa4d466e6d1b9,
# 225,505,317 bytes); the SHA-256 pinned here come from independent public records of the same
# archives whose MD5 and size match Zenodo's (we had no network access to compute them).
# EmoDB: the authors publish no checksum and none could be verified, although the file is
# static: a SHA-256 belongs here once it has been computed from a download. TESS: Dataverse
# builds its "download all files" zip on the fly (member order and timestamps vary), so no
# checksum of its bytes can exist. Both fall back on each member's CRC-32 (checked while
# extracting) and the exact clip and speaker counts.
_CORPORA: tuple[Corpus, ...] = (
    Corpus(
        name="ravdess",
        emotion_counts=_ravdess_counts(_RAVDESS_SPEECH, 1440),
        clips=1440,
        speakers=24,
        **_RAVDESS,
    ),
    _ravdess_subset("speech", "5d208e01632cc3e5242106fa2af3273e6dc5239fb8143131979ac74c4aa40657"),
    _ravdess_subset("song", "89f3df66cc67ebb70c8af6f72f3f359bee497f6f763a9d863b6477619716d428"),
    Corpus(
        name="crema_d",
        title="CREMA-D",
        emotion_counts=MappingProxyType(
            {
                "angry": 1271,
                "disgust": 1271,
                "fear": 1271,
                "happy": 1271,
                "sad": 1271,
                "neutral": 1087,
            }
        ),
        clips=7442,
        speakers=91,
        language="English",
        sample_rate="16 kHz",
        licence="Open Database License (ODbL 1.0); contents under the Database Contents License",
        source="https://github.com/CheyneyComputerScience/CREMA-D (git-lfs)",
        citation=(
            "Cao H, Cooper DG, Keutmann MK, Gur RC, Nenkova A, Verma R (2014). CREMA-D: "
            "Crowd-sourced Emotional Multimodal Actors Dataset. IEEE Transactions on "
            "Affective Computing 5(4): 377-390. doi:10.1109/TAFFC.2014.2336244"
        ),
        how_to_get="""\
CREMA-D is not in '{folder}', and it cannot be downloaded automatically: there is no single
archive of it. Its 7,442 WAV files are stored with git-lfs in
https://github.com/CheyneyComputerScience/CREMA-D (mirror:
https://gitlab.com/cs-cooper-lab/crema-d-mirror); GitHub's "Download ZIP" only holds
130-byte git-lfs pointers, not audio. To get the WAV files (about 600 MB) into that folder:

    git lfs install
    GIT_LFS_SKIP_SMUDGE=1 git clone https://github.com/CheyneyComputerScience/CREMA-D.git "{folder}"
    cd "{folder}" && git lfs pull --include "AudioWAV/*"

then call fetch_crema_d() again (or load_crema_d(path) for a copy elsewhere). The authors
ask users to fill in the short form linked from the repository's README.
""",
    ),
    Corpus(
        name="tess",
        title="TESS",
        emotion_counts=MappingProxyType(
            dict.fromkeys(("angry", "disgust", "fear", "happy", "neutral", "surprise", "sad"), 400)
        ),
        clips=2800,
        speakers=2,
        language="English (Canadian)",
        sample_rate="24,414 Hz",
        licence="CC BY-NC-ND 4.0",
        source="https://doi.org/10.5683/SP2/E8H2MF (University of Toronto Dataverse, Borealis)",
        citation=(
            "Pichora-Fuller MK, Dupuis K (2020). Toronto emotional speech set (TESS). "
            "Borealis, V1. doi:10.5683/SP2/E8H2MF"
        ),
        archive=RemoteArchive(
            url=(
                "https://borealisdata.ca/api/access/dataset/:persistentId/"
                "?persistentId=doi:10.5683/SP2/E8H2MF"
            ),
            filename="tess_dataverse.zip",
            folder="tess",
            known_hash=None,
            max_size=1024**3,
            hash_note="Dataverse assembles the zip on the fly: its bytes are not stable",
        ),
    ),
    Corpus(
        name="savee",
        title="SAVEE",
        emotion_counts=MappingProxyType(
            {
                "angry": 60,
                "disgust": 60,
                "fear": 60,
                "happy": 60,
                "sad": 60,
                "surprise": 60,
                "neutral": 120,
            }
        ),
        clips=480,
        speakers=4,
        language="English (British)",
        sample_rate="44.1 kHz",
        licence="free for research use after registration; no redistribution",
        source="http://kahlan.eps.surrey.ac.uk/savee/ (registration required)",
        citation=(
            "Haq S, Jackson PJB (2010). Multimodal emotion recognition. In W Wang (ed.), "
            "Machine Audition: Principles, Algorithms and Systems, IGI Global, 398-423. "
            "doi:10.4018/978-1-61520-919-4.ch017"
        ),
        how_to_get="""\
SAVEE is not in '{folder}', and it cannot be downloaded automatically: the University of
Surrey distributes it only to registered users, for research.
1. Register at http://kahlan.eps.surrey.ac.uk/savee/ (page "Register"); you receive a user
   name and password by e-mail.
2. Download the audio data ("AudioData") from the same site with these credentials.
3. Extract it so that the WAV files are below that folder, e.g.
   {folder}/AudioData/DC/a01.wav (the flat layout DC_a01.wav of mirrors works too).
Then call fetch_savee() again, or load_savee(path) for a copy elsewhere.
""",
    ),
    Corpus(
        name="emodb",
        title="EmoDB",
        emotion_counts=MappingProxyType(
            {
                "angry": 127,
                "boredom": 81,
                "neutral": 79,
                "happy": 71,
                "fear": 69,
                "sad": 62,
                "disgust": 46,
            }
        ),
        clips=535,
        speakers=10,
        language="German",
        sample_rate="16 kHz",
        licence="free of charge for research use",
        source="http://emodb.bilderbar.info/ (download/download.zip)",
        citation=(
            "Burkhardt F, Paeschke A, Rolfes M, Sendlmeier WF, Weiss B (2005). A database of "
            "German emotional speech. Proc. Interspeech 2005, 1517-1520."
        ),
        archive=RemoteArchive(
            # The authors publish the archive at an http address (every public reference
            # uses it); https is tried first and http only if https cannot be reached at
            # all. No checksum is published, so the exact counts per emotion and the zip's
            # CRC-32 are what guard this download.
            url="https://emodb.bilderbar.info/download/download.zip",
            fallback_url="http://emodb.bilderbar.info/download/download.zip",
            filename="emodb_download.zip",
            folder="emodb",
            known_hash=None,
            max_size=200 * 1024**2,
            # Listening-test results and the phone and syllable labels of the release.
            label_files=("erkennung.txt", "erklaerung.txt", "lablaut/*", "labsilb/*", "silb/*"),
            hash_note="the authors publish no checksum and none could be verified",
        ),
    ),
)

# Looked up at call time (tests point an entry's archive at a local server).
_BY_NAME: dict[str, Corpus] = {c.name: c for c in _CORPORA}

#: Names accepted by :func:`load_corpus`, :func:`load_corpora` and ``--corpus``
#: (``-`` may replace ``_``, case does not matter).
CORPUS_NAMES = tuple(_BY_NAME)


def download_limit(archive: RemoteArchive) -> int:
    """The most bytes a download of ``archive`` may take before it is stopped.

    Parameters
    ----------
    archive : RemoteArchive

    Returns
    -------
    limit : int
        Its stated size (or, without one, its ``max_size``) plus a margin.

    Examples
    --------
    >>> from sklearn_ser.datasets import get_corpus
    >>> from sklearn_ser.datasets._registry import download_limit
    >>> download_limit(get_corpus("ravdess_speech").archive)
    212637434
    """
    expected = _DOWNLOAD_BYTES.get(archive.filename, archive.max_size)
    return expected + max(int(expected * _DOWNLOAD_MARGIN), 2**20)


def list_corpora() -> tuple[Corpus, ...]:
    """All registry entries, in the order of :data:`CORPUS_NAMES`.

    Returns
    -------
    corpora : tuple of Corpus
        The entries (name, title, loader, fetcher, archive, licence, citation ...).

    Examples
    --------
    >>> from sklearn_ser.datasets import list_corpora
    >>> [c.name for c in list_corpora() if c.archive is not None]
    ['ravdess_speech', 'ravdess_song', 'tess', 'emodb']
    """
    return tuple(_BY_NAME.values())


def get_corpus(name) -> Corpus:
    """The registry entry of corpus ``name``.

    Parameters
    ----------
    name : str
        One of :data:`CORPUS_NAMES`; case and ``-`` versus ``_`` do not matter
        (``"CREMA-D"`` is ``"crema_d"``).

    Returns
    -------
    corpus : Corpus
        Its ``loader``, ``fetcher``, ``load(root, **kwargs)``, ``fetch(**kwargs)``,
        ``archive``, ``licence``, ``citation``, ``emotions``, ``clips`` and ``speakers``.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not a known corpus; the message lists the known ones.

    Examples
    --------
    >>> from sklearn_ser.datasets import get_corpus
    >>> entry = get_corpus("CREMA-D")
    >>> entry.name, entry.clips, entry.speakers, entry.loader.__name__
    ('crema_d', 7442, 91, 'load_crema_d')
    """
    if not isinstance(name, str):
        raise TypeError(f"A corpus name must be a string such as 'emodb', got {name!r}.")
    key = name.strip().lower().replace("-", "_")
    if key not in _BY_NAME:
        raise ValueError(f"Unknown corpus {name!r}; choose one of {list(CORPUS_NAMES)}.")
    return _BY_NAME[key]
