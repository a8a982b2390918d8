"""Choose ``views_per_epoch`` and ``epochs`` of SERClassifier on held-out *training* speakers.

Research script for issue 13. For each corpus the speakers of the training part of outer fold 0
(``GroupKFold(5)`` by speaker, the folds the benchmark reports) are split once more by speaker
(``GroupShuffleSplit``, a fifth held out); candidates train on the inner training speakers and
are scored on the held-out ones. The outer test speakers are never looked at here.

Features are those of the library's defaults: ``AudioFeatureTransformer(augment=<the five
augmentations>, random_state=0).fit_transform`` on every clip once (view 0 clean), cached as
``.npy`` under ``$SER_ACC_CACHE`` (default /tmp/ser_acc). Validation uses view 0, as a Pipeline
does.

    python benchmarks/accuracy/views_cv.py --corpus emodb --candidates all:25 1:25 1:40 2:25
    python benchmarks/accuracy/views_cv.py --corpus crema_d --candidates all:25 1:25 1:40 2:25
    python benchmarks/accuracy/views_cv.py --corpus emodb --outer-folds 0 1 2 \
        --candidates all:25 1:60:0.003 1:60:0.001:32

    python benchmarks/accuracy/views_cv.py --corpus crema_d --candidates 2:25 \
        --param "model__filters=(128,256)"

A candidate is ``views_per_epoch:epochs[:peak learning rate[:batch size]]``. ``--param
name=value`` (repeatable, the value a Python literal) passes another SERClassifier parameter to
every candidate, ``--feature-param`` another AudioFeatureTransformer parameter (its own cache).
Each result also gives the last epoch's training loss and accuracy, to tell under- from
over-fitting.

Each run appends one JSON line per candidate to ``views_results.jsonl`` next to this file.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold, GroupShuffleSplit

from sklearn_ser import AudioFeatureTransformer, SERClassifier

AUGMENT = ("noise", "stretch_pitch", "shift", "echo", "reverb")
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
# label and speaker from the file name (the corpus loaders give the same; reading the names
# here keeps this script independent of the loaders' own tests)
CORPORA = {
    "emodb": ("emodb/wav/*.wav", lambda n: n[5], lambda n: n[:2]),
    "crema_d": ("crema_d/AudioOpus/*.opus", lambda n: n.split("_")[2], lambda n: n[:4]),
}
CACHE = Path(os.environ.get("SER_ACC_CACHE", "/tmp/ser_acc"))
RESULTS = Path(__file__).with_name("views_results.jsonl")


def features(corpus, n_jobs, **transformer_params):
    """(X views, y, groups) of a corpus with the library's default features, cached.

    ``transformer_params`` change AudioFeatureTransformer's defaults (another cache file).
    """
    pattern, label, speaker = CORPORA[corpus]
    paths = sorted(str(p) for p in SHARED.glob(pattern))
    names = [os.path.basename(p) for p in paths]
    y = np.array([label(n) for n in names])
    groups = np.array([speaker(n) for n in names])
    suffix = "".join(f"_{k}{v}" for k, v in sorted(transformer_params.items()))
    path = CACHE / f"views_{corpus}_default{suffix}.npy"
    if path.exists():
        X = np.load(path, mmap_mode="r")
        if X.shape[0] == len(y):
            return X, y, groups
    CACHE.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    aft = AudioFeatureTransformer(augment=AUGMENT, random_state=0, n_jobs=n_jobs,
                                  **transformer_params)
    X = aft.fit_transform(paths)
    np.save(path, X)
    print(f"extracted {X.shape} in {time.perf_counter() - start:.0f} s -> {path}", flush=True)
    return np.load(path, mmap_mode="r"), y, groups


def inner_split(y, groups, outer_fold=0):
    """Inner training and validation clip indices inside an outer fold's training speakers."""
    folds = GroupKFold(5).split(np.zeros(len(y)), y, groups)
    outer_train, _ = list(folds)[outer_fold]
    splitter = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0)
    tr, va = next(splitter.split(outer_train, y[outer_train], groups[outer_train]))
    return outer_train[tr], outer_train[va]


def parse_candidate(text):
    """``views:epochs[:peak learning rate[:batch size]]`` -> SERClassifier parameters."""
    views, epochs, *rest = text.split(":")
    params = {"views_per_epoch": None if views == "all" else int(views), "epochs": int(epochs)}
    if rest:
        params["optimizer__learning_rate"] = float(rest[0])
    if len(rest) > 1:
        params["batch_size"] = int(rest[1])
    return params


def literal_params(parser, option, items):
    """``NAME=VALUE`` strings -> {name: Python literal}; a malformed one is a usage error."""
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            params[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            sep = ""
        if not sep or not name:
            parser.error(f"{option} {item!r}: expected NAME=VALUE, VALUE a Python literal")
    return params


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), required=True)
    parser.add_argument("--candidates", nargs="+", default=["all:25", "1:25", "1:40", "2:25"],
                        help="views_per_epoch:epochs pairs ('all' = every view)")
    parser.add_argument("--n-jobs", type=int, default=2, help="feature extraction")
    parser.add_argument("--outer-folds", type=int, nargs="+", default=[0],
                        help="outer folds whose inner split to score on (mean reported)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="another SERClassifier parameter for every candidate "
                             "(a Python literal), e.g. model__units=64")
    parser.add_argument("--feature-param", action="append", default=[], metavar="NAME=VALUE",
                        help="another AudioFeatureTransformer parameter (its own cache file)")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the classifier")
    parser.add_argument("--label-smoothing", type=float, default=None, metavar="EPS",
                        help="train with CategoricalCrossentropy(label_smoothing=EPS)")
    parser.add_argument("--train-views", type=int, nargs="+", default=None, metavar="V",
                        help="train on these cached views only (0 clean, then the "
                             "augmentations in the order of AUGMENT); default: all")
    args = parser.parse_args()

    feature_params = literal_params(parser, "--feature-param", args.feature_param)
    extra = literal_params(parser, "--param", args.param)
    loss = {}
    if args.label_smoothing is not None:
        import keras

        loss["loss"] = keras.losses.CategoricalCrossentropy(label_smoothing=args.label_smoothing)
    X, y, groups = features(args.corpus, args.n_jobs, **feature_params)
    splits = [inner_split(y, groups, fold) for fold in args.outer_folds]
    views = slice(None) if args.train_views is None else args.train_views
    for fold, (train, val) in zip(args.outer_folds, splits):
        print(f"{args.corpus} outer fold {fold}: inner train {train.size} clips "
              f"({np.unique(groups[train]).size} speakers), validation {val.size} clips "
              f"({np.unique(groups[val]).size} speakers)", flush=True)
    print(f"load {os.getloadavg()[0]:.1f}\n| candidate | validation UAR per split | mean | "
          "fit s | last epoch (training views) |\n|---|---|---|---|---|", flush=True)
    for text in args.candidates:
        params = {**parse_candidate(text), **extra}
        uars, fit_s, train_last = [], 0.0, []
        for train, val in splits:
            clf = SERClassifier(random_state=args.seed, **params, **loss)
            start = time.perf_counter()
            clf.fit(np.asarray(X[train][:, views]), y[train])
            fit_s += time.perf_counter() - start
            # the last epoch's training loss and accuracy tell under- from over-fitting
            train_last.append({k: float(v[-1]) for k, v in clf.history_.items()})
            uars.append(balanced_accuracy_score(y[val], clf.predict(np.asarray(X[val, 0]))))
        print(f"| {text} {extra or ''} {feature_params or ''} {args.train_views or ''} "
              f"{args.label_smoothing or ''} | "
              f"{' '.join(f'{u:.3f}' for u in uars)} | {np.mean(uars):.3f} | {fit_s:.0f} | "
              f"{train_last} |", flush=True)
        record = {"corpus": args.corpus, "candidate": text, "seed": args.seed, **params,
                  "feature_params": feature_params, "train_views": args.train_views,
                  "label_smoothing": args.label_smoothing,
                  "last_epoch": train_last,
                  "outer_folds": args.outer_folds, "val_uars": uars,
                  "val_uar": float(np.mean(uars)), "fit_s": fit_s,
                  "n_train": [int(t.size) for t, _ in splits], "load": os.getloadavg()[0],
                  "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        with RESULTS.open("a") as fh:
            fh.write(json.dumps(record) + "\n")

if __name__ == "__main__":
    main()
