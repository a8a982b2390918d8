"""Sampled training views (issue 13): the literal Pipeline, today's tree against a release.

Cross-validates, speaker-independent (``GroupKFold(5)`` by speaker), exactly::

    Pipeline([("features", AudioFeatureTransformer(augment=(<the five augmentations>),
                                                   random_state=0)),
              ("clf", SERClassifier(random_state=0))])

once with the code of an older checkout (the release to beat, defaults as they were) and once
with this tree, one after the other in one run on the same machine, each in its own process,
and prints UAR per fold, wall and CPU time, and the speed-up. ``--views`` and ``--epochs`` set
``views_per_epoch`` and ``epochs`` of the new run, ``--lr`` and ``--batch-size`` its peak
learning rate and batch size (candidates before they become defaults). On a shared machine
compare CPU seconds: the wall clock measures the neighbours too.

The old checkout shares this environment's packages and is put first on ``PYTHONPATH``::

    git worktree add /tmp/sklearn-ser-release 74c8cf7      # main before sampled views
    python benchmarks/bench_views.py --corpus emodb --old-tree /tmp/sklearn-ser-release
    python benchmarks/bench_views.py --corpus crema_d --old-tree /tmp/sklearn-ser-release

Appends one JSON line per run to ``bench_views.jsonl`` next to this file.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _common import ROOT, load_average, machine_lines, markdown_table, run_child

RESULTS = Path(__file__).with_name("bench_views.jsonl")
SHARED = ROOT / ".." / "shared" / "data"
CORPORA = {"emodb": "emodb/wav/*.wav", "crema_d": "crema_d/AudioOpus/*.opus"}

# The child: labels and speakers from the file names, so that both trees read the same clips
# whatever their loaders do.
CHILD = r"""
import json, os, resource, sys, time
import numpy as np
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn_ser import AudioFeatureTransformer, SERClassifier
corpus, pattern, root, clf_params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
from pathlib import Path
paths = sorted(str(p) for p in Path(root).glob(pattern))
names = [os.path.basename(p) for p in paths]
if corpus == "emodb":
    y, groups = [n[5] for n in names], [n[:2] for n in names]
else:
    y, groups = [n.split("_")[2] for n in names], [n[:4] for n in names]
pipe = Pipeline([
    ("features", AudioFeatureTransformer(augment=("noise", "stretch_pitch", "shift", "echo",
                                                  "reverb"), random_state=0)),
    ("clf", SERClassifier(random_state=0, **clf_params)),
])
start = time.perf_counter()
scores = cross_validate(pipe, paths, np.asarray(y), groups=np.asarray(groups), cv=GroupKFold(5),
                        scoring=("balanced_accuracy", "accuracy"))
wall = time.perf_counter() - start
usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
cpu = sum(u.ru_utime + u.ru_stime for u in usage)
print("RESULT " + json.dumps({
    "uar": scores["test_balanced_accuracy"].tolist(), "accuracy": scores["test_accuracy"].tolist(),
    "fit_time": scores["fit_time"].tolist(), "wall": wall, "cpu": cpu, "n_clips": len(paths),
    "peak_rss_mb": usage[0].ru_maxrss / 1024,
}))
"""


# Each tree runs as it ships: this tree picks TensorFlow's pooling CPU allocator when it is
# imported (sklearn_ser/__init__.py), the release used TensorFlow's default. A value set by
# the user before this script applies to both.
USER_ALLOCATOR = os.environ.get("TF_CPU_ALLOCATOR_USE_BFC")


def run(tree: Path, corpus: str, clf_params: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "TF_CPP_MIN_LOG_LEVEL": "2"}
    if USER_ALLOCATOR is None:
        env.pop("TF_CPU_ALLOCATOR_USE_BFC", None)
    return run_child(CHILD, (corpus, CORPORA[corpus], SHARED, json.dumps(clf_params)), env,
                     f"run in {tree}", cwd=tree)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), required=True)
    parser.add_argument("--old-tree", type=Path, required=True,
                        help="checkout of the release to compare against")
    parser.add_argument("--views", type=int, default=None, help="views_per_epoch of the new run")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of the new run")
    parser.add_argument("--lr", type=float, default=None,
                        help="peak learning rate of the new run (optimizer__learning_rate)")
    parser.add_argument("--batch-size", type=int, default=None, help="batch_size of the new run")
    args = parser.parse_args()
    new_params = {k: v for k, v in (("views_per_epoch", args.views), ("epochs", args.epochs),
                                    ("optimizer__learning_rate", args.lr),
                                    ("batch_size", args.batch_size))
                  if v is not None}
    print("\n".join(machine_lines()), f"load: {load_average()}", sep="\n", flush=True)
    rows = {"release": run(args.old_tree.resolve(), args.corpus, {}),
            "this tree": run(ROOT, args.corpus, new_params)}
    base = rows["release"]
    print(f"\n{args.corpus}, {base['n_clips']} clips, GroupKFold(5) by speaker; new run: "
          f"{new_params or 'defaults'}\n")
    print(markdown_table(
        ("code", "UAR per fold", "mean UAR", "wall s", "CPU s", "speed-up (wall)",
         "speed-up (CPU)"),
        [(name, ", ".join(f"{u:.3f}" for u in r["uar"]), f"**{sum(r['uar']) / 5:.3f}**",
          f"{r['wall']:.0f}", f"{r['cpu']:.0f}", f"{base['wall'] / r['wall']:.2f}x",
          f"{base['cpu'] / r['cpu']:.2f}x")
         for name, r in rows.items()]))
    print(f"load at the end: {load_average()}")
    record = {"corpus": args.corpus, "new_params": new_params, "runs": rows,
              "old_tree": str(args.old_tree), "user_allocator_setting": USER_ALLOCATOR,
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with RESULTS.open("a") as fh:
        fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
