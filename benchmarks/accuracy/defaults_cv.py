"""Speaker-independent cross-validation of the library as a user writes it, on audio paths.

Three modes, each ``GroupKFold(--cv)`` by speaker on the clips the corpus loader returns:

``pipeline`` (the target) cross-validates with :func:`sklearn.model_selection.cross_validate`::

    Pipeline([("features", AudioFeatureTransformer(augment=defaults.AUGMENTATIONS,
                                                   random_state=0)),
              ("clf", SERClassifier(arch=ARCH, random_state=SEED, **PARAMS))])

``compare`` runs all five architectures and their soft-voting ensemble on the same folds with
:func:`sklearn_ser.study.compare_architectures` (features extracted once per fold, shared).

``fused`` cross-validates :func:`sklearn_ser.ensemble.make_fusion_classifier` (the target pipeline
and ComParE_2016 functionals + logistic regression, soft vote, equal weights).

    python benchmarks/accuracy/defaults_cv.py pipeline                       # EmoDB, cnn_gru
    python benchmarks/accuracy/defaults_cv.py compare --corpus demo          # synthetic corpus
    python benchmarks/accuracy/defaults_cv.py fused --seed 1
    python benchmarks/accuracy/defaults_cv.py pipeline --corpus crema_d \\
        --param views_per_epoch=2 --n-jobs 2 --memory
    python benchmarks/accuracy/defaults_cv.py pipeline --speakers 5 --max-clips 30 --cv 2 \\
        --param epochs=1                                                     # a tiny proof run

Appends one record per model to ``results/defaults_cv.jsonl``.
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time

import harness
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.defaults import AUGMENTATIONS


def cpu_seconds():
    """CPU time of this process and its finished children (joblib workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def target_pipeline(data, args, params, memory):
    extra = {"features": tuple(args.features)} if args.features else {}
    return Pipeline([
        ("features", AudioFeatureTransformer(augment=AUGMENTATIONS, random_state=0,
                                             input_sr=data.input_sr, n_jobs=args.n_jobs,
                                             memory=memory, **extra)),
        ("clf", SERClassifier(arch=args.arch, random_state=args.seed, **params)),
    ])


def fused(data, args, params):
    from sklearn_ser.ensemble import make_fusion_classifier

    fusion = make_fusion_classifier(random_state=args.seed, n_jobs=args.n_jobs)
    fusion.set_params(deep__features__input_sr=data.input_sr,
                      compare__features__input_sr=data.input_sr,
                      **{f"deep__clf__{k}": v for k, v in params.items()})
    return fusion


def cross_validated(estimator, data, args):
    scores = cross_validate(estimator, data.X, data.y, groups=data.groups,
                            cv=GroupKFold(args.cv), scoring=("balanced_accuracy", "accuracy"))
    return (scores["test_balanced_accuracy"].tolist(),
            {"fit_s": [round(t, 1) for t in scores["fit_time"]]},
            {"accuracy": [round(a, 4) for a in scores["test_accuracy"]]})


def compared(data, args, params):
    from sklearn_ser.study import compare_architectures

    result = compare_architectures(
        data.X, data.y, data.groups, cv=GroupKFold(args.cv),
        transformer=AudioFeatureTransformer(augment=AUGMENTATIONS, random_state=0,
                                            input_sr=data.input_sr, n_jobs=args.n_jobs),
        classifier_params={"random_state": args.seed, **params})
    for model, folds in result.folds.groupby("model", sort=False):
        yield model, folds["uar"].tolist(), {"fit_s": folds["fit_time"].round(1).tolist()}


def main():
    p = harness.parser(__doc__.splitlines()[0])
    p.add_argument("mode", choices=("pipeline", "compare", "fused"))
    p.add_argument("--arch", default="cnn_gru", help="pipeline mode: the architecture")
    p.add_argument("--features", nargs="+", default=None,
                   help="pipeline mode: a candidate feature set instead of the default")
    p.add_argument("--memory", action="store_true",
                   help="pipeline mode: cache each clip's views in a new temporary folder, so "
                        "they are extracted once for all folds")
    p.set_defaults(n_jobs=None)  # the transformer's own default: the documented runs used it
    args = p.parse_args()
    params = harness.literal_params(p, "--param", args.param)
    data = harness.load(args.corpus, speakers=args.speakers, max_clips=args.max_clips)
    study = harness.Study("defaults_cv")
    corpus, cv = harness.describe(data), f"GroupKFold({args.cv}) by speaker"
    print(f"{corpus}; {cv}; {study.command}", flush=True)
    wall, cpu = time.perf_counter(), cpu_seconds()
    if args.mode == "compare":
        for model, uars, times in compared(data, args, params):
            study.record(corpus=corpus, cv=cv, params={"mode": "compare", "arch": model,
                                                       "seed": args.seed, **params},
                         uar=uars, times=times)
        return
    cache = tempfile.mkdtemp(prefix="ser_cv_cache_") if args.memory else None
    try:
        estimator = (target_pipeline(data, args, params, cache) if args.mode == "pipeline"
                     else fused(data, args, params))
        uars, times, extra = cross_validated(estimator, data, args)
    finally:
        if cache is not None:
            shutil.rmtree(cache, ignore_errors=True)
    times.update(wall_s=time.perf_counter() - wall, cpu_s=cpu_seconds() - cpu)
    study.record(corpus=corpus, cv=cv,
                 params={"mode": args.mode, "arch": args.arch if args.mode == "pipeline"
                         else "fusion", "seed": args.seed, "features": args.features,
                         "memory": args.memory, "n_jobs": args.n_jobs, **params},
                 uar=uars, times=times, extra=extra)


if __name__ == "__main__":
    main()
