"""Across corpora, deep: does standardising each corpus on its own clips help the network transfer?

``classic_loco.py --per-corpus`` showed that ComParE functionals standardised per corpus (the
test corpus on its own clips, no labels) transfer far better than standardised on the training
corpus alone. This is the same question for ``SERClassifier`` on the library's default
features, from ``views_cv.py``'s caches (``views_<corpus>_default.npy``): train on every clip of
one corpus (its six common emotions), test on the other's clean views, once as they are and
once with each corpus's log-mel bands standardised by that corpus's own mean and standard
deviation (over every frame of its clean views).

    python benchmarks/accuracy/corpus_norm_loco.py --train crema_d --test emodb --epochs 8

A candidate is ``views_per_epoch:epochs`` as elsewhere (``--candidate 1:8``, the shipped
model's recipe). Appends one JSON line per run to ``corpus_norm_results.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import balanced_accuracy_score
from views_cv import CORPORA, features, parse_candidate

from sklearn_ser import SERClassifier

RESULTS = Path(__file__).with_name("corpus_norm_results.jsonl")
# each corpus's code of the six common emotions, as its file names spell them
COMMON = {
    "crema_d": {"ANG": "angry", "DIS": "disgust", "FEA": "fear", "HAP": "happy",
                "NEU": "neutral", "SAD": "sad"},
    "emodb": {"W": "angry", "E": "disgust", "A": "fear", "F": "happy", "N": "neutral",
              "T": "sad"},
}


def corpus(name):
    """Views and harmonised labels of a corpus's clips of the six common emotions."""
    X, codes, _ = features(name, n_jobs=2)
    keep = np.flatnonzero(np.isin(codes, list(COMMON[name])))
    return X, keep, np.array([COMMON[name][c] for c in codes[keep]])


def band_stats(X, clips):
    """Mean and standard deviation of each band over every frame of the clips' clean view."""
    clean = np.asarray(X[clips, 0], dtype=np.float64).reshape(-1, X.shape[-1])
    return clean.mean(axis=0), clean.std(axis=0) + 1e-6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", choices=sorted(CORPORA), default="crema_d")
    parser.add_argument("--test", choices=sorted(CORPORA), default="emodb")
    parser.add_argument("--candidate", default="1:8")
    args = parser.parse_args()

    (X_tr, tr, y_tr), (X_te, te, y_te) = corpus(args.train), corpus(args.test)
    params = parse_candidate(args.candidate)
    for per_corpus in (False, True):
        train, test = np.asarray(X_tr[tr], np.float32), np.asarray(X_te[te, 0], np.float32)
        if per_corpus:  # each corpus on its own statistics; the test labels are not used
            mean, std = band_stats(X_tr, tr)
            train = (train - mean) / std
            mean, std = band_stats(X_te, te)
            test = (test - mean) / std
        start = time.perf_counter()
        clf = SERClassifier(random_state=0, **params).fit(train, y_tr)
        fit_s = time.perf_counter() - start
        pred = clf.predict(test)
        uar = balanced_accuracy_score(y_te, pred)
        print(f"{args.train} -> {args.test}, {args.candidate}, per-corpus standardisation "
              f"{per_corpus}: UAR {uar:.3f} (fit {fit_s:.0f} s)", flush=True)
        with RESULTS.open("a") as fh:
            fh.write(json.dumps({
                "train": args.train, "test": args.test, "candidate": args.candidate, **params,
                "per_corpus": per_corpus, "uar": uar, "accuracy": float(np.mean(pred == y_te)),
                "n_train": int(tr.size), "n_test": int(te.size), "fit_s": fit_s,
                "load": os.getloadavg()[0],
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}) + "\n")


if __name__ == "__main__":
    main()
