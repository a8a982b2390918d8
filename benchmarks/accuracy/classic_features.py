"""openSMILE's standard feature sets with classical estimators, speaker-independent (issue 16).

For each corpus and feature set, the functionals of every clip are computed with
:class:`sklearn_ser.OpenSmileTransformer` at its defaults (the decoded signal as it is, at the
file's own rate: what ``opensmile.Smile.process_file`` gives) and cached to
``cache/<corpus>_<feature_set>.npz`` next to this file (git-ignored; delete it to extract
again). Two estimators are then cross-validated with ``GroupKFold(5)`` by speaker:

- ``logreg``: ``StandardScaler`` + ``LogisticRegression(C=0.1, class_weight="balanced")``;
- ``svc``: ``StandardScaler`` + ``SVC(C=1, kernel="rbf", class_weight="balanced")``.

The scaler is fitted inside each training fold (a Pipeline), so nothing of a test speaker
leaks. The script prints an rST table of the unweighted average recall (balanced accuracy)
per fold and its mean, and appends one JSON line per run to ``classic_results.jsonl``.

Run from the project root (``nice`` because extraction is CPU-bound)::

    nice -n 10 python benchmarks/accuracy/classic_features.py --corpus emodb
    nice -n 10 python benchmarks/accuracy/classic_features.py --corpus crema_d

The corpora are read from ``../shared/data`` (``--data`` to change).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_ser import OpenSmileTransformer
from sklearn_ser.datasets import load_corpus

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
RESULTS = HERE / "classic_results.jsonl"
DEFAULT_DATA = HERE.parents[2] / "shared" / "data"
FOLDERS = {"emodb": "emodb", "crema_d": "crema_d"}
FEATURE_SETS = ("ComParE_2016", "eGeMAPSv02")
ESTIMATORS = {
    "logreg": lambda: make_pipeline(
        StandardScaler(), LogisticRegression(C=0.1, class_weight="balanced", max_iter=2000)),
    # a kernel cache that holds the whole training Gram matrix (~290 MB for CREMA-D's ~6,000
    # training clips) spares libsvm recomputing rows; it changes the time, not the solution
    "svc": lambda: make_pipeline(
        StandardScaler(), SVC(C=1.0, class_weight="balanced", cache_size=1000)),
}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (joblib workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def functionals(corpus: str, data_root: Path, feature_set: str, n_jobs: int):
    """(X, y, groups, (extraction CPU s, wall s), file names) from the cache (Nones), or
    extracted; the rows follow the corpus loader's order."""
    path = CACHE / f"{corpus}_{feature_set}.npz"
    data = load_corpus(corpus, data_root / FOLDERS[corpus])
    files = np.asarray([os.path.basename(p) for p in data.X])
    if path.exists():
        cached = np.load(path, allow_pickle=False)
        if np.array_equal(cached["files"], files):
            return (cached["X"], np.asarray(data.y), np.asarray(data.groups), (None, None),
                    files)
        print(f"{path.name} holds other files than the corpus: extracting again")
    cpu, wall = cpu_seconds(), time.perf_counter()
    X = OpenSmileTransformer(feature_set, n_jobs=n_jobs, verbose=1).fit_transform(list(data.X))
    cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    # joblib's workers outlive the call, so their CPU time is not in RUSAGE_CHILDREN yet
    cpu = cpu if n_jobs == 1 else None
    print(f"{corpus} {feature_set}: {X.shape} extracted in {wall:.0f} s wall"
          + ("" if cpu is None else f", {cpu:.0f} s CPU"))
    CACHE.mkdir(exist_ok=True)
    np.savez(path, X=X, files=files)
    return X, np.asarray(data.y), np.asarray(data.groups), (cpu, wall), files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(FOLDERS), default="emodb")
    parser.add_argument("--feature-sets", nargs="+", default=list(FEATURE_SETS))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the corpora")
    parser.add_argument("--n-jobs", type=int, default=1, help="extraction processes")
    parser.add_argument("--estimators", nargs="+", choices=sorted(ESTIMATORS),
                        default=list(ESTIMATORS))
    args = parser.parse_args()
    print(f"command: python {' '.join(os.sys.argv)}; {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}")

    rows = []
    for feature_set in args.feature_sets:
        X, y, groups, (extraction_cpu, extraction_wall), _ = functionals(
            args.corpus, args.data, feature_set, args.n_jobs)
        print(f"{args.corpus}: {len(y)} clips, {np.unique(groups).size} speakers, "
              f"{np.unique(y).size} emotions, {X.shape[1]} {feature_set} functionals")
        for name in args.estimators:
            make = ESTIMATORS[name]
            wall = time.perf_counter()
            scores = cross_validate(make(), X, y, groups=groups, cv=GroupKFold(5),
                                    scoring=("balanced_accuracy", "accuracy"))
            record = {
                "corpus": args.corpus, "feature_set": feature_set, "estimator": name,
                "n_features": int(X.shape[1]), "n_clips": len(y),
                "uar_folds": scores["test_balanced_accuracy"].round(4).tolist(),
                "uar": float(scores["test_balanced_accuracy"].mean()),
                "accuracy": float(scores["test_accuracy"].mean()),
                "cv_wall_s": round(time.perf_counter() - wall, 1),
                "extraction_cpu_s": None if extraction_cpu is None else round(extraction_cpu),
                "extraction_wall_s": None if extraction_wall is None else round(extraction_wall),
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            }
            with RESULTS.open("a") as fh:
                fh.write(json.dumps(record) + "\n")
            rows.append(record)
            print(f"  {name}: UAR {record['uar']:.3f} ({record['cv_wall_s']:.0f} s)")

    header = ["features", "estimator", *(f"fold {k}" for k in range(5)), "mean UAR", "accuracy"]
    cells = [[f"{r['feature_set']} ({r['n_features']})", r["estimator"],
              *(f"{u:.3f}" for u in r["uar_folds"]), f"{r['uar']:.3f}", f"{r['accuracy']:.3f}"]
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    rule = "  ".join("=" * w for w in widths)
    print(rule, "  ".join(h.ljust(w) for h, w in zip(header, widths)), rule, sep="\n")
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)))
    print(rule)


if __name__ == "__main__":
    main()
