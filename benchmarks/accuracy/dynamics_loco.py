"""Across corpora: do clips swing further in one corpus than in another, and does evening it help?

EmoDB's clips swing 1.4 times as far over time as CREMA-D's once each clip's band means are
removed (standard deviation of the centred log-mel bands, median over bands: 15.4 dB against
10.9), and 8.5 % of its frames are digital silence against 3.4 % (``--describe``). A network
standardised on one corpus reads the other's swings as other emotions. Two remedies, applied
to the cached views of ``views_cv.py`` (``views_<corpus>_default.npy``, log-mel in dB with a
floor 80 dB below each view's maximum), train and test alike:

* ``--floor-db F``: raise each view's floor to F dB below its maximum, which is what
  ``AudioFeatureTransformer(mel_top_db=F)`` computes (the maximum of a floored spectrogram is
  its maximum), so pauses and padding sit at the same level in every corpus;
* ``--clip-scale``: divide each view's centred log-mel by its own standard deviation over
  frames and bands (one number per view: the spectral shape of the swings is kept, their size
  is not).

Each run trains ``SERClassifier`` with ``--candidate`` (``views_per_epoch:epochs``) and scores
(a) across corpora: every clip of ``--train``'s six common emotions, tested on ``--test``'s
clean views; (b) within ``--train``: the inner split of ``views_cv.py`` (held-out training
speakers of outer fold 0; the outer test speakers are not used), so that a remedy that travels
is not bought with accuracy at home.

    python benchmarks/accuracy/dynamics_loco.py --describe
    python benchmarks/accuracy/dynamics_loco.py --train crema_d --test emodb --candidate 1:8
    python benchmarks/accuracy/dynamics_loco.py --train crema_d --test emodb --floor-db 50

Appends one JSON line per run to ``dynamics_results.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from corpus_norm_loco import corpus
from sklearn.metrics import balanced_accuracy_score
from views_cv import CORPORA, features, inner_split, parse_candidate

from sklearn_ser import SERClassifier

RESULTS = Path(__file__).with_name("dynamics_results.jsonl")


def remedy(X, floor_db=None, clip_scale=False):
    """The views ``X`` (..., n_frames, n_bands) with the floor raised and/or the swings scaled."""
    X = np.asarray(X, dtype=np.float32)
    if floor_db is not None:
        peak = X.max(axis=(-2, -1), keepdims=True)
        X = np.maximum(X, peak - np.float32(floor_db))
    if clip_scale:
        centred = X - X.mean(axis=-2, keepdims=True)
        X = centred / (centred.std(axis=(-2, -1), keepdims=True) + np.float32(1e-3))
    return X


def describe(name):
    X, _, _ = features(name, n_jobs=2)
    step = max(1, X.shape[0] // 400)
    clean = np.asarray(X[::step, 0], dtype=np.float64)
    peak = clean.max(axis=(1, 2), keepdims=True)
    silent = np.isclose(clean, peak - 80, atol=1e-3).all(axis=2).mean()
    swing = (clean - clean.mean(axis=1, keepdims=True)).std(axis=(0, 1))
    print(f"{name}: {clean.shape[0]} clips sampled; digital-silence frames {silent:.3f}; "
          f"centred band std (dB) min/median/max {swing.min():.1f} / {np.median(swing):.1f} "
          f"/ {swing.max():.1f}")


def fit_score(train_X, train_y, test_X, test_y, params, seed):
    start = time.perf_counter()
    clf = SERClassifier(random_state=seed, **params).fit(train_X, train_y)
    fit_s = time.perf_counter() - start
    pred = clf.predict(test_X)
    return balanced_accuracy_score(test_y, pred), float(np.mean(pred == test_y)), fit_s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--describe", action="store_true", help="only print the statistics")
    parser.add_argument("--train", choices=sorted(CORPORA), default="crema_d")
    parser.add_argument("--test", choices=sorted(CORPORA), default="emodb")
    parser.add_argument("--candidate", default="1:8")
    parser.add_argument("--floor-db", type=float, default=None)
    parser.add_argument("--clip-scale", action="store_true")
    parser.add_argument("--within", action="store_true",
                        help="also score within --train on held-out training speakers")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.describe:
        for name in sorted(CORPORA):
            describe(name)
        return
    params = parse_candidate(args.candidate)
    settings = {"floor_db": args.floor_db, "clip_scale": args.clip_scale}
    record = {"train": args.train, "test": args.test, "candidate": args.candidate,
              "seed": args.seed, **settings}
    (X_tr, tr, y_tr), (X_te, te, y_te) = corpus(args.train), corpus(args.test)
    uar, acc, fit_s = fit_score(remedy(X_tr[tr], **settings), y_tr,
                                remedy(X_te[te, 0], **settings), y_te, params, args.seed)
    record.update(loco_uar=uar, loco_accuracy=acc, loco_fit_s=fit_s)
    print(f"{args.train} -> {args.test} {args.candidate} {settings}: UAR {uar:.3f} "
          f"(accuracy {acc:.3f}, fit {fit_s:.0f} s)", flush=True)
    if args.within:
        X, y, groups = features(args.train, n_jobs=2)
        train, val = inner_split(y, groups)
        uar, _, fit_s = fit_score(remedy(X[train], **settings), y[train],
                                  remedy(X[val, 0], **settings), y[val], params, args.seed)
        record.update(within_uar=uar, within_fit_s=fit_s)
        print(f"within {args.train} (held-out training speakers) {args.candidate} {settings}: "
              f"UAR {uar:.3f} (fit {fit_s:.0f} s)", flush=True)
    record.update(load=os.getloadavg()[0], date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    with RESULTS.open("a") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
