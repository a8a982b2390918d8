"""Speaker-independent cross-validation of SERClassifier on views cached once per corpus.

The literal Pipeline (``defaults_cv.py pipeline``) extracts every fold's clips again; here the
clean clip and its five augmented views are extracted once (:func:`harness.cached_views`),
and each outer fold of ``GroupKFold(--cv)`` by speaker trains on its training clips' views
and scores the test clips' clean view, which is what the Pipeline scores. Since views are
seeded by clip (revision cf6b86d), the cached views are the Pipeline's own.

With several ``--archs`` each is trained on the same folds, and their soft-voting ensemble
(the mean of their probabilities, as ``compare_architectures`` computes it) is scored too.

    python benchmarks/accuracy/cached_cv.py --corpus crema_d --candidate 2:25
    python benchmarks/accuracy/cached_cv.py --corpus emodb --seed 1 --param model__units=64
    python benchmarks/accuracy/cached_cv.py --corpus emodb --feature-param mel_top_db=50.0
    python benchmarks/accuracy/cached_cv.py --corpus crema_d --candidate 2:25 \\
        --archs cnn cnn_gru cnn_bilstm cnn_bilstm_bigru_attention cnn_mha_bilstm_bigru
    python benchmarks/accuracy/cached_cv.py --speakers 5 --max-clips 40 --cv 2 \\
        --archs cnn cnn_gru --param epochs=1                                # a tiny proof run

A candidate is ``views_per_epoch:epochs[:peak learning rate[:batch size]]``. Appends one
record per architecture (and one for the ensemble) to ``results/cached_cv.jsonl``.
"""

from __future__ import annotations

import time

import harness
import numpy as np

from sklearn_ser import SERClassifier


def main():
    p = harness.parser(__doc__.splitlines()[0], views=True)
    p.add_argument("--candidate", default="all:25")
    p.add_argument("--archs", nargs="+", default=["cnn_gru"])
    p.add_argument("--folds", type=int, nargs="+", default=None,
                   help="outer folds to run (default: all)")
    args = p.parse_args()
    feature_params = harness.literal_params(p, "--feature-param", args.feature_param)
    params = {**harness.parse_candidate(args.candidate),
              **harness.literal_params(p, "--param", args.param)}
    data = harness.load(args.corpus, speakers=args.speakers, max_clips=args.max_clips)
    X = harness.cached_views(data, args.n_jobs, **feature_params)
    folds = harness.speaker_folds(data, args.cv)
    run = range(args.cv) if args.folds is None else args.folds
    uars = {name: [] for name in [*args.archs, "ensemble"]}
    fit_s = {name: [] for name in args.archs}
    for fold in run:
        train, test = folds[fold]
        probas = []
        for arch in args.archs:
            clf = SERClassifier(arch=arch, random_state=args.seed, **params)
            start = time.perf_counter()
            clf.fit(np.asarray(X[train]), data.y[train])
            fit_s[arch].append(round(time.perf_counter() - start, 1))
            probas.append(clf.predict_proba(np.asarray(X[test, 0])))
            uars[arch].append(harness.uar(data.y[test], clf.classes_[probas[-1].argmax(1)]))
            print(f"fold {fold} {arch}: UAR {uars[arch][-1]:.3f} ({fit_s[arch][-1]:.0f} s)",
                  flush=True)
        uars["ensemble"].append(harness.uar(data.y[test],
                                            clf.classes_[np.mean(probas, axis=0).argmax(1)]))
    study = harness.Study("cached_cv")
    cv = f"GroupKFold({args.cv}) by speaker, folds {list(run)}, cached views"
    setting = {"candidate": args.candidate, "seed": args.seed, **params,
               "feature_params": feature_params}
    for arch in args.archs:
        study.record(corpus=harness.describe(data), cv=cv, params={"arch": arch, **setting},
                     uar=uars[arch], times={"fit_s": fit_s[arch]})
    if len(args.archs) > 1:
        study.record(corpus=harness.describe(data), cv=cv,
                     params={"arch": "ensemble", "members": args.archs, **setting},
                     uar=uars["ensemble"],
                     times={"fit_s": [round(sum(t), 1) for t in zip(*fit_s.values())]})


if __name__ == "__main__":
    main()
