"""The harness of the accuracy studies: corpora, tiny subsets, cached features, one record format.

Every study script in this folder is a short ``main`` on these pieces:

- :func:`load` reads a corpus through the package's own loaders (``sklearn_ser.datasets``),
  so labels are the harmonised emotions and groups the speakers; ``--speakers`` and
  ``--max-clips`` cut it down to a subset small enough to prove a script works in a minute.
- :func:`cached_views` and :func:`cached_functionals` extract the library's default features
  (clean clip and its five augmented views) or openSMILE functionals once per corpus subset
  and keep them as ``.npy`` under ``$SER_ACC_CACHE`` (default ``/tmp/ser_acc``).
- :class:`Study` appends one JSON line per run to ``results/<study>.jsonl`` (``$SER_ACC_RESULTS``
  for a proof run), in one format:
  ``script``, ``command``, ``revision``, ``corpus``, ``cv``, ``params``, ``uar`` (per fold),
  ``mean_uar``, ``times``, ``date`` and, where a study has more to say, ``extra``.

Run the scripts from the project root; the corpora are read from ``../shared/data``
(``$SER_DATA`` to change).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold, GroupShuffleSplit
from sklearn.utils import Bunch

from sklearn_ser.datasets import load_crema_d, load_emodb, load_tess, make_emotional_speech
from sklearn_ser.defaults import AUGMENTATIONS

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("SER_DATA", HERE.parents[2] / "shared" / "data"))
CACHE = Path(os.environ.get("SER_ACC_CACHE", "/tmp/ser_acc"))
# a tiny proof run can write elsewhere than the studies' records
RESULTS = Path(os.environ.get("SER_ACC_RESULTS", HERE / "results"))
LOADERS = {"emodb": load_emodb, "crema_d": load_crema_d, "tess": load_tess}
CORPORA = (*LOADERS, "demo")


def parser(description, *, views=False, classifier=True) -> argparse.ArgumentParser:
    """The options the studies share: the corpus, a tiny subset, the folds, the extraction;
    with ``classifier`` the SERClassifier's seed and parameters, with ``views`` the cached
    views' transformer parameters."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--corpus", choices=CORPORA, default="emodb")
    p.add_argument("--speakers", type=int, default=None, metavar="N",
                   help="a tiny run: only the first N speakers (sorted by id)")
    p.add_argument("--max-clips", type=int, default=None, metavar="N",
                   help="a tiny run: at most N clips, spread evenly over the corpus")
    p.add_argument("--cv", type=int, default=5, metavar="K", help="GroupKFold(K) by speaker")
    p.add_argument("--n-jobs", type=int, default=2, help="feature extraction processes")
    if classifier:
        p.add_argument("--seed", type=int, default=0, help="random_state of the classifier")
        p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="a SERClassifier parameter, the value a Python literal "
                            "(e.g. epochs=1, model__units=64)")
    if views:
        p.add_argument("--feature-param", action="append", default=[], metavar="NAME=VALUE",
                       help="an AudioFeatureTransformer parameter (its own cache file)")
    return p


def literal_params(p, option, items) -> dict:
    """``NAME=VALUE`` strings -> {name: Python literal}; a malformed one is a usage error."""
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            params[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            sep = ""
        if not sep or not name:
            p.error(f"{option} {item!r}: expected NAME=VALUE, VALUE a Python literal")
    return params


def parse_candidate(text) -> dict:
    """``views:epochs[:peak learning rate[:batch size]]`` -> SERClassifier parameters."""
    views, epochs, *rest = text.split(":")
    params = {"views_per_epoch": None if views == "all" else int(views), "epochs": int(epochs)}
    if rest:
        params["optimizer__learning_rate"] = float(rest[0])
    if len(rest) > 1:
        params["batch_size"] = int(rest[1])
    return params


def load(name, *, speakers=None, max_clips=None, emotions=None) -> Bunch:
    """A corpus as ``Bunch(X, y, groups, input_sr, name, subset)``, optionally cut down.

    ``X`` holds paths (``input_sr`` None) or, for the synthetic ``demo`` corpus, waveforms.
    """
    if name == "demo":
        data = make_emotional_speech(random_state=0)
        X, input_sr = list(data.X), data.sr
        if emotions is not None:
            keep = np.flatnonzero(np.isin(data.y, list(emotions)))
            data = Bunch(y=np.asarray(data.y)[keep], groups=np.asarray(data.groups)[keep])
            X = [X[i] for i in keep]
    else:
        data = LOADERS[name](DATA / name, emotions=emotions)
        X, input_sr = list(data.X), None
    y, groups = np.asarray(data.y), np.asarray(data.groups)
    keep = np.arange(len(y))
    if speakers is not None:
        keep = keep[np.isin(groups, np.unique(groups)[:speakers])]
    if max_clips is not None and keep.size > max_clips:
        keep = keep[np.linspace(0, keep.size - 1, max_clips).round().astype(int)]
    subset = None if keep.size == len(y) else {"speakers": speakers, "max_clips": max_clips}
    return Bunch(X=[X[i] for i in keep], y=y[keep], groups=groups[keep], input_sr=input_sr,
                 name=name, subset=subset)


def describe(data) -> dict:
    """The ``corpus`` field of a record."""
    return {"name": data.name, "n_clips": len(data.y),
            "n_speakers": int(np.unique(data.groups).size), "subset": data.subset}


def _cache_path(data, kind, params) -> Path:
    # keyed on the clips themselves (paths, or samples), so another subset or a loader that
    # keeps other files never reuses a cache
    digest = hashlib.blake2b(digest_size=6)
    for clip in data.X:
        digest.update(str(clip).encode() if data.input_sr is None
                      else np.ascontiguousarray(clip, dtype=np.float32).tobytes())
    clips = digest.hexdigest()
    suffix = "".join(f"_{k}{v}" for k, v in sorted(params.items()))
    return CACHE / f"{kind}_{data.name}_{clips}{suffix}.npy"


def _cached(path, extract):
    if path.exists():
        return np.load(path, mmap_mode="r")
    CACHE.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    X = extract()
    np.save(path, X)
    print(f"extracted {X.shape} in {time.perf_counter() - start:.0f} s -> {path}", flush=True)
    return np.load(path, mmap_mode="r")


def cached_views(data, n_jobs, **transformer_params):
    """``AudioFeatureTransformer(augment=<the default five>, random_state=0).fit_transform``
    of every clip, ``(n_clips, 6, n_frames, n_features)``, extracted once (view 0 clean)."""
    from sklearn_ser import AudioFeatureTransformer

    def extract():
        aft = AudioFeatureTransformer(augment=AUGMENTATIONS, random_state=0, n_jobs=n_jobs,
                                      input_sr=data.input_sr, **transformer_params)
        return aft.fit_transform(data.X)

    return _cached(_cache_path(data, "views", transformer_params), extract)


def cached_functionals(data, feature_set, n_jobs):
    """openSMILE functionals of every clip at its own rate (``process_file``'s), once."""
    from sklearn_ser import OpenSmileTransformer

    def extract():
        return OpenSmileTransformer(feature_set, input_sr=data.input_sr,
                                    n_jobs=n_jobs).fit_transform(data.X)

    return _cached(_cache_path(data, "smile", {"set": feature_set}), extract)


def speaker_folds(data, n_splits):
    """The outer folds: ``GroupKFold(n_splits)`` by speaker, as (train, test) index pairs."""
    return list(GroupKFold(n_splits).split(np.zeros(len(data.y)), data.y, data.groups))


def inner_split(data, train):
    """A fifth of an outer fold's training speakers held out: (inner train, validation)."""
    splitter = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0)
    tr, va = next(splitter.split(train, data.y[train], data.groups[train]))
    return train[tr], train[va]


def uar(y_true, y_pred) -> float:
    """Unweighted average recall (balanced accuracy)."""
    return float(balanced_accuracy_score(y_true, y_pred))


def revision() -> str:
    """The checkout's commit, with ``+dirty`` when tracked files differ from it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True,
                              check=False).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


class Study:
    """One results file, ``results/<name>.jsonl``, and the records of its runs.

    Parameters
    ----------
    name : str
        The study (usually the script's name without ``.py``).
    """

    def __init__(self, name):
        self.name = name
        self.path = RESULTS / f"{name}.jsonl"
        self.command = "python " + " ".join([os.path.relpath(sys.argv[0]), *sys.argv[1:]])

    def record(self, *, corpus, cv, params, uar, times, extra=None) -> dict:
        """Append one run: ``uar`` per fold (or per split), ``times`` in seconds."""
        line = {"script": f"{self.name}.py", "command": self.command, "revision": revision(),
                "corpus": corpus, "cv": cv, "params": params,
                "uar": [round(float(u), 4) for u in uar],
                "mean_uar": round(float(np.mean(uar)), 4),
                "times": {k: round(v, 1) if isinstance(v, float) else v
                          for k, v in times.items()},
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        if extra:
            line["extra"] = extra
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as fh:
            fh.write(json.dumps(line) + "\n")
        print(f"{line['mean_uar']:.3f} mean UAR ({' '.join(f'{u:.3f}' for u in uar)}) "
              f"-> {self.path}", flush=True)
        return line
