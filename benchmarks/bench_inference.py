"""Inference speed, path to probabilities: a fitted Pipeline vs the naive seed-style path.

Run from the project root (needs the EmoDB copy in ../shared/data/emodb/wav)::

    python benchmarks/bench_inference.py            # full run: ~10 min on 2 cores
    python benchmarks/bench_inference.py --quick    # smoke run: ~2 min
    python benchmarks/bench_inference.py --archs cnn cnn_gru --n-batch 500 --sizes 100 500

For each architecture a ``Pipeline([AudioFeatureTransformer(...), SERClassifier(arch)])`` is
fitted for one epoch on a few EmoDB clips (accuracy is irrelevant here; the classifier's
other parameters keep their defaults). The transformer runs at the seed's settings (16 kHz,
3 s, librosa's 2048-point FFT and 512 hop, 13 MFCC + delta + delta2 + 128 log-mel + spectral
centroid: 94 frames x 168 features, zero padding as ``librosa.util.fix_length``), so both
paths feed the same network the same input. Printed (issue 6, targets 4 and 5):

1. **Latency of one clip**, path -> probabilities, median over ``--repeats`` calls (after
   warm-up calls): ``pipe.predict_proba([path])`` against the **naive path**, the seed's
   per-clip features written as the seed did (``seed_clip`` of ``bench_extraction.py``:
   ``librosa.load(path, sr=16000)``, ``librosa.effects.trim(top_db=30)``, peak
   normalisation, ``librosa.util.fix_length`` to 3 s, librosa MFCC, deltas, log-mel and
   centroid) followed by ``keras.Model.predict`` on the pipeline's own fitted network (same
   builder, same input shape, same weights). The contenders alternate call by call. Each
   side is split into its feature and model parts, measured the same way. The pipeline with
   the transformer's own default features is timed as well. (The two feature matrices are
   the same computation but not equal numbers: the library trims silence at 128-sample
   hops, the seed's ``librosa.effects.trim`` at 512, which shifts the frames.)
2. **Batch throughput** on ``--n-batch`` paths (EmoDB cycled to reach 1,000):
   ``pipe.predict_proba(paths)`` with ``n_jobs=1`` and ``n_jobs=2`` (workers warm: started
   by a previous call, as joblib keeps them), and the naive path as the seed would batch it,
   features clip by clip then one ``Model.predict`` of the stacked array. The naive features
   do not depend on the architecture: they are computed once (on ``--naive-clips`` clips,
   scaled to ``--n-batch`` when fewer) and their time is added to each architecture's
   ``Model.predict`` time. Each model is called once on the batch before it is timed (see
   :func:`batch`).
3. **Growth** with the number of clips (``--sizes``) for the default architecture:
   ``pipe.predict_proba`` seconds, clips/s and the peak memory one call adds.

One process; every ratio comes from measurements taken side by side. The machine's load is
printed with every row: on a shared machine absolute figures move, ratios much less, and
``n_jobs=2`` cannot get two cores while other sessions run (see ``bench_extraction.py``).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from _common import (
    MachineLoad,
    balanced_subset,
    cycled,
    emodb_files,
    emotion,
    markdown_table,
    peak_growth,
    wait_for_idle,
)
from bench_extraction import DURATION, FEATURES, HOP, N_FFT, N_MELS, N_MFCC, SR, TOP_DB, seed_clip
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.classifier import SERClassifier
from sklearn_ser.models import ARCHITECTURES

# fitting many models in one process makes TensorFlow warn about retracing: expected here
logging.getLogger("tensorflow").setLevel(logging.ERROR)


def seed_settings_transformer() -> AudioFeatureTransformer:
    """The transformer at the seed's settings; zero padding, as ``librosa.util.fix_length``."""
    return AudioFeatureTransformer(sr=SR, duration=DURATION, top_db=TOP_DB, features=FEATURES,
                                   n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, n_mfcc=N_MFCC,
                                   pad_mode="constant")


def fit_pipeline(transformer, arch, paths, epochs) -> Pipeline:
    pipe = Pipeline([("features", transformer),
                     ("clf", SERClassifier(arch=arch, epochs=epochs, random_state=0))])
    return pipe.fit(paths, [emotion(p) for p in paths])


def naive_features(path, rng) -> np.ndarray:
    """The seed's clean-clip features, ``(1, n_frames, n_features)`` float32."""
    return seed_clip(path, rng, 0)


def _timed(func, *args):
    start = time.perf_counter()
    out = func(*args)
    return time.perf_counter() - start, out


def latency(pipe, pipe_default, path, repeats):
    """Median milliseconds of each contender and part for one clip, alternating call by call."""
    aft, clf = pipe.named_steps["features"], pipe.named_steps["clf"]
    model = clf.model_
    rng = np.random.default_rng(0)
    x_library, x_naive = aft.transform([path]), naive_features(path, rng)
    contenders = {
        "library": lambda: pipe.predict_proba([path]),
        "library features": lambda: aft.transform([path]),
        "library model": lambda: clf.predict_proba(x_library),
        "naive": lambda: model.predict(naive_features(path, rng), verbose=0),
        "naive features": lambda: naive_features(path, rng),
        "naive model": lambda: model.predict(x_naive, verbose=0),
        "library, own defaults": lambda: pipe_default.predict_proba([path]),
    }
    for func in contenders.values():  # warm-up: tracing, librosa's lazy imports and caches
        for _ in range(3):
            func()
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, func in contenders.items():
            times[name].append(_timed(func)[0])
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def batch(pipe, paths, naive):
    """Seconds of each contender on ``paths``; ``naive`` = (feature seconds, features).

    Keras traces its predict function again for the second batch shape it sees (then
    generalises the batch axis), so each model is first called once on the same array: the
    figures are steady state, and that one-off cost is returned as "first call extra".
    """
    aft, clf = pipe.named_steps["features"], pipe.named_steps["clf"]
    out = {}
    pipe.set_params(features__n_jobs=1)
    out["library features"], X = _timed(aft.transform, paths)
    first, _ = _timed(clf.predict_proba, X)
    out["library model"], _ = _timed(clf.predict_proba, X)
    out["first call extra"] = first - out["library model"]
    out["library n_jobs=1"], _ = _timed(pipe.predict_proba, paths)
    pipe.set_params(features__n_jobs=2)
    pipe.predict_proba(paths[:4])  # starts the workers (joblib keeps them for the next call)
    out["library n_jobs=2"], _ = _timed(pipe.predict_proba, paths)
    pipe.set_params(features__n_jobs=1)
    feature_s, feats = naive
    clf.model_.predict(feats, verbose=0)
    out["naive features"] = feature_s
    out["naive model"], _ = _timed(lambda: clf.model_.predict(feats, verbose=0))
    out["naive"] = out["naive features"] + out["naive model"]
    return out


def naive_batch_features(paths, n_clips):
    """Seed features of ``len(paths)`` clips: computed on the first ``n_clips``, the time
    scaled to all (cost per clip is constant, see ``bench_extraction.py``), the array cycled."""
    rng = np.random.default_rng(0)
    naive_features(paths[0], rng)  # warm-up
    subset = paths[:n_clips]
    seconds, feats = _timed(lambda: np.concatenate([naive_features(p, rng) for p in subset]))
    feats = feats[np.arange(len(paths)) % len(subset)]
    return seconds * len(paths) / len(subset), feats


def growth(pipe, files, sizes):
    rows = []
    for size in sizes:
        paths = cycled(files, size)
        for jobs in (1, 2):
            pipe.set_params(features__n_jobs=jobs)
            if jobs == 2:
                pipe.predict_proba(paths[:4])  # warm workers
            (seconds, proba), grown = peak_growth(_timed, pipe.predict_proba, paths)
            n_frames, n_features = pipe.named_steps["clf"].input_shape_
            rows.append([size, jobs, f"{seconds:.1f}", f"{size / seconds:.1f}",
                         f"{size * n_frames * n_features * 4 / 2**20:.0f}", f"{grown:.0f}",
                         f"{os.getloadavg()[0]:.1f}"])
            print("  " + " | ".join(str(c) for c in rows[-1]), file=sys.stderr, flush=True)
            del proba
    pipe.set_params(features__n_jobs=1)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=list(ARCHITECTURES),
                        choices=list(ARCHITECTURES))
    parser.add_argument("--fit-per-class", type=int, default=6,
                        help="EmoDB clips per emotion to fit each pipeline on (default 6)")
    parser.add_argument("--epochs", type=int, default=1, help="training epochs (default 1)")
    parser.add_argument("--repeats", type=int, default=30,
                        help="calls per contender for the one-clip latency (default 30)")
    parser.add_argument("--n-batch", type=int, default=1000,
                        help="clips of the batch throughput (default 1000)")
    parser.add_argument("--naive-clips", type=int, default=None,
                        help="clips the naive batch features are computed on, scaled to "
                             "--n-batch (default: all of them)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000],
                        help="clips of the growth table (default 100 500 2000)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the growth table")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: fits on 3 clips per emotion, 5 repeats, 40-clip batch, "
                             "growth at 20 and 60 clips")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help="before each architecture, wait up to SECONDS for the cores to be "
                             "90%% idle")
    args = parser.parse_args()
    if args.quick:
        args.fit_per_class, args.repeats, args.n_batch, args.sizes = 3, 5, 40, [20, 60]
    files = emodb_files()
    train = balanced_subset(files, args.fit_per_class)
    clip = files[0]
    paths = cycled(files, args.n_batch)
    load = MachineLoad()

    print(f"Naive features of {args.naive_clips or args.n_batch} clips ...", file=sys.stderr,
          flush=True)
    naive = naive_batch_features(paths, args.naive_clips or args.n_batch)
    naive_load = os.getloadavg()[0]
    latency_rows, batch_rows, pipes = [], [], {}
    for arch in args.archs:
        if args.wait_idle:
            wait_for_idle(args.wait_idle)
        print(f"{arch}: fitting ...", file=sys.stderr, flush=True)
        pipe = fit_pipeline(seed_settings_transformer(), arch, train, args.epochs)
        pipe_default = fit_pipeline(AudioFeatureTransformer(), arch, train, args.epochs)
        pipes[arch] = pipe
        load = os.getloadavg()[0]
        ms = latency(pipe, pipe_default, clip, args.repeats)
        speedup = ms["naive"] / ms["library"]
        latency_rows.append([
            arch, f"**{ms['library']:.1f}**",
            f"{ms['library features']:.1f} + {ms['library model']:.1f}",
            f"{ms['naive']:.1f}", f"{ms['naive features']:.1f} + {ms['naive model']:.1f}",
            f"**{speedup:.1f}x**", "yes" if speedup >= 2 else "**no**",
            f"{ms['library, own defaults']:.1f}",
            f"{load:.1f} / {os.getloadavg()[0]:.1f}"])
        print("  " + " | ".join(latency_rows[-1]), file=sys.stderr, flush=True)
        load = os.getloadavg()[0]
        sec = batch(pipe, paths, naive)
        n = len(paths)
        batch_rows.append([
            arch, f"**{n / sec['library n_jobs=1']:.1f}**", f"{n / sec['library n_jobs=2']:.1f}",
            f"{sec['library features']:.1f} + {sec['library model']:.1f}",
            f"{n / sec['naive']:.1f}", f"{sec['naive features']:.1f} + {sec['naive model']:.1f}",
            f"**{sec['naive'] / sec['library n_jobs=1']:.1f}x**",
            f"{sec['first call extra']:.2f}",
            f"{load:.1f} / {os.getloadavg()[0]:.1f}"])
        print("  " + " | ".join(batch_rows[-1]), file=sys.stderr, flush=True)
        del pipe_default
        gc.collect()
    growth_rows = None
    default_arch = SERClassifier().arch
    if not args.no_scaling and default_arch in pipes:
        print("Growth ...", file=sys.stderr, flush=True)
        growth_rows = growth(pipes[default_arch], files, args.sizes)
    load.stop()

    n_frames, n_features = next(iter(pipes.values())).named_steps["clf"].input_shape_
    print("\n".join(load.lines(("numpy", "scikit-learn", "keras", "tensorflow", "scikeras",
                                "librosa", "soundfile", "soxr", "joblib"))))
    print(f"pipelines: seed settings ({SR} Hz, {DURATION} s, n_fft {N_FFT}, hop {HOP}, "
          f"{'+'.join(FEATURES)}: {n_frames} frames x {n_features} features) + "
          f"SERClassifier(arch, epochs={args.epochs}, random_state=0), fitted on {len(train)} "
          f"EmoDB clips; EmoDB clips are 2 s, padded to 3 s by both paths")
    print(f"\nOne clip ({os.path.basename(clip)}), path -> probabilities, median of "
          f"{args.repeats} calls per contender (milliseconds)")
    print(markdown_table(
        ["architecture", "library ms", "= features + model", "naive ms", "= features + model",
         "speedup", ">= 2x", "library, own default features ms",
         "load before / after"], latency_rows))
    print("library: pipe.predict_proba([path]); its parts: transformer.transform([path]) and "
          "SERClassifier.predict_proba(x). naive: bench_extraction.seed_clip (librosa) + "
          "model_.predict(x). own default features: AudioFeatureTransformer() + the same "
          "classifier settings.")
    print(f"\nBatch: {len(paths)} EmoDB paths (535 files cycled), path -> probabilities "
          "(clips/s; parts in seconds)")
    print(markdown_table(
        ["architecture", "library n_jobs=1", "library n_jobs=2 (warm)",
         "library s = features + model", "naive", "naive s = features + model",
         "speedup (n_jobs=1)", "first call extra s", "load before / after"], batch_rows))
    naive_n = args.naive_clips or args.n_batch
    scaled = f", measured on {naive_n} clips and scaled" if naive_n < len(paths) else ""
    print(f"naive features: computed once for all architectures ({naive[0]:.1f} s for "
          f"{len(paths)} clips{scaled}; load {naive_load:.1f}), then model_.predict of the "
          f"stacked array per architecture. n_jobs=2 on a shared machine: the kernel shares "
          f"the cores between sessions, so it cannot get two while others run.")
    if growth_rows:
        print(f"\nGrowth: pipe.predict_proba(paths), arch={default_arch!r}, seed settings")
        print(markdown_table(["clips", "n_jobs", "seconds", "clips/s", "features MB",
                              "peak RSS added MB", "load"], growth_rows))
        print("peak RSS added: peak resident memory of this process during the call minus "
              "before it (for n_jobs=2 the workers' memory is not included).")


if __name__ == "__main__":
    main()
