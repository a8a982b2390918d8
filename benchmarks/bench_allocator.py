"""TensorFlow's CPU allocator and the cost of a training step (issue 13).

Fits the default ``SERClassifier`` (``cnn_gru``, 6 epochs, every view) on synthetic features
of EmoDB's training-fold size (486 clips x 6 views x 63 frames x 64 log-mel bands), each fit
in a fresh process, alternately with ``TF_CPU_ALLOCATOR_USE_BFC=0`` (TensorFlow's default,
malloc-backed allocator) and ``=1`` (its pooling BFC allocator, which ``import sklearn_ser``
selects unless the variable is set). Prints user and kernel CPU seconds, minor page faults
and peak RSS of each fit::

    python benchmarks/bench_allocator.py            # 2 fits per setting: ~3 min on 2 cores
    python benchmarks/bench_allocator.py --runs 3

The features are random: what is measured is the cost of the network's steps, which depends
on shapes, not values. Appends one JSON line per run to ``bench_allocator.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _common import ROOT, load_average, machine_lines, markdown_table, run_child

RESULTS = Path(__file__).with_name("bench_allocator.jsonl")

CHILD = r"""
import json, resource, time
import numpy as np
from sklearn_ser import SERClassifier
rng = np.random.default_rng(0)
X = rng.normal(size=(486, 6, 63, 64)).astype(np.float32)
y = np.tile(list("abcdef"), 81)
before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
SERClassifier(epochs=6, random_state=0).fit(X, y)
after = resource.getrusage(resource.RUSAGE_SELF)
print("RESULT " + json.dumps({
    "user_s": after.ru_utime - before.ru_utime, "sys_s": after.ru_stime - before.ru_stime,
    "wall_s": time.perf_counter() - start, "minor_faults": after.ru_minflt - before.ru_minflt,
    "peak_rss_mb": after.ru_maxrss / 1024,
}))
"""


def fit_once(setting: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
           "TF_CPU_ALLOCATOR_USE_BFC": setting}
    return run_child(CHILD, (), env, f"fit with TF_CPU_ALLOCATOR_USE_BFC={setting}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="fits per setting")
    args = parser.parse_args()
    print("\n".join(machine_lines()), f"load: {load_average()}", sep="\n", flush=True)
    rows = []
    for _ in range(args.runs):
        for setting in ("0", "1"):  # alternated, so that a change of load hits both
            rows.append({"TF_CPU_ALLOCATOR_USE_BFC": setting, **fit_once(setting)})
            print(json.dumps(rows[-1]), flush=True)
    names = {"0": "0 (TensorFlow's default)", "1": "1 (sklearn_ser's default)"}
    print()
    print(markdown_table(
        ("TF_CPU_ALLOCATOR_USE_BFC", "user s", "sys s", "CPU s", "wall s", "minor faults",
         "peak RSS MiB"),
        [(names[r["TF_CPU_ALLOCATOR_USE_BFC"]], f"{r['user_s']:.1f}", f"{r['sys_s']:.1f}",
          f"{r['user_s'] + r['sys_s']:.1f}", f"{r['wall_s']:.1f}", f"{r['minor_faults']:,}",
          f"{r['peak_rss_mb']:.0f}") for r in rows]))
    print(f"load at the end: {load_average()}")
    with RESULTS.open("a") as fh:
        fh.write(json.dumps({"runs": rows,
                             "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
                 + "\n")


if __name__ == "__main__":
    main()
