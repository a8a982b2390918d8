"""Shared pieces of the Whisper studies: corpora through the package's loaders, cached
embeddings, the six common emotions, and one JSON record per run.

Embeddings are computed with the product's own :class:`~sklearn_ser.WhisperTransformer` and
kept under ``$SER_WHISPER_CACHE`` (default ``/tmp/ser_whisper``) as ``<corpus>_<key>.npy``
so that every head, normalisation and split is tried on the same numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from sklearn_ser.datasets import load_crema_d, load_emodb, load_tess

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("SER_DATA", HERE.parents[2] / "shared" / "data"))
CACHE = Path(os.environ.get("SER_WHISPER_CACHE", "/tmp/ser_whisper"))
LOADERS = {"crema_d": load_crema_d, "tess": load_tess, "emodb": load_emodb}
#: The emotions all three corpora share (TESS's surprise and EmoDB's boredom are left out
#: of leave-one-corpus-out, where a class unseen in training cannot be predicted).
SIX = ("angry", "disgust", "fear", "happy", "neutral", "sad")


def load(corpus: str):
    """The corpus' Bunch (``X`` paths, ``y`` harmonised emotions, ``groups`` speakers)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CREMA-D's four known-broken clips are listed
        return LOADERS[corpus](DATA / corpus)


def embeddings(corpus: str, *, layer: int, pooling: str = "mean_std", **params):
    """``(X, y, groups)`` of a corpus, its features computed once and cached on disk."""
    from sklearn_ser import WhisperTransformer

    data = load(corpus)
    extra = "".join(f"_{k}{v}" for k, v in sorted(params.items()))
    path = CACHE / f"{corpus}_l{layer}_{pooling}{extra}.npy"
    if path.is_file():
        features = np.load(path)
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        embed = WhisperTransformer(layer=layer, pooling=pooling, verbose=1, **params)
        features = embed.fit(data.X[:1]).transform(data.X)
        np.save(path, features)
        print(f"{corpus} layer {layer}: {len(features)} clips embedded in "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
    return features, np.asarray(data.y), np.asarray(data.groups)


def revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True, cwd=HERE).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(results: str, **fields) -> dict:
    """Append one run to ``benchmarks/whisper/<results>.jsonl`` and return it."""
    row = {"command": "python " + " ".join(sys.argv), "revision": revision(),
           "date": time.strftime("%Y-%m-%d %H:%M"), **fields}
    with open(HERE / f"{results}.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row))
    return row
