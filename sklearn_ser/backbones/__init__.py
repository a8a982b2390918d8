"""Pretrained speech encoders: pinned checkpoints, verified resolution, runtimes.

:data:`BACKBONES` pins each checkpoint the library can run (repository, revision, size and
SHA-256 of every file); :func:`resolve_backbone` finds its files on this machine or fetches
them, and refuses any that do not match; :func:`log_mel` is Whisper's input.
"""

from ._registry import BACKBONES, Backbone, PinnedFile, get_backbone
from ._resolve import BackboneFileError, BackboneNotFoundError, resolve_backbone, verify_file
from ._whisper import log_mel

__all__ = ["BACKBONES", "Backbone", "BackboneFileError", "BackboneNotFoundError",
           "PinnedFile", "get_backbone", "log_mel", "resolve_backbone", "verify_file"]
