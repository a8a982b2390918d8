"""Across corpora: openSMILE functionals and a classic, trained on one corpus, tested on another.

The companion of ``classic_features.py`` (whose cached functionals it reads, extracting what is
missing) for the leave-one-corpus-out question of issue 14: does a classic transfer between
corpora better than the deep default? Both corpora are reduced to the emotions they share
(the loaders' harmonised labels; EmoDB's boredom has no counterpart in CREMA-D), the estimator
is fitted on every clip of the training corpus and scored, as UAR, on every clip of the other.

    nice -n 10 python benchmarks/accuracy/classic_loco.py --train crema_d --test emodb
    nice -n 10 python benchmarks/accuracy/classic_loco.py --train crema_d --test emodb --per-corpus

``--per-corpus`` standardises each corpus on its own clips first (transductive, no test labels:
what a user can do with a folder of unlabelled recordings from one source).

Appends one JSON line per estimator to ``classic_results.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from classic_features import DEFAULT_DATA, ESTIMATORS, FOLDERS, RESULTS, functionals
from sklearn.metrics import balanced_accuracy_score
from sklearn.preprocessing import StandardScaler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", choices=sorted(FOLDERS), default="crema_d")
    parser.add_argument("--test", choices=sorted(FOLDERS), default="emodb")
    parser.add_argument("--feature-set", default="ComParE_2016")
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n-jobs", type=int, default=1, help="extraction processes")
    parser.add_argument("--per-corpus", action="store_true",
                        help="standardise each corpus on its own clips (the test corpus's "
                             "labels unused) before the estimator, instead of on the training "
                             "corpus only")
    args = parser.parse_args()

    sets = {name: functionals(name, args.data, args.feature_set, args.n_jobs)[:2]
            for name in (args.train, args.test)}
    common = sorted(set(sets[args.train][1]) & set(sets[args.test][1]))
    (X_tr, y_tr), (X_te, y_te) = [
        (X[np.isin(y, common)], y[np.isin(y, common)]) for X, y in (sets[args.train],
                                                                     sets[args.test])]
    print(f"train {args.train} ({y_tr.size} clips) -> test {args.test} ({y_te.size} clips); "
          f"emotions {common}", flush=True)
    if args.per_corpus:  # unsupervised: the test corpus's own mean and spread, no labels
        X_tr, X_te = (StandardScaler().fit_transform(X) for X in (X_tr, X_te))
    for name in args.estimators:
        start = time.perf_counter()
        pred = ESTIMATORS[name]().fit(X_tr, y_tr).predict(X_te)
        uar = balanced_accuracy_score(y_te, pred)
        print(f"{args.feature_set} + {name}: UAR {uar:.3f} ({time.perf_counter() - start:.0f} s)",
              flush=True)
        with open(RESULTS, "a") as fh:
            fh.write(json.dumps({
                "train": args.train, "test": args.test, "feature_set": args.feature_set,
                "estimator": name, "per_corpus_scaling": args.per_corpus, "emotions": common,
                "n_train": int(y_tr.size),
                "n_test": int(y_te.size), "uar": uar,
                "accuracy": float(np.mean(pred == y_te)),
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}) + "\n")


if __name__ == "__main__":
    main()
