"""Speaker-independent cross-validation of the library's defaults (issue 7).

Three modes, all on real audio paths and all with ``GroupKFold(5)`` by speaker:

``pipeline`` (the target): cross-validates exactly::

    Pipeline([("features", AudioFeatureTransformer(augment=("noise", "stretch_pitch", "shift",
                                                            "echo", "reverb"), random_state=0)),
              ("clf", SERClassifier(arch="cnn_gru", random_state=0))])

with :func:`sklearn.model_selection.cross_validate`, default settings otherwise, and prints
the unweighted average recall (balanced accuracy) and accuracy of every fold, their means
and the wall and CPU time.

``compare``: all five architectures and their soft-voting ensemble on the same folds, with
:func:`sklearn_ser.study.compare_architectures` (features extracted once per fold and shared,
which gives each architecture exactly what its own Pipeline would compute).

``fused``: cross-validates :func:`sklearn_ser.fusion.make_fusion_classifier` (the target
pipeline and ComParE_2016 functionals + logistic regression in a soft VotingClassifier, equal
weights) on the audio paths, seeded with ``--seed``, with ``cross_validate`` like ``pipeline``.

Run from the project root::

    python benchmarks/accuracy/defaults_cv.py pipeline                 # EmoDB, cnn_gru
    python benchmarks/accuracy/defaults_cv.py compare                  # EmoDB, all five
    python benchmarks/accuracy/defaults_cv.py compare --corpus demo    # synthetic demo corpus
    python benchmarks/accuracy/defaults_cv.py fused --seed 1           # EmoDB, the fusion
    python benchmarks/accuracy/defaults_cv.py pipeline --corpus crema_d \
        --param views_per_epoch=2 --n-jobs 2 --memory                  # CREMA-D, 20 minutes

EmoDB is read from ``../shared/data/emodb`` (``--emodb`` to change), CREMA-D from
``../shared/data/crema_d`` with :func:`~sklearn_ser.datasets.load_crema_d` (the 7,438 clips it
keeps). ``--param NAME=VALUE`` sets a SERClassifier parameter of the pipeline (a Python
literal), ``--n-jobs`` the transformer's and ``--memory`` gives the transformer a joblib
cache in a new temporary folder (removed at the end, so the time includes extracting every
clip once), so that the recipe documented for a large corpus is measured as a user would
write it. Each run appends a JSON line to
``defaults_results.jsonl`` next to this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from views_cv import literal_params

from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.datasets import load_crema_d, load_emodb, make_emotional_speech
from sklearn_ser.fusion import make_fusion_classifier
from sklearn_ser.study import compare_architectures

AUGMENT = ("noise", "stretch_pitch", "shift", "echo", "reverb")
RESULTS = Path(__file__).with_name("defaults_results.jsonl")
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DEFAULT_EMODB = SHARED / "emodb"


def load(corpus, emodb_root):
    """Clips (paths or waveforms), labels, speakers and the transformer's input_sr."""
    if corpus in ("emodb", "crema_d"):
        data = load_emodb(emodb_root) if corpus == "emodb" else load_crema_d(SHARED / "crema_d")
        return list(data.X), np.asarray(data.y), np.asarray(data.groups), None
    data = make_emotional_speech(random_state=0)
    return list(data.X), np.asarray(data.y), np.asarray(data.groups), data.sr


def cpu_seconds():
    """CPU time of this process and its finished children (joblib workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def target_pipeline(input_sr, arch, features=None, clf_params=None, n_jobs=None, memory=None):
    extra = {"features": tuple(features)} if features else {}
    return Pipeline([
        ("features", AudioFeatureTransformer(augment=AUGMENT, random_state=0,
                                             input_sr=input_sr, n_jobs=n_jobs, memory=memory,
                                             **extra)),
        ("clf", SERClassifier(arch=arch, random_state=0, **(clf_params or {}))),
    ])


def fused(input_sr, seed):
    fusion = make_fusion_classifier(augment=AUGMENT, random_state=seed)
    if input_sr is not None:
        fusion.set_params(deep__features__input_sr=input_sr,
                          compare__opensmiletransformer__input_sr=input_sr)
    return fusion


def run_cv(estimator, X, y, groups, arch):
    scores = cross_validate(estimator, X, y, groups=groups, cv=GroupKFold(5),
                            scoring=("balanced_accuracy", "accuracy"))
    rows = [{"fold": k, "uar": float(scores["test_balanced_accuracy"][k]),
             "accuracy": float(scores["test_accuracy"][k]),
             "fit_time": float(scores["fit_time"][k])} for k in range(5)]
    print("| fold | UAR | accuracy | fit s |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['fold']} | {r['uar']:.3f} | {r['accuracy']:.3f} | {r['fit_time']:.0f} |")
    uar = float(np.mean([r["uar"] for r in rows]))
    acc = float(np.mean([r["accuracy"] for r in rows]))
    print(f"| mean | **{uar:.3f}** | {acc:.3f} | |")
    return {"arch": arch, "folds": rows, "mean_uar": uar, "mean_accuracy": acc}


def run_compare(X, y, groups, input_sr):
    result = compare_architectures(
        X, y, groups, cv=GroupKFold(5),
        transformer=AudioFeatureTransformer(augment=AUGMENT, random_state=0, input_sr=input_sr),
        classifier_params={"random_state": 0},
    )
    # the record first: an hour of training must not be lost to a formatting error
    record = {"folds": json.loads(result.folds.to_json(orient="records")),
              "extraction_time": list(result.extraction_time)}
    print(compare_table(result.folds))
    print(f"feature extraction per fold (s): "
          f"{', '.join(f'{t:.0f}' for t in result.extraction_time)}")
    record["mean_uar"] = result.folds.groupby("model", sort=False)["uar"].mean().to_dict()
    return record


def compare_table(folds):
    """Markdown table: UAR per fold and model, means, accuracy and fit time."""
    table = folds.pivot(index="model", columns="fold", values="uar")
    table = table.loc[folds["model"].unique()]
    by_model = folds.groupby("model", sort=False)
    fit, acc = by_model["fit_time"].sum(), by_model["test_accuracy"].mean()
    lines = ["| model | " + " | ".join(f"fold {k}" for k in table.columns)
             + " | mean UAR | mean accuracy | fit s (all folds) |",
             "|---|" + "---|" * (len(table.columns) + 3)]
    for model, row in table.iterrows():
        cells = " | ".join(f"{v:.3f}" for v in row)
        lines.append(f"| {model} | {cells} | **{row.mean():.3f}** | {acc[model]:.3f} | "
                     f"{fit[model]:.0f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("pipeline", "compare", "fused"))
    parser.add_argument("--corpus", choices=("emodb", "crema_d", "demo"), default="emodb")
    parser.add_argument("--emodb", type=Path, default=DEFAULT_EMODB, help="EmoDB folder")
    parser.add_argument("--arch", default="cnn_gru", help="pipeline mode: the architecture")
    parser.add_argument("--features", nargs="+", default=None,
                        help="pipeline mode: a candidate feature set instead of the default, "
                             "to confirm a choice made on held-out training speakers")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="pipeline mode: a SERClassifier parameter (a Python literal), "
                             "e.g. views_per_epoch=2")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="pipeline mode: the transformer's n_jobs (default None, one core)")
    parser.add_argument("--memory", action="store_true",
                        help="pipeline mode: cache the transformer's clips in a new temporary "
                             "folder, so each clip's views are extracted once for all folds")
    parser.add_argument("--seed", type=int, default=0, help="fused mode: random_state")
    args = parser.parse_args()
    clf_params = literal_params(parser, "--param", args.param)
    if args.mode != "pipeline" and (clf_params or args.n_jobs is not None or args.memory):
        parser.error("--param, --n-jobs and --memory are options of the pipeline mode")

    X, y, groups, input_sr = load(args.corpus, args.emodb)
    print(f"{args.corpus}: {len(X)} clips, {np.unique(groups).size} speakers, "
          f"{np.unique(y).size} emotions; GroupKFold(5) by speaker")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}; command: python {' '.join(os.sys.argv)}")
    wall, cpu = time.perf_counter(), cpu_seconds()
    if args.mode == "pipeline":
        cache = tempfile.mkdtemp(prefix="ser_cv_cache_") if args.memory else None
        try:
            record = run_cv(target_pipeline(input_sr, args.arch, args.features, clf_params,
                                            args.n_jobs, cache), X, y, groups, args.arch)
        finally:
            if cache is not None:
                shutil.rmtree(cache, ignore_errors=True)
        record.update(features=args.features or "default", params=clf_params,
                      n_jobs=args.n_jobs, memory=args.memory)
    elif args.mode == "fused":
        record = run_cv(fused(input_sr, args.seed), X, y, groups, "fusion")
        record["seed"] = args.seed
    else:
        record = run_compare(X, y, groups, input_sr)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(f"total: {wall:.0f} s wall, {cpu:.0f} s CPU; load at the end "
          f"{os.getloadavg()[0]:.2f}")
    record.update(mode=args.mode, corpus=args.corpus, wall=wall, cpu=cpu,
                  date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    with RESULTS.open("a") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
