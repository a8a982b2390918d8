"""Speaker-independent cross-validation of SERClassifier from cached default features.

The cache is ``views_cv.py``'s: ``AudioFeatureTransformer(augment=<the five augmentations>,
random_state=0).fit_transform`` of every clip of the corpus, once. Each outer fold of
``GroupKFold(5)`` by speaker trains on its training clips' views and is scored on the test
clips' clean view, which is what the literal Pipeline does; the one difference is that the
Pipeline re-extracts in every fold, so its augmented views are other random draws of the same
augmentations (view seeds are drawn per clip position). Use it where re-extracting per fold
costs too much to repeat per candidate (CREMA-D's views: 81 s on 2 idle AMD EPYC cores on
2026-12-02; ~25 min was measured in an earlier session on shared, loaded cores).

    python benchmarks/accuracy/cached_cv.py --corpus crema_d --candidate 1:25
    python benchmarks/accuracy/cached_cv.py --corpus emodb --candidate all:25 --arch cnn
    python benchmarks/accuracy/cached_cv.py --corpus emodb --seed 1    # another random_state
    python benchmarks/accuracy/cached_cv.py --corpus emodb --speaker-norm
    python benchmarks/accuracy/cached_cv.py --corpus emodb --param model__units=64
    python benchmarks/accuracy/cached_cv.py --corpus emodb --feature-param hop_length=256

``--param name=value`` (repeatable) passes another SERClassifier parameter, the value read as
a Python literal; ``--feature-param`` likewise changes AudioFeatureTransformer's defaults
(its own cache file). Every run also reports, beside the clean-view UAR, the UAR of the mean
probabilities over all six cached views of each test clip ("views-averaged"): a probe of
test-time averaging over the training augmentations, which the Pipeline does not do.

``--speaker-norm`` standardises every feature per speaker (mean and standard deviation over
all frames of that speaker's clean views) before training and testing, a test speaker's from
their own unlabelled clips: what a user with a few recordings of each new speaker could do.
It is a research probe for issue 14, not a library feature (a Pipeline step would need the
speaker ids at transform time).

``--proba-dir DIR`` keeps every fold's test probabilities (clean view and views-averaged) in
``DIR/<corpus>_<arch>_<candidate>_seed<seed>_fold<k>.npz``, so that ``ensemble_cv.py`` can
score the soft-voting ensemble of several architectures without training them again.

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
from views_cv import CORPORA, features, literal_params, parse_candidate

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
    parser.add_argument("--speaker-norm", action="store_true",
                        help="standardise features per speaker (from unlabelled clean views)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="another SERClassifier parameter (value: a Python literal)")
    parser.add_argument("--feature-param", action="append", default=[], metavar="NAME=VALUE",
                        help="another AudioFeatureTransformer parameter (a Python literal)")
    parser.add_argument("--proba-dir", type=Path, default=None,
                        help="keep each fold's test probabilities here (for ensemble_cv.py)")
    args = parser.parse_args()

    feature_params = literal_params(parser, "--feature-param", args.feature_param)
    X, y, groups = features(args.corpus, args.n_jobs, **feature_params)
    if args.speaker_norm:
        X = speaker_standardised(X, groups)
    folds = list(GroupKFold(5).split(np.zeros(len(y)), y, groups))
    params = parse_candidate(args.candidate)
    extra = literal_params(parser, "--param", args.param)
    params.update(extra)
    print(f"{args.corpus} {args.arch} {args.candidate} seed {args.seed}"
          f"{' speaker-norm' if args.speaker_norm else ''} {extra or ''} {feature_params or ''}; "
          f"load {os.getloadavg()[0]:.1f}\n"
          "| fold | test UAR | accuracy | views-averaged UAR | fit s |\n"
          "|---|---|---|---|---|", flush=True)
    rows = []
    for fold in args.folds:
        train, test = folds[fold]
        clf = SERClassifier(arch=args.arch, random_state=args.seed, **params)
        start = time.perf_counter()
        clf.fit(np.asarray(X[train]), y[train])
        fit_s = time.perf_counter() - start
        # one prediction of every view; the clean view (view 0) is what the Pipeline scores
        views = np.asarray(X[test])
        proba = clf.predict_proba(views.reshape(-1, *views.shape[2:]))
        proba = proba.reshape(len(test), views.shape[1], -1)
        pred = clf.classes_[proba[:, 0].argmax(1)]
        averaged = clf.classes_[proba.mean(1).argmax(1)]
        if args.proba_dir is not None:
            args.proba_dir.mkdir(parents=True, exist_ok=True)
            np.savez(args.proba_dir / proba_name(args.corpus, args.arch, args.candidate,
                                                 args.seed, fold),
                     test=test, classes=clf.classes_, clean=proba[:, 0],
                     averaged=proba.mean(1))
        rows.append({"fold": fold, "uar": balanced_accuracy_score(y[test], pred),
                     "accuracy": float(np.mean(pred == y[test])),
                     "views_averaged_uar": balanced_accuracy_score(y[test], averaged),
                     "fit_s": fit_s})
        print(f"| {fold} | {rows[-1]['uar']:.3f} | {rows[-1]['accuracy']:.3f} | "
              f"{rows[-1]['views_averaged_uar']:.3f} | {fit_s:.0f} |", flush=True)
    mean = float(np.mean([r["uar"] for r in rows]))
    averaged = float(np.mean([r["views_averaged_uar"] for r in rows]))
    print(f"| mean | {mean:.3f} | | {averaged:.3f} | {sum(r['fit_s'] for r in rows):.0f} |",
          flush=True)
    record = {"corpus": args.corpus, "arch": args.arch, "candidate": args.candidate,
              "seed": args.seed, "speaker_norm": args.speaker_norm, **params,
              "feature_params": feature_params,
              "folds": rows, "mean_uar": mean,
              "mean_views_averaged_uar": averaged, "load": os.getloadavg()[0],
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with RESULTS.open("a") as fh:
        fh.write(json.dumps(record) + "\n")


def proba_name(corpus, arch, candidate, seed, fold):
    """File name of one fold's kept test probabilities."""
    return f"{corpus}_{arch}_{candidate.replace(':', '-')}_seed{seed}_fold{fold}.npz"


def speaker_standardised(X, groups):
    """Every view of each speaker's clips standardised by the speaker's clean-view frames."""
    out = np.empty(X.shape, dtype=np.float32)
    for speaker in np.unique(groups):
        rows = np.flatnonzero(groups == speaker)
        clean = np.asarray(X[rows, 0]).reshape(-1, X.shape[-1])
        mean, std = clean.mean(axis=0), clean.std(axis=0) + 1e-5
        out[rows] = (np.asarray(X[rows]) - mean) / std
    return out


if __name__ == "__main__":
    main()
