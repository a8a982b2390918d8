"""Speaker-independent cross-validation of SERClassifier from cached default features.

The cache is ``views_cv.py``'s: ``AudioFeatureTransformer(augment=<the five augmentations>,
random_state=0).fit_transform`` of every clip of the corpus, once. Each outer fold of
``GroupKFold(5)`` by speaker trains on its training clips' views and is scored on the test
clips' clean view, which is what the literal Pipeline does; the one difference is that the
Pipeline re-extracts in every fold, so its augmented views are other random draws of the same
augmentations (view seeds are drawn per clip position). Use it where re-extracting per fold
costs more than the training itself (CREMA-D: ~25 min of extraction per pass on 2 cores).

    python benchmarks/accuracy/cached_cv.py --corpus crema_d --candidate 1:25
    python benchmarks/accuracy/cached_cv.py --corpus emodb --candidate all:25 --arch cnn
    python benchmarks/accuracy/cached_cv.py --corpus emodb --seed 1    # another random_state

A candidate is ``views_per_epoch:epochs[:peak learning rate[:batch size]]`` as in
``views_cv.py``. Appends one JSON line per run to ``cached_cv_results.jsonl`` next to this file.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold
from views_cv import CORPORA, features, parse_candidate

from sklearn_ser import SERClassifier

RESULTS = Path(__file__).with_name("cached_cv_results.jsonl")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), required=True)
    parser.add_argument("--candidate", default="all:25")
    parser.add_argument("--arch", default="cnn_gru")
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--n-jobs", type=int, default=2, help="feature extraction")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the classifier")
    args = parser.parse_args()

    X, y, groups = features(args.corpus, args.n_jobs)
    folds = list(GroupKFold(5).split(np.zeros(len(y)), y, groups))
    params = parse_candidate(args.candidate)
    print(f"{args.corpus} {args.arch} {args.candidate} seed {args.seed}; "
          f"load {os.getloadavg()[0]:.1f}\n"
          "| fold | test UAR | accuracy | fit s |\n|---|---|---|---|", flush=True)
    rows = []
    for fold in args.folds:
        train, test = folds[fold]
        clf = SERClassifier(arch=args.arch, random_state=args.seed, **params)
        start = time.perf_counter()
        clf.fit(np.asarray(X[train]), y[train])
        fit_s = time.perf_counter() - start
        pred = clf.predict(np.asarray(X[test, 0]))
        rows.append({"fold": fold, "uar": balanced_accuracy_score(y[test], pred),
                     "accuracy": float(np.mean(pred == y[test])), "fit_s": fit_s})
        print(f"| {fold} | {rows[-1]['uar']:.3f} | {rows[-1]['accuracy']:.3f} | {fit_s:.0f} |",
              flush=True)
    mean = float(np.mean([r["uar"] for r in rows]))
    print(f"| mean | {mean:.3f} | | {sum(r['fit_s'] for r in rows):.0f} |", flush=True)
    record = {"corpus": args.corpus, "arch": args.arch, "candidate": args.candidate,
              "seed": args.seed, **params,
              "folds": rows, "mean_uar": mean, "load": os.getloadavg()[0],
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with RESULTS.open("a") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
