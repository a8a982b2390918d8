"""openSMILE's standard feature sets with classical estimators, speaker-independent.

The functionals of every clip are computed once (:func:`harness.cached_functionals`: the
decoded signal at the file's own rate, what ``opensmile.Smile.process_file`` gives), then
the classic anchor of :func:`sklearn_ser.transformers.smile.make_functionals_pipeline` (its
scaler and estimator, on the cached functionals) is cross-validated with ``GroupKFold(--cv)``
by speaker:

- ``logreg``: ``StandardScaler`` + ``LogisticRegression(C=defaults.FUNCTIONALS_C, balanced)``;
- ``svc``: ``StandardScaler`` + ``SVC(C=1, kernel="rbf", class_weight="balanced")``.

The scaler is fitted inside each training fold, so nothing of a test speaker leaks.

    nice -n 10 python benchmarks/accuracy/classic_features.py --corpus emodb
    nice -n 10 python benchmarks/accuracy/classic_features.py --corpus crema_d \\
        --feature-sets ComParE_2016 --estimators logreg
    python benchmarks/accuracy/classic_features.py --speakers 5 --max-clips 40 --cv 2 \\
        --feature-sets eGeMAPSv02                                           # a tiny proof run

Appends one record per feature set and estimator to ``results/classic_features.jsonl``.
"""

from __future__ import annotations

import time

import harness
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.svm import SVC

from sklearn_ser.transformers.smile import make_functionals_pipeline

FEATURE_SETS = ("ComParE_2016", "eGeMAPSv02")


def classic(feature_set, name):
    """The anchor's scaler and estimator (its feature step is the cache)."""
    # a kernel cache that holds the whole training Gram matrix (~290 MB for CREMA-D's ~6,000
    # training clips) spares libsvm recomputing rows; it changes the time, not the solution
    estimator = SVC(C=1.0, class_weight="balanced", cache_size=1000) if name == "svc" else None
    return make_functionals_pipeline(feature_set, estimator=estimator)[1:]


def main():
    p = harness.parser(__doc__.splitlines()[0], classifier=False)
    p.add_argument("--feature-sets", nargs="+", default=list(FEATURE_SETS))
    p.add_argument("--estimators", nargs="+", choices=("logreg", "svc"),
                   default=["logreg", "svc"])
    p.set_defaults(n_jobs=1)  # one extraction process, as the documented runs
    args = p.parse_args()
    data = harness.load(args.corpus, speakers=args.speakers, max_clips=args.max_clips)
    study = harness.Study("classic_features")
    for feature_set in args.feature_sets:
        start = time.perf_counter()
        X = harness.cached_functionals(data, feature_set, args.n_jobs)
        extraction_s = time.perf_counter() - start
        for name in args.estimators:
            start = time.perf_counter()
            scores = cross_validate(classic(feature_set, name), X, data.y, groups=data.groups,
                                    cv=GroupKFold(args.cv),
                                    scoring=("balanced_accuracy", "accuracy"))
            study.record(corpus=harness.describe(data), cv=f"GroupKFold({args.cv}) by speaker",
                         params={"feature_set": feature_set, "estimator": name,
                                 "n_features": int(X.shape[1])},
                         uar=scores["test_balanced_accuracy"],
                         times={"cv_wall_s": time.perf_counter() - start,
                                "extraction_wall_s": extraction_s},
                         extra={"accuracy": [round(a, 4) for a in scores["test_accuracy"]]})


if __name__ == "__main__":
    main()
