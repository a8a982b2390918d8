"""Scaling out: extraction on a dask LocalCluster against joblib locally, and training from a
memmap against training from memory.

    python benchmarks/bench_scale.py [--extraction-clips 300] [--train-clips 2000 20000]

Extraction: synthetic 2 s clips written as WAV files (what a cluster's workers read), through
``AudioFeatureTransformer(n_jobs=2)`` with joblib's loky backend and then under
``joblib.parallel_config(backend="dask")`` with a 2-worker, 1-thread ``LocalCluster``; each
backend runs twice and the second (warm) run is reported, beside the cold start of its
workers. The per-clip overhead is what a parallel clip costs beyond a sequential one:
``(2 x wall) / n_clips - sequential seconds per clip``.

Training: a float32 ``.npy`` of shape (n_clips, 6, 63, 64) (2 s clips with five augmented
views, 64 log-mels) is fitted by ``SERClassifier(epochs=1, views_per_epoch=1,
validation_fraction=0.1)`` (cnn_gru), once from ``np.load(mmap_mode="r")`` and once from the
array loaded into memory, each in a fresh process whose anonymous memory (RssAnon, not the
page cache) is sampled every 10 ms from before the array is opened; a first fit on 64
clips, before that, loads TensorFlow's kernels so that neither run pays for them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from _common import _status_mb  # benchmarks/ is sys.path[0]

SHAPE = (6, 63, 64)


def rss_anon_mb() -> float:
    """Anonymous resident memory of this process, MiB: what it allocated, not page cache."""
    return _status_mb("RssAnon")


def _extract_seconds(aft, paths):
    start = time.perf_counter()
    aft.transform(paths)
    return time.perf_counter() - start


def extraction(n_clips: int) -> list[dict]:
    import joblib
    from distributed import Client, LocalCluster

    from sklearn_ser import AudioFeatureTransformer
    from sklearn_ser.datasets import make_emotional_speech

    folder = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    per_emotion = -(-n_clips // (6 * 10))
    data = make_emotional_speech(n_speakers=10, n_clips_per_emotion=per_emotion, duration=2.0,
                                 random_state=0, out_dir=folder)
    paths = list(data.X)[:n_clips]
    n_seq = min(100, n_clips)
    sequential = _extract_seconds(AudioFeatureTransformer().fit(paths), paths[:n_seq]) / n_seq
    rows = [{"backend": "sequential (n_jobs=None)", "clips": n_seq, "cold_s": None,
             "wall_s": sequential * n_seq}]
    aft = AudioFeatureTransformer(n_jobs=2).fit(paths)
    rows.append({"backend": "loky, n_jobs=2", "clips": n_clips,
                 "cold_s": _extract_seconds(aft, paths), "wall_s": _extract_seconds(aft, paths)})
    start = time.perf_counter()
    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster):
        started = time.perf_counter() - start
        with joblib.parallel_config(backend="dask"):
            cold = _extract_seconds(aft, paths)
            warm = _extract_seconds(aft, paths)
    rows.append({"backend": "dask LocalCluster, 2 workers x 1 thread", "clips": n_clips,
                 "cold_s": started + cold, "wall_s": warm})
    for row in rows:
        row["clips_per_s"] = row["clips"] / row["wall_s"]
        row["overhead_ms_per_clip"] = (1000 * (2 * row["wall_s"] / row["clips"] - sequential)
                                       if row["cold_s"] is not None else None)
    return rows


def _train(path: str, mode: str) -> dict:
    """One fit in this process (run by :func:`training` in a fresh interpreter)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from sklearn_ser import SERClassifier

    params = dict(epochs=1, views_per_epoch=1, validation_fraction=0.1, random_state=0)
    # a first fit on a few clips loads TensorFlow's kernels, so neither run pays for that
    warm = np.random.default_rng(0).standard_normal((64, *SHAPE), dtype=np.float32)
    SERClassifier(**params).fit(warm, np.tile(["angry", "calm", "happy", "sad"], 16))
    peak, done = [rss_anon_mb()], threading.Event()

    def watch():
        while not done.wait(0.01):
            peak.append(rss_anon_mb())

    watcher = threading.Thread(target=watch)
    watcher.start()
    X = np.load(path, mmap_mode="r" if mode == "memmap" else None)
    y = np.tile(["angry", "calm", "happy", "sad"], len(X) // 4)
    clf = SERClassifier(**params)
    start = time.perf_counter()
    clf.fit(X, y)
    fit_s = time.perf_counter() - start
    done.set()
    watcher.join()
    n_rows = len(X) - int(np.ceil(0.1 * len(X)))
    return {"fit_s": fit_s, "rows_per_s": n_rows / fit_s, "peak_anon_mb": max(peak)}


def training(sizes) -> list[dict]:
    rows = []
    folder = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    for n in sizes:
        path = folder / f"X{n}.npy"
        X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, *SHAPE))
        rng = np.random.default_rng(0)
        for start in range(0, n, 500):
            X[start:start + 500] = rng.standard_normal((len(X[start:start + 500]), *SHAPE),
                                                       dtype=np.float32)
        X.flush()
        del X
        for mode in ("memmap", "memory"):
            run = subprocess.run([sys.executable, __file__, "_train", str(path), mode],
                                 capture_output=True, text=True, check=True)
            result = json.loads(run.stdout.strip().splitlines()[-1])
            rows.append({"clips": n, "file_mb": path.stat().st_size / 2**20, "from": mode,
                         **result})
        path.unlink()
    return rows


def _table(rows, columns) -> str:
    def cell(v):
        if v is None:
            return "-"
        return f"{v:.3g}" if isinstance(v, float) and abs(v) < 100 else (
            f"{v:.0f}" if isinstance(v, float) else str(v))

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_train":
        print(json.dumps(_train(sys.argv[2], sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extraction-clips", type=int, default=300)
    parser.add_argument("--train-clips", type=int, nargs="*", default=[2000, 20000])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    if args.extraction_clips:
        print(_table(extraction(args.extraction_clips),
                     ["backend", "clips", "cold_s", "wall_s", "clips_per_s",
                      "overhead_ms_per_clip"]), flush=True)
    if args.train_clips:
        print(_table(training(args.train_clips),
                     ["clips", "file_mb", "from", "fit_s", "rows_per_s", "peak_anon_mb"]),
              flush=True)


if __name__ == "__main__":
    main()
