"""The container of the safe format: one zip, a manifest, members checked before they are used.

Reading trusts nothing in the file: the manifest must name our format and a version this code
reads, the members present must be exactly those it lists, and each member's SHA-256 must match
before its bytes are parsed. Sizes come from what is actually read, never from a header, and are
bounded.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import zipfile
import zlib
from importlib import metadata
from pathlib import Path

import numpy as np

from ._target import atomic_write

FORMAT_NAME = "sklearn-ser-model"
#: Version of the layout written by :func:`sklearn_ser.save`; files with a higher one are refused.
FORMAT_VERSION = 1
#: Suggested file extension (any name works: the format is recognised by its content).
SUFFIX = ".skser"
MANIFEST = "manifest.json"
# A JSON member bigger than this is not one we wrote (a large pipeline's tree is a few KB).
_MAX_JSON_BYTES = 16 * 2**20
# Keras weights and arrays: far above any SER model, far below what would exhaust memory.
_MAX_MEMBER_BYTES = 2 * 2**30
#: Bytes that loading one file may read, decompress and allocate for its members, all of them
#: together (a member referenced N times counts N times): the shipped model needs under 2 MB,
#: a large classical step (a forest on ComParE) some tens of MB.
MAX_LOAD_BYTES = 512 * 2**20
_CHUNK = 2**20
# Versions recorded in the manifest (read from the installed distributions, not imported).
_DISTRIBUTIONS = ("sklearn-ser", "scikit-learn", "numpy", "scipy", "keras", "tensorflow",
                  "scikeras", "skops", "joblib")
# First bytes of the files joblib.dump / pickle.dump write (joblib compresses with one of these).
_PICKLE_SIGNATURES = (
    (b"\x80\x02", "a pickle (protocol 2)"), (b"\x80\x03", "a pickle (protocol 3)"),
    (b"\x80\x04", "a pickle (protocol 4)"), (b"\x80\x05", "a pickle (protocol 5)"),
    (b"\x78\x01", "a zlib-compressed joblib/pickle"),
    (b"\x78\x5e", "a zlib-compressed joblib/pickle"),
    (b"\x78\x9c", "a zlib-compressed joblib/pickle"),
    (b"\x78\xda", "a zlib-compressed joblib/pickle"),
    (b"\x1f\x8b", "a gzip-compressed joblib/pickle"),
    (b"BZh", "a bz2-compressed joblib/pickle"),
    (b"\xfd7zXZ\x00", "an xz-compressed joblib/pickle"),
    (b"\x5d\x00\x00", "an lzma-compressed joblib/pickle"),
    (b"\x04\x22\x4d\x18", "an lz4-compressed joblib/pickle"),
)


class ModelFileError(ValueError):
    """A file that :func:`sklearn_ser.load` refuses: not ours, damaged, tampered or too new.

    The message names the file and the reason.
    """


class PickleModelFileError(ModelFileError):
    """A pickle or joblib file, refused because loading it could run code from the file."""


def versions() -> dict:
    """Installed versions of the libraries a model file depends on (None when absent)."""
    found = {"python": platform.python_version()}
    for name in _DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def pickle_kind(path) -> str | None:
    """What kind of pickle-based file ``path`` looks like, or None."""
    with open(path, "rb") as f:
        head = f.read(8)
    for signature, kind in _PICKLE_SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def starts_as_zip(path) -> bool:
    """Whether ``path`` begins with a zip entry (zipfile.is_zipfile alone is not enough).

    ``is_zipfile`` looks for a zip directory at the end of the file, which a joblib file of a
    Keras model also has: scikeras pickles the network as ``.keras`` zip bytes.
    """
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04" and zipfile.is_zipfile(path)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArchiveWriter:
    """Collects members in memory, then writes the zip atomically with its manifest."""

    def __init__(self):
        self._members: dict[str, bytes] = {}

    def add(self, prefix: str, suffix: str, data: bytes) -> str:
        name = f"{prefix}/{len(self._members):04d}{suffix}"
        self._members[name] = data
        return name

    def add_array(self, array: np.ndarray) -> str:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return self.add("arrays", ".npy", buffer.getvalue())

    def write(self, path: Path, tree: dict, summary: str) -> None:
        members = {"estimator.json": json.dumps(tree, allow_nan=False).encode(),
                   **self._members}
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "estimator": summary,
            "versions": versions(),
            "members": {name: _digest(data) for name, data in members.items()},
        }
        def write(file):
            with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(MANIFEST, json.dumps(manifest, indent=2, allow_nan=False))
                for name, data in members.items():
                    # a .keras file is a zip already: deflating it again gains nothing
                    kind = zipfile.ZIP_STORED if name.endswith(".keras") else zipfile.ZIP_DEFLATED
                    zf.writestr(name, data, compress_type=kind)

        atomic_write(path, write, what="save to")


class ArchiveReader:
    """An opened model file whose manifest has been checked; members are read verified."""

    def __init__(self, path, max_bytes=MAX_LOAD_BYTES):
        self.path = Path(path)
        self.manifest = None
        self.max_bytes = max_bytes
        self.used = 0  # bytes charged against max_bytes so far
        if not self.path.is_file():
            raise FileNotFoundError(f"Model file '{self.path}' does not exist.")
        if not starts_as_zip(self.path):
            kind = pickle_kind(self.path)
            if kind is not None:
                raise PickleModelFileError(
                    f"'{self.path}' is {kind} file, not a sklearn-ser model file. "
                    f"{PICKLE_RISK} sklearn_ser.load never unpickles."
                )
            raise ModelFileError(f"'{self.path}' is not a sklearn-ser model file (not a zip).")
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, ValueError, OverflowError, EOFError, NotImplementedError) \
                as err:
            # a mutated central directory surfaces as any of these, depending on the field
            raise ModelFileError(f"'{self.path}' is a damaged zip file: {err}.") from None
        try:
            self._check_manifest()
        except BaseException:
            self.close()
            raise

    def close(self):
        """Close the zip (idempotent); ``with contextlib.closing(reader)`` calls it."""
        if getattr(self, "_zip", None) is not None:
            self._zip.close()
            self._zip = None

    def _fail(self, reason: str):
        raise ModelFileError(f"'{self.path}' {reason}")

    def _check_manifest(self):
        infos = self._zip.infolist()
        names = [info.filename for info in infos]
        if MANIFEST not in names:
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            self._fail(f"is a zip file but not a sklearn-ser model file: it has no {MANIFEST} "
                       f"(members: {shown or 'none'}). Nothing in it was loaded.")
        if len(set(names)) != len(names):
            self._fail("holds the same member name twice; a model file never does "
                       "(the file was tampered with).")
        try:
            manifest = json.loads(self._raw(MANIFEST, _MAX_JSON_BYTES, charge=False))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            self._fail(f"has a {MANIFEST} that is not valid JSON ({err}).")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            self._fail(f"is not a sklearn-ser model file: its {MANIFEST} does not name the "
                       f"format {FORMAT_NAME!r}.")
        version = manifest.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self._fail(f"has an invalid format version {version!r} in its {MANIFEST}.")
        if version > FORMAT_VERSION:
            made_by = (manifest.get("versions") or {}).get("sklearn-ser")
            self._fail(
                f"was written in format version {version} (by sklearn-ser {made_by}); this "
                f"sklearn-ser ({versions()['sklearn-ser']}) reads format versions up to "
                f"{FORMAT_VERSION}. Upgrade sklearn-ser to load it."
            )
        listed = manifest.get("members")
        if not isinstance(listed, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in listed.items()):
            self._fail(f"has no valid member list in its {MANIFEST}.")
        present = set(names) - {MANIFEST}
        extra, missing = sorted(present - set(listed)), sorted(set(listed) - present)
        if extra:
            self._fail(f"holds member(s) its {MANIFEST} does not list: {extra}. A model file "
                       "holds nothing else; none of it was loaded.")
        if missing:
            self._fail(f"lacks member(s) listed in its {MANIFEST}: {missing} (truncated or "
                       "damaged file).")
        self.manifest = manifest

    def charge(self, size: int, member: str, what: str = "") -> None:
        """Count ``size`` bytes of ``member`` against the budget, or refuse the file."""
        if size > self.max_bytes - self.used:
            self._fail(
                f"needs more memory than a model file may take: {member!r}"
                f"{' (' + what + ')' if what else ''} would bring what loading reads and "
                f"allocates to {self.used + size} bytes, over the budget of {self.max_bytes} "
                "(max_bytes; a member referenced several times counts each time). If you "
                "trust this file and it is really this large, pass a larger max_bytes.")
        self.used += size

    def _raw(self, name: str, limit: int, charge: bool = True) -> bytes:
        """The bytes of a member, read in chunks and never more than ``limit``."""
        chunks, size = [], 0
        try:
            with self._zip.open(name) as f:
                while chunk := f.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        self._fail(f"has a member {name!r} larger than {limit} bytes; no "
                                   "model file member is that large.")
                    if charge:
                        # counted as it is read: an oversized member stops at the budget
                        self.charge(len(chunk), name)
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError,
                RuntimeError) as err:
            # RuntimeError: an encrypted member; NotImplementedError: an unknown compression
            self._fail(f"has a damaged member {name!r}: {err}.")
        return b"".join(chunks)

    def read(self, name: str, limit: int = _MAX_MEMBER_BYTES) -> bytes:
        """A listed member's bytes, after its SHA-256 matched the manifest."""
        if name not in self.manifest["members"]:
            self._fail(f"refers to a member {name!r} that its {MANIFEST} does not list.")
        data = self._raw(name, limit)
        if _digest(data) != self.manifest["members"][name]:
            self._fail(f"has a member {name!r} whose SHA-256 does not match the one in its "
                       f"{MANIFEST}: the file was modified or is damaged.")
        return data

    def tree(self) -> dict:
        try:
            return json.loads(self.read("estimator.json", _MAX_JSON_BYTES))
        except RecursionError:
            self._fail("has an estimator.json nested too deeply to be one we wrote.")
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            self._fail(f"has an estimator.json that is not valid JSON ({err}).")

    def read_array(self, name: str) -> np.ndarray:
        """An ``.npy`` member, with its header checked against the bytes actually present."""
        data = self.read(name)
        buffer = io.BytesIO(data)
        try:
            major, _ = np.lib.format.read_magic(buffer)
            read_header = (np.lib.format.read_array_header_1_0 if major == 1
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(buffer)
            if dtype.hasobject:
                self._fail(f"has an array {name!r} of Python objects; model files hold none "
                           "(loading it would need unpickling).")
            expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if expected != len(data) - buffer.tell():
                self._fail(f"has an array {name!r} whose header claims shape {shape} of "
                           f"{dtype} ({expected} bytes) but holds {len(data) - buffer.tell()} "
                           "bytes.")
            buffer.seek(0)
            return np.load(buffer, allow_pickle=False)
        except ModelFileError:
            raise
        except Exception as err:  # NumPy's header parser raises SyntaxError, TokenError...
            self._fail(f"has an invalid array {name!r}: {type(err).__name__}: {err}.")


PICKLE_RISK = (
    "Loading a pickle-based file (pickle, joblib, cloudpickle) can execute arbitrary code: "
    "unpickling runs instructions stored in the file before any check of what it holds. Load "
    "such a file only if you trust its source."
)
