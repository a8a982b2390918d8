"""Probe for issue 14: the deep default fused with openSMILE ComParE + logistic regression.

On every outer fold of ``GroupKFold(5)`` by speaker (``cached_cv.py``'s folds), the default
SERClassifier trains on the cached five-augmentation views of the training clips and
``StandardScaler`` + ``LogisticRegression(C=0.1, class_weight="balanced")`` (classic_features.py's
``logreg``) on their ComParE_2016 functionals. Both score the test clips, and so does the
plain mean of their probabilities: an equal-weight fusion, with nothing tuned, so nothing is
chosen on the test folds. A probe on test folds, not a default:

    python benchmarks/accuracy/fusion_probe.py --corpus emodb --seed 0
    python benchmarks/accuracy/fusion_probe.py --corpus crema_d --folds 0

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="emodb")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the classifier")
    parser.add_argument("--n-jobs", type=int, default=2, help="feature extraction")
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
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
    y, groups = y[keep], groups[keep]

    print(f"{args.corpus} cnn_gru + ComParE logreg, seed {args.seed}; "
          f"load {os.getloadavg()[0]:.1f}\n"
          "| fold | deep UAR | ComParE logreg UAR | fused UAR |\n|---|---|---|---|", flush=True)
    rows = []
    folds = list(GroupKFold(5).split(np.zeros(len(y)), y, groups))
    for fold in args.folds:
        train, test = folds[fold]
        deep = SERClassifier(random_state=args.seed).fit(np.asarray(X[keep[train]]), y[train])
        classic = ESTIMATORS["logreg"]().fit(F[train], y[train])
        assert list(deep.classes_) == list(classic.classes_)
        p_deep = deep.predict_proba(np.asarray(X[keep[test], 0]))
        p_classic = classic.predict_proba(F[test])
        classes = deep.classes_
        uar = {k: balanced_accuracy_score(y[test], classes[p.argmax(1)])
               for k, p in (("deep", p_deep), ("classic", p_classic),
                            ("fused", (p_deep + p_classic) / 2))}
        rows.append({"fold": fold, **uar})
        print(f"| {fold} | {uar['deep']:.3f} | {uar['classic']:.3f} | {uar['fused']:.3f} |",
              flush=True)
    means = {k: float(np.mean([r[k] for r in rows])) for k in ("deep", "classic", "fused")}
    print(f"| mean | {means['deep']:.3f} | {means['classic']:.3f} | {means['fused']:.3f} |")
    with RESULTS.open("a") as fh:
        fh.write(json.dumps({"corpus": args.corpus, "seed": args.seed, "folds": rows,
                             "n_clips": len(y),
                             **{f"mean_{k}": v for k, v in means.items()},
                             "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
                 + "\n")


if __name__ == "__main__":
    main()
