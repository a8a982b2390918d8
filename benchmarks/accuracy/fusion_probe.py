"""Probe for issue 14: the deep default fused with openSMILE ComParE + logistic regression.

On every outer fold of ``GroupKFold(5)`` by speaker (``cached_cv.py``'s folds), the default
SERClassifier trains on the cached five-augmentation views of the training clips and
``StandardScaler`` + ``LogisticRegression(C=0.1, class_weight="balanced")`` (classic_features.py's
``logreg``) on their ComParE_2016 functionals. Both score the test clips, and so does the
plain mean of their probabilities: an equal-weight fusion, with nothing tuned, so nothing is
chosen on the test folds. A probe on test folds, not a default:

    python benchmarks/accuracy/fusion_probe.py --corpus emodb --seed 0
    python benchmarks/accuracy/fusion_probe.py --corpus crema_d --folds 0
    python benchmarks/accuracy/fusion_probe.py --corpus emodb --seed 0 --inner-weights

``--inner-weights`` also chooses the deep model's weight ``w`` (the fusion is ``w * deep +
(1 - w) * ComParE``, ``w`` in ``WEIGHTS``) on each outer fold's *training* speakers: both models
are fitted on the folds of an inner ``GroupKFold(4)`` by speaker, the ``w`` whose fused
out-of-fold probabilities have the highest UAR is kept and applied to the outer test clips.
The outer test speakers play no part in the choice. It costs four more fits of each model
per outer fold.

Appends one JSON line per run to ``fusion_results.jsonl`` next to this file.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from classic_features import DEFAULT_DATA, ESTIMATORS, functionals
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold
from views_cv import CORPORA, SHARED, features

from sklearn_ser import SERClassifier

RESULTS = Path(__file__).with_name("fusion_results.jsonl")
#: Candidate weights of the deep model for ``--inner-weights`` (0: ComParE alone).
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def fit_both(X, F, y, train, seed):
    """The deep default on the views and the ComParE logistic regression, on ``train``."""
    deep = SERClassifier(random_state=seed).fit(np.asarray(X[train]), y[train])
    classic = ESTIMATORS["logreg"]().fit(F[train], y[train])
    assert list(deep.classes_) == list(classic.classes_)
    return deep, classic


def inner_weight(X, F, y, groups, train, seed):
    """The deep model's weight with the best out-of-fold UAR on ``train``'s own speakers."""
    p_deep = p_classic = None
    for inner_train, inner_val in GroupKFold(4).split(train, y[train], groups[train]):
        deep, classic = fit_both(X, F, y, train[inner_train], seed)
        if p_deep is None:
            p_deep = np.zeros((len(train), len(deep.classes_)))
            p_classic = np.zeros_like(p_deep)
        p_deep[inner_val] = deep.predict_proba(np.asarray(X[train[inner_val], 0]))
        p_classic[inner_val] = classic.predict_proba(F[train[inner_val]])
    classes = deep.classes_
    scores = [balanced_accuracy_score(y[train], classes[(w * p_deep + (1 - w) * p_classic)
                                                       .argmax(1)]) for w in WEIGHTS]
    return WEIGHTS[int(np.argmax(scores))], scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="emodb")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the classifier")
    parser.add_argument("--n-jobs", type=int, default=2, help="feature extraction")
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--inner-weights", action="store_true",
                        help="also choose the deep model's weight on inner training speakers")
    args = parser.parse_args()

    X, y, groups = features(args.corpus, args.n_jobs)
    names = [os.path.basename(p) for p in sorted(SHARED.glob(CORPORA[args.corpus][0]))]
    # the functionals follow the loader's order and files (it may leave out broken clips)
    F, _, _, _, data_files = functionals(args.corpus, DEFAULT_DATA, "ComParE_2016", args.n_jobs)
    row = {name: i for i, name in enumerate(data_files)}
    # load_crema_d leaves out CREMA-D's four broken clips; so does this probe, by name
    keep = np.array([i for i, n in enumerate(names) if n in row])
    left_out = [n for n in names if n not in row]
    if left_out:
        print(f"left out {len(left_out)} clips the loader excludes: {', '.join(left_out)}")
    F = F[[row[names[i]] for i in keep]]
    X = X[keep]     # the kept rows, read into memory (CREMA-D's: 0.7 GB)
    y, groups = y[keep], groups[keep]

    print(f"{args.corpus} cnn_gru + ComParE logreg, seed {args.seed}; "
          f"load {os.getloadavg()[0]:.1f}\n"
          "| fold | deep UAR | ComParE logreg UAR | fused UAR |"
          f"{' inner w | inner-weighted UAR |' if args.inner_weights else ''}", flush=True)
    rows = []
    folds = list(GroupKFold(5).split(np.zeros(len(y)), y, groups))
    for fold in args.folds:
        train, test = folds[fold]
        deep, classic = fit_both(X, F, y, train, args.seed)
        p_deep = deep.predict_proba(np.asarray(X[test, 0]))
        p_classic = classic.predict_proba(F[test])
        classes = deep.classes_
        probas = {"deep": p_deep, "classic": p_classic, "fused": (p_deep + p_classic) / 2}
        extra = {}
        if args.inner_weights:
            w, inner_scores = inner_weight(X, F, y, groups, train, args.seed)
            probas["inner_weighted"] = w * p_deep + (1 - w) * p_classic
            extra = {"inner_w": w, "inner_uars": inner_scores}
        uar = {k: balanced_accuracy_score(y[test], classes[p.argmax(1)])
               for k, p in probas.items()}
        rows.append({"fold": fold, **uar, **extra})
        print(f"| {fold} | {uar['deep']:.3f} | {uar['classic']:.3f} | {uar['fused']:.3f} |"
              + (f" {extra['inner_w']} | {uar['inner_weighted']:.3f} |" if extra else ""),
              flush=True)
    means = {k: float(np.mean([r[k] for r in rows])) for k in probas}
    print("| mean | " + " | ".join(f"{means[k]:.3f}" + (" | " if k == "fused" and
                                                          len(means) > 3 else "")
                                   for k in means) + " |")
    with RESULTS.open("a") as fh:
        fh.write(json.dumps({"corpus": args.corpus, "seed": args.seed, "folds": rows,
                             "inner_weights": args.inner_weights,
                             "n_clips": len(y),
                             **{f"mean_{k}": v for k, v in means.items()},
                             "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
                 + "\n")


if __name__ == "__main__":
    main()
