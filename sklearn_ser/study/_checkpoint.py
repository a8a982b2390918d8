"""A study's finished (model, fold) results on disk, so that a stopped study can resume.

Every result is one JSON file, written to a temporary name and renamed into place
(:func:`os.replace` is atomic on POSIX and Windows), so a study killed at any instant, even
by SIGKILL, leaves whole files only. Every file carries the key of the full configuration
it was computed with (a hash of :func:`study_settings`); a result is only ever read back
under the same key, so results of two configurations can never meet in one table.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..frontend.inputs import content_key
from ..utils._json import json_data

__all__ = ["Checkpoint", "config_key", "data_fingerprint", "describe_changes"]

_SETTINGS = "settings.json"
_FORMAT = 1


def _digest(*parts) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else str(part).encode())
        hasher.update(b"\0")
    return hasher.hexdigest()


def data_fingerprint(X, y, groups) -> dict:
    """What identifies the data of a study: its size and a digest of every clip and label.

    A file clip is digested by its path and its bytes (a file replaced by another one under
    the same name is new data); a waveform by its float32 samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.study._checkpoint import data_fingerprint
    >>> X = [np.zeros(10), np.ones(10)]
    >>> a = data_fingerprint(X, ["sad", "angry"], [1, 2])
    >>> b = data_fingerprint(X, ["sad", "sad"], [1, 2])
    >>> a["n_clips"], a["digest"] == b["digest"]
    (2, False)
    """
    parts = []
    for clip in X:
        if isinstance(clip, (str, os.PathLike)):
            parts.append(f"{os.fspath(clip)}:{content_key(clip)}")
        else:
            samples = np.ascontiguousarray(np.asarray(clip, dtype=np.float32))
            parts.append(_digest(samples.shape, samples.tobytes()))
    labels = [str(v) for v in np.asarray(y).tolist()]
    speakers = [str(v) for v in np.asarray(groups).tolist()]
    return {"n_clips": len(parts), "digest": _digest(*parts, *labels, "|", *speakers)}


def _plain(value):
    """``value`` as JSON data; anything else by its repr (estimators, callables, classes)."""
    return json_data(value, other=lambda v: " ".join(repr(v).split()))


def config_key(settings: Mapping) -> str:
    """Hash of a study's settings (see :func:`study_settings`): equal settings, equal key."""
    text = json.dumps(_plain(settings), sort_keys=True, allow_nan=True)
    return _digest(_FORMAT, text)


def _flatten(settings, prefix=""):
    flat = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and key not in ("data", "folds"):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def describe_changes(old: Mapping, new: Mapping) -> list[str]:
    """What differs between two settings, one readable phrase per setting.

    Examples
    --------
    >>> from sklearn_ser.study._checkpoint import describe_changes
    >>> describe_changes({"archs": ["cnn"], "classifier": {"epochs": 2}},
    ...                  {"archs": ["cnn"], "classifier": {"epochs": 3}})
    ['classifier.epochs 2 -> 3']
    """
    old, new = _flatten(_plain(old)), _flatten(_plain(new))
    changes = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name, "(not set)"), new.get(name, "(not set)")
        if before == after:
            continue
        if name == "data":
            changes.append("data: other clips, labels or speakers"
                           f" ({before.get('n_clips', '?') if isinstance(before, dict) else '?'}"
                           f" -> {after.get('n_clips', '?') if isinstance(after, dict) else '?'}"
                           " clips)")
        elif name == "folds":
            changes.append("folds: other speaker splits")
        else:
            changes.append(f"{name} {before} -> {after}")
    return changes


def _write_atomic(path: Path, text: str):
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Checkpoint:
    """The finished (model, fold) results of one configuration, in a folder.

    Parameters
    ----------
    folder : str or path-like
        Created if needed. It holds ``settings.json`` and one ``<model>-fold<k>.json`` per
        result.
    settings : mapping
        The study's settings; their :func:`config_key` keys every result.

    Attributes
    ----------
    key : str
        The configuration key.
    status : {"new", "resumed", "fresh"}
        Whether the folder was empty, held results of these settings, or held results of
        other settings (deleted: they cannot be part of this study).
    changes : list of str
        With ``status="fresh"``, what changed (:func:`describe_changes`).
    n_discarded : int
        Results of other settings deleted when the folder was opened.
    """

    def __init__(self, folder, settings: Mapping):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.settings = _plain(settings)
        self.key = config_key(settings)
        self.changes = []
        self.n_discarded = 0
        previous = self._read(self.folder / _SETTINGS)
        if previous is None:
            self.status = "new"
        elif previous.get("key") == self.key:
            self.status = "resumed"
        else:
            self.status = "fresh"
            self.changes = (describe_changes(previous.get("settings", {}), self.settings)
                            or ["the format of the saved results"])
        if self.status != "resumed":
            for stale in self._result_files():
                stale.unlink(missing_ok=True)
                self.n_discarded += 1
            _write_atomic(self.folder / _SETTINGS, json.dumps(
                {"key": self.key, "settings": self.settings}, indent=2, sort_keys=True))

    @staticmethod
    def _read(path):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing, or not ours: nothing to resume from

    def _result_files(self):
        return [p for p in self.folder.glob("*-fold*.json") if p.name != _SETTINGS]

    def _path(self, model, fold) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(model))
        return self.folder / f"{safe}-fold{fold}.json"

    def load(self, model, fold) -> dict | None:
        """The saved result of ``(model, fold)`` under this key, or None."""
        document = self._read(self._path(model, fold))
        if (document is None or document.get("key") != self.key
                or document.get("model") != model or document.get("fold") != fold):
            return None
        return document

    def save(self, result: Mapping):
        """Save one result (a mapping with ``model`` and ``fold``), atomically."""
        document = {"key": self.key, **result}
        _write_atomic(self._path(result["model"], result["fold"]),
                      json.dumps(document, allow_nan=True))
