"""Where the time of one CREMA-D cross-validation fold goes: extraction cold and from the
cache, and training, timed step by step (issue 14's 20-minute bound).

One outer fold of ``GroupKFold(5)`` by actor on the 7,438 clips of ``load_crema_d``: the
transformer of the target pipeline with a joblib cache in a new temporary folder extracts
the fold's training clips cold, then again from the cache (what a later fold's Pipeline
does for clips an earlier fold extracted), then the classifier trains on the views, then
the whole Pipeline is fitted on the warm cache, as ``cross_validate`` would::

    python benchmarks/accuracy/phase_times.py --fold 4 --param views_per_epoch=2

Appends one JSON line to ``phase_results.jsonl`` next to this file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from views_cv import literal_params

from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.datasets import load_crema_d

AUGMENT = ("noise", "stretch_pitch", "shift", "echo", "reverb")
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
RESULTS = Path(__file__).with_name("phase_results.jsonl")


def timed(label, func, times):
    start = time.perf_counter()
    out = func()
    times[label] = round(time.perf_counter() - start, 1)
    print(f"{label}: {times[label]} s", flush=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fold", type=int, default=4)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a SERClassifier parameter (a Python literal)")
    args = parser.parse_args()
    params = literal_params(parser, "--param", args.param)
    data = load_crema_d(SHARED / "crema_d")
    X, y, groups = list(data.X), np.asarray(data.y), np.asarray(data.groups)
    train, _ = list(GroupKFold(5).split(X, y, groups))[args.fold]
    X_train = [X[i] for i in train]
    cache = tempfile.mkdtemp(prefix="ser_phase_cache_")
    times = {}
    try:
        aft = AudioFeatureTransformer(augment=AUGMENT, random_state=0, n_jobs=args.n_jobs,
                                      memory=cache)
        timed("extract_cold", lambda: clone(aft).fit_transform(X_train), times)
        views = timed("extract_cached", lambda: clone(aft).fit_transform(X_train), times)
        clf = SERClassifier(random_state=0, **params)
        timed("train", lambda: clone(clf).fit(views, y[train]), times)
        views = None  # free the views before the Pipeline extracts its own
        pipe = Pipeline([("features", aft), ("clf", clf)])
        timed("pipeline_fit_cached", lambda: pipe.fit(X_train, y[train]), times)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    record = {"fold": args.fold, "n_train": int(train.size), "params": params,
              "n_jobs": args.n_jobs, **times, "load": os.getloadavg()[0],
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with RESULTS.open("a") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
