"""Screen SERClassifier candidates on held-out *training* speakers (the test speakers unseen).

For each outer fold of ``GroupKFold(--cv)`` by speaker named by ``--outer-folds``, a fifth of
its training speakers is held out (``GroupShuffleSplit``); every candidate trains on the other
training speakers' cached views (:func:`harness.cached_views`) and is scored on the held-out
speakers' clean view. The outer test speakers play no part, so a choice made here can still
be checked on them (``defaults_cv.py``, ``cached_cv.py``).

    python benchmarks/accuracy/views_cv.py --corpus crema_d --candidates all:25 1:40 2:25
    python benchmarks/accuracy/views_cv.py --corpus emodb --outer-folds 0 1 2 3 4 \\
        --candidates all:25 --param mixup=0.2 --param "loss='categorical_crossentropy'"
    python benchmarks/accuracy/views_cv.py --corpus crema_d --candidates 2:25 \\
        --feature-param duration=3.0
    python benchmarks/accuracy/views_cv.py --speakers 5 --max-clips 40 --cv 2 \\
        --candidates 1:1 2:1                                                # a tiny proof run

A candidate is ``views_per_epoch:epochs[:peak learning rate[:batch size]]``; ``--param`` adds a
SERClassifier parameter to every candidate. Each record's ``extra`` holds the last epoch's
training loss and accuracy, which tell under- from over-fitting. Appends one record per
candidate to ``results/views_cv.jsonl``.
"""

from __future__ import annotations

import time

import harness
import numpy as np

from sklearn_ser import SERClassifier


def main():
    p = harness.parser(__doc__.splitlines()[0], views=True)
    p.add_argument("--candidates", nargs="+", default=["all:25", "1:40", "2:25"])
    p.add_argument("--outer-folds", type=int, nargs="+", default=[0],
                   help="outer folds whose inner split to score on")
    p.add_argument("--train-views", type=int, nargs="+", default=None, metavar="V",
                   help="train on these cached views only (0 clean, then the augmentations "
                        "in the order of defaults.AUGMENTATIONS); default: all")
    args = p.parse_args()
    feature_params = harness.literal_params(p, "--feature-param", args.feature_param)
    extra = harness.literal_params(p, "--param", args.param)
    data = harness.load(args.corpus, speakers=args.speakers, max_clips=args.max_clips)
    X = harness.cached_views(data, args.n_jobs, **feature_params)
    outer = harness.speaker_folds(data, args.cv)
    splits = [harness.inner_split(data, outer[fold][0]) for fold in args.outer_folds]
    views = slice(None) if args.train_views is None else args.train_views
    study = harness.Study("views_cv")
    cv = (f"a fifth of the training speakers held out of GroupKFold({args.cv}) folds "
          f"{args.outer_folds}")
    for text in args.candidates:
        params = {**harness.parse_candidate(text), **extra}
        uars, fit_s, last_epoch = [], [], []
        for train, val in splits:
            clf = SERClassifier(random_state=args.seed, **params)
            start = time.perf_counter()
            clf.fit(np.asarray(X[train][:, views]), data.y[train])
            fit_s.append(round(time.perf_counter() - start, 1))
            last_epoch.append({k: round(v[-1], 4) for k, v in clf.history_.items()})
            uars.append(harness.uar(data.y[val], clf.predict(np.asarray(X[val, 0]))))
        study.record(corpus=harness.describe(data), cv=cv,
                     params={"candidate": text, "seed": args.seed, **params,
                             "feature_params": feature_params,
                             "train_views": args.train_views},
                     uar=uars, times={"fit_s": fit_s},
                     extra={"last_epoch": last_epoch,
                            "n_train": [int(t.size) for t, _ in splits]})


if __name__ == "__main__":
    main()
