"""CTranslate2 model files: list their variables, and cut a Whisper encoder after a layer.

CTranslate2's ``Whisper.encode`` returns the output of the last encoder layer only, but the
middle layers of a speech encoder carry more of the speaker's affect than its last (see
docs/accuracy.rst, "Whisper's encoder"). CTranslate2 builds as many encoder layers as the
file holds variables for (``encoder/layer_<i>/...``), so a file without the layers past
``k`` is an encoder whose output is layer ``k``'s, passed through the final layer norm;
it also runs ``n_layers / k`` times faster. The decoder, which the library never runs, is
kept to its first layer (CTranslate2 needs one to build the model). The file format is the
one written by ``ctranslate2.specs.ModelSpec.save`` (binary version 6): a header, then
each variable as (name, shape, dtype id, byte count, bytes), then aliases.
"""

from __future__ import annotations

import re
import struct
from typing import BinaryIO, NamedTuple

__all__ = ["Variable", "read_variables", "truncate_encoder"]

_VERSION = 6
#: Any header field past these limits is a damaged or hostile file, not a model.
_MAX_NAME = 4096
_MAX_RANK = 8
_MAX_VARIABLES = 100_000


class Variable(NamedTuple):
    """One variable of a model file: where its bytes are, not the bytes."""

    name: str
    shape: tuple
    dtype_id: int
    offset: int
    n_bytes: int


def _read(f: BinaryIO, fmt: str):
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ValueError("the file ends inside its header")
    return struct.unpack("<" + fmt, data)[0]


def _read_string(f: BinaryIO) -> str:
    n = _read(f, "H")
    if not 1 <= n <= _MAX_NAME:
        raise ValueError(f"a name of {n} bytes")
    raw = f.read(n)
    if len(raw) != n or raw[-1:] != b"\0":
        raise ValueError("a name that is not a terminated string")
    return raw[:-1].decode("utf-8")


def read_variables(f: BinaryIO, file_size: int) -> tuple[dict, list[Variable], list]:
    """The header (version, spec, revision), the variables and the aliases of a model file.

    Reads names and shapes only, seeking past the data; every count and size is checked
    against ``file_size`` before it is trusted.
    """
    version = _read(f, "I")
    if version != _VERSION:
        raise ValueError(f"binary version {version}, this reader knows {_VERSION}")
    header = {"version": version, "spec": _read_string(f), "revision": _read(f, "I")}
    n_variables = _read(f, "I")
    if n_variables > _MAX_VARIABLES:
        raise ValueError(f"{n_variables} variables")
    variables = []
    for _ in range(n_variables):
        name = _read_string(f)
        rank = _read(f, "B")
        if rank > _MAX_RANK:
            raise ValueError(f"variable {name} of rank {rank}")
        shape = tuple(_read(f, "I") for _ in range(rank))
        dtype_id = _read(f, "B")
        n_bytes = _read(f, "I")
        offset = f.tell()
        if offset + n_bytes > file_size:
            raise ValueError(f"variable {name} runs past the end of the file")
        variables.append(Variable(name, shape, dtype_id, offset, n_bytes))
        f.seek(n_bytes, 1)
    n_aliases = _read(f, "I")
    if n_aliases > _MAX_VARIABLES:
        raise ValueError(f"{n_aliases} aliases")
    aliases = [(_read_string(f), _read_string(f)) for _ in range(n_aliases)]
    return header, variables, aliases


def _write_string(out: BinaryIO, text: str) -> None:
    raw = text.encode("utf-8")
    out.write(struct.pack("<H", len(raw) + 1) + raw + b"\0")


def encoder_layers(variables) -> int:
    """How many encoder layers the variables describe."""
    found = {int(m.group(1)) for v in variables
             if (m := re.match(r"encoder/layer_(\d+)/", v.name))}
    return len(found)


def _dropped(name: str, n_layers: int) -> bool:
    match = re.match(r"(en|de)coder/layer_(\d+)/", name)
    if match is None:
        return False
    # the decoder never runs here, but CTranslate2 builds a Whisper model only with one layer
    return int(match.group(2)) >= (n_layers if match.group(1) == "en" else 1)


def truncate_encoder(source: str, target: str, n_layers: int) -> None:
    """Write to ``target`` the model file ``source`` cut after encoder layer ``n_layers``.

    Encoder layers ``>= n_layers`` and decoder layers past the first are left out: the
    library only encodes, and the fewer weights CTranslate2 loads the less memory it takes.
    Everything else (convolutions, positions, final layer norms, the decoder's embeddings)
    is copied byte for byte.
    """
    import os

    size = os.path.getsize(source)
    with open(source, "rb") as f:
        header, variables, aliases = read_variables(f, size)
        total = encoder_layers(variables)
        if not 1 <= n_layers <= total:
            raise ValueError(f"the encoder has {total} layers; cannot keep {n_layers}")
        kept = [v for v in variables if not _dropped(v.name, n_layers)]
        with open(target, "wb") as out:
            out.write(struct.pack("<I", header["version"]))
            _write_string(out, header["spec"])
            out.write(struct.pack("<II", header["revision"], len(kept)))
            for v in kept:
                _write_string(out, v.name)
                out.write(struct.pack("<B", len(v.shape)))
                out.write(b"".join(struct.pack("<I", d) for d in v.shape))
                out.write(struct.pack("<BI", v.dtype_id, v.n_bytes))
                f.seek(v.offset)
                out.write(f.read(v.n_bytes))
            out.write(struct.pack("<I", len(aliases)))
            for alias, name in aliases:
                _write_string(out, alias)
                _write_string(out, name)
