"""Training speed of each architecture: SERClassifier vs plain keras.Model.fit, and its growth.

Run from the project root::

    python benchmarks/bench_training.py            # full run: ~10 min on 2 cores
    python benchmarks/bench_training.py --quick    # smoke run: ~2 min
    python benchmarks/bench_training.py --archs cnn cnn_gru --repeats 5 --no-scaling

1. **Head to head** (issue 6, target 3: SERClassifier's samples/s within 10% of plain Keras),
   per architecture. ``SERClassifier(arch=..., epochs=..., random_state=0)`` is fitted with
   all its other parameters at their defaults, whatever they are (batch size, class weights,
   learning-rate schedule, clip centring, validation split...). The benchmark records the
   arguments the classifier passes to ``keras.Model.fit`` (the unrolled training rows,
   targets, sample weights, validation data, batch size, shuffling) and replays exactly that
   call on plain Keras: ``keras.models.clone_model`` of the fitted network, compiled with
   the arguments of its compile config (same optimizer and learning-rate schedule, loss,
   metrics, jit and steps-per-execution settings). The plain side does not get the
   callbacks the classifier adds (early stopping, learning-rate reduction): those are the
   wrapper's, so their cost counts against it.

   Figures are the steady-state throughput, training rows per second in the epochs after
   the first; the first epoch's extra time is graph tracing, reported separately. The
   contenders alternate (W P P W W P ...), ``--repeats`` fits each, and the fastest steady
   epoch of each is kept, which filters out the slowdowns of a shared machine; the ratio of
   the median epochs of back-to-back fits is printed too, and the ratio of the CPU time per
   epoch (all threads), which measures the work and hardly moves with other jobs: the
   verdict on the target uses it, because on a busy machine the wall clock of identical
   epochs varies up to 3x. "End to end" also counts
   everything around the epochs: for the classifier input validation, the standardisation
   statistics, building and compiling; for plain Keras the clone and compile.
2. **Growth** (target 5) of the default architecture's training cost with the corpus size
   (``--sizes`` clips) and the number of views per clip (``--views``): fit seconds,
   steady samples/s and the peak memory the fit adds, against the size of the input.

Random features and labels (speed does not depend on what is learned), shaped as
``AudioFeatureTransformer()`` with its defaults would produce them for one clip unless
``--n-frames``/``--n-features`` say otherwise. Set ``TF_CPP_MIN_LOG_LEVEL=2`` (the default
here) to quiet TensorFlow.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from _common import MachineLoad, markdown_table, peak_growth, wait_for_idle

from sklearn_ser import AudioFeatureTransformer
from sklearn_ser.classifier import SERClassifier
from sklearn_ser.models import ARCHITECTURES

# fitting many models in one process makes TensorFlow warn about retracing: expected here
logging.getLogger("tensorflow").setLevel(logging.ERROR)


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock and CPU seconds (all threads of the process) of each training epoch."""

    def __init__(self):
        super().__init__()
        self.seconds, self.cpu_seconds = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._cpu = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        self.cpu_seconds.append(time.process_time() - self._cpu)


@contextlib.contextmanager
def recording_fit():
    """Record the arguments of every ``keras.Model.fit`` call inside the block.

    The benchmark reads what SERClassifier really hands to Keras instead of re-deriving it,
    so the plain-Keras contender stays identical when the classifier's defaults change. The
    record also holds the wall-clock time of entering and leaving Keras's fit, which splits
    the classifier's own work (before and after) from the training loop.
    """
    calls = []
    original = keras.Model.fit

    def fit(model, *args, **kwargs):
        call = {"model": model, "args": args, "kwargs": kwargs, "enter": time.perf_counter()}
        try:
            return original(model, *args, **kwargs)
        finally:
            call["exit"] = time.perf_counter()
            calls.append(call)

    keras.Model.fit = fit
    try:
        yield calls
    finally:
        keras.Model.fit = original


def _steady(n_rows, seconds):
    """Samples/s over the epochs after the first (median), and the first epoch's extra time."""
    steady = statistics.median(seconds[1:])
    return n_rows / steady, seconds[0] - steady


def fit_wrapper(arch, X, y, epochs):
    """Fit a SERClassifier with its defaults; its figures and the recorded Keras fit call."""
    timer = EpochTimer()
    clf = SERClassifier(arch=arch, epochs=epochs, random_state=0, callbacks=[timer])
    with recording_fit() as calls:
        start = time.perf_counter()
        clf.fit(X, y)
        end = time.perf_counter()
    (call,) = calls
    n_rows, _ = _rows(call["args"][0])
    samples_s, tracing = _steady(n_rows, timer.seconds)
    return clf, call, {
        "samples_s": samples_s, "tracing_s": tracing, "n_rows": n_rows,
        "steady_s": timer.seconds[1:], "steady_cpu_s": timer.cpu_seconds[1:],
        "setup_s": call["enter"] - start + end - call["exit"],
        "total_s": end - start, "epochs": len(timer.seconds),
        "end_to_end": n_rows * len(timer.seconds) / (end - start),
    }


def _rows(x) -> tuple[int, tuple]:
    """Training rows of an epoch and the shape of one row, for an array or the classifier's
    batches (a ``keras.utils.PyDataset`` of sampled views, whose ``len`` counts batches)."""
    if hasattr(x, "n_rows"):
        return x.n_rows, tuple(x.X.shape[2:])
    return len(x), tuple(x.shape[1:])


def fit_plain(clf, call):
    """Replay the classifier's ``Model.fit`` call on a clone of its network, plain Keras."""
    timer = EpochTimer()
    start = time.perf_counter()
    model = keras.models.clone_model(clf.model_)
    # compile() with the classifier's deserialised compile arguments, as a Keras user would.
    # Not compile_from_config: it also builds the optimizer's variables at once, which
    # moves ~1 s of the first epoch's work out of fit and flatters the plain side.
    compiled = keras.saving.deserialize_keras_object(clf.model_.get_compile_config())
    model.compile(**compiled)
    kwargs = {**call["kwargs"], "callbacks": [timer], "verbose": 0}
    setup = time.perf_counter() - start
    model.fit(*call["args"], **kwargs)
    total = time.perf_counter() - start
    n_rows, _ = _rows(call["args"][0])
    samples_s, tracing = _steady(n_rows, timer.seconds)
    return {"samples_s": samples_s, "tracing_s": tracing, "n_rows": n_rows,
            "steady_s": timer.seconds[1:], "steady_cpu_s": timer.cpu_seconds[1:],
            "setup_s": setup, "total_s": total, "epochs": len(timer.seconds),
            "end_to_end": n_rows * len(timer.seconds) / total}


def describe_call(clf, call) -> str:
    """What the classifier handed to Keras (so the reader sees what both sides trained)."""
    kwargs = call["kwargs"]
    n_rows, row_shape = _rows(call["args"][0])
    weights = kwargs.get("sample_weight")
    val = kwargs.get("validation_data")
    callbacks = [type(c).__name__ for c in kwargs.get("callbacks") or []
                 if not isinstance(c, EpochTimer)]
    optimizer = clf.model_.optimizer
    rate = optimizer._learning_rate  # the schedule object, or a variable for a constant rate
    rate = (type(rate).__name__ if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule)
            else f"constant {float(optimizer.learning_rate):g}")
    layers = [layer.name for layer in clf.model_.layers[1:3]]
    return (f"{n_rows} training rows {row_shape}, batch_size "
            f"{kwargs.get('batch_size')}, sample weights "
            f"{'yes' if weights is not None else 'no'}, validation rows "
            f"{len(val[0]) if val is not None else 0}, shuffle {kwargs.get('shuffle', True)}; "
            f"optimizer {type(optimizer).__name__} ({rate}); first layers {layers}; "
            f"classifier's own callbacks (not given to plain Keras): {callbacks or 'none'}")


def head_to_head(args, X, y):
    """Per architecture: alternate the two contenders ``repeats`` times, keep the best."""
    rows, described = [], None
    for arch in args.archs:
        if args.wait_idle:
            wait_for_idle(args.wait_idle)
        load_before = os.getloadavg()[0]
        wrapper_runs, plain_runs = [], []
        clf = call = None
        for r in range(args.repeats):
            # ABBA order, so a slow drift of the machine's load favours neither side; the
            # first fit must be the classifier's, whose call the plain side replays
            for side in ("W", "P") if r % 2 == 0 else ("P", "W"):
                if side == "W":
                    clf, call, figures = fit_wrapper(arch, X, y, args.epochs)
                    wrapper_runs.append(figures)
                else:
                    plain_runs.append(fit_plain(clf, call))
        described = described or describe_call(clf, call)
        n_params = sum(int(np.prod(w.shape)) for w in clf.model_.trainable_weights)
        n_rows = wrapper_runs[0]["n_rows"]
        # every steady epoch of every run: the fastest is the least disturbed by other jobs
        epochs_w = [s for run in wrapper_runs for s in run["steady_s"]]
        epochs_p = [s for run in plain_runs for s in run["steady_s"]]
        best_w, best_p = n_rows / min(epochs_w), n_rows / min(epochs_p)
        # ratio of the median epochs within each W/P pair of fits (which ran back to back,
        # so a change of the machine's load between pairs cancels), median over the pairs
        paired_ratio = statistics.median(
            statistics.median(p["steady_s"]) / statistics.median(w["steady_s"])
            for w, p in zip(wrapper_runs, plain_runs))
        # CPU seconds per epoch (all threads) measure the work itself: other sessions' jobs
        # stretch the wall clock of identical epochs by up to 3x here, their CPU time by ~5%
        cpu_ratio = (statistics.median(s for run in plain_runs for s in run["steady_cpu_s"])
                     / statistics.median(s for run in wrapper_runs
                                         for s in run["steady_cpu_s"]))
        e2e_ratio = (max(run["end_to_end"] for run in wrapper_runs)
                     / max(run["end_to_end"] for run in plain_runs))
        ratio = best_w / best_p
        row = [arch, f"{n_params:,}", f"{best_w:.0f}", f"{best_p:.0f}", f"**{ratio:.2f}**",
               f"{paired_ratio:.2f}", f"**{cpu_ratio:.2f}**",
               "yes" if cpu_ratio >= 0.9 else "**no**",
               f"{min(run['tracing_s'] for run in wrapper_runs):.1f}",
               f"{min(run['tracing_s'] for run in plain_runs):.1f}",
               f"{min(run['setup_s'] for run in wrapper_runs):.2f}",
               f"{min(run['setup_s'] for run in plain_runs):.2f}",
               f"{e2e_ratio:.2f}", f"{load_before:.1f} / {os.getloadavg()[0]:.1f}"]
        rows.append(row)
        print("  " + " | ".join(row), file=sys.stderr, flush=True)
        del clf, call, wrapper_runs, plain_runs
        keras.backend.clear_session()
        gc.collect()
    return rows, described


def growth(args, n_frames, n_features):
    """The default architecture's fit cost at each corpus size and number of views."""
    arch = SERClassifier().arch
    rng = np.random.default_rng(1)
    rows = []
    for n_clips in args.sizes:
        for n_views in args.views:
            if args.wait_idle:
                wait_for_idle(args.wait_idle)
            shape = (n_clips, n_views, n_frames, n_features) if n_views > 1 else (
                n_clips, n_frames, n_features)
            X = rng.standard_normal(shape, dtype=np.float32)
            y = rng.integers(0, args.n_classes, size=n_clips)
            (_, _, figures), grown = peak_growth(fit_wrapper, arch, X, y, args.growth_epochs)
            n_rows = n_clips * n_views
            rows.append([n_clips, n_views, n_rows, f"{figures['total_s']:.1f}",
                         f"{figures['samples_s']:.0f}", f"{figures['tracing_s']:.1f}",
                         f"{figures['setup_s']:.2f}", f"{X.nbytes / 2**20:.0f}",
                         f"{grown:.0f}", f"{os.getloadavg()[0]:.1f}"])
            print("  " + " | ".join(str(c) for c in rows[-1]), file=sys.stderr, flush=True)
            del X
            keras.backend.clear_session()
            gc.collect()
    return arch, rows


def default_shape():
    """``(n_frames, n_features)`` of one clip through ``AudioFeatureTransformer()``."""
    aft = AudioFeatureTransformer().fit([np.zeros(16000, dtype=np.float32)])
    return aft.n_frames_, len(aft.feature_names_out_)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=list(ARCHITECTURES),
                        choices=list(ARCHITECTURES))
    parser.add_argument("--n-clips", type=int, default=256,
                        help="clips of the head to head (default 256)")
    parser.add_argument("--n-views", type=int, default=4,
                        help="views per clip of the head to head, unrolled into training rows "
                             "by the classifier (default 4: 1024 rows)")
    parser.add_argument("--n-frames", type=int, default=None,
                        help="default: AudioFeatureTransformer()'s frames per clip")
    parser.add_argument("--n-features", type=int, default=None,
                        help="default: AudioFeatureTransformer()'s features")
    parser.add_argument("--n-classes", type=int, default=7, help="default 7, as EmoDB")
    parser.add_argument("--epochs", type=int, default=6,
                        help="at least 2: the first is the warm-up (default 6)")
    parser.add_argument("--repeats", type=int, default=4,
                        help="fits of each contender, alternating (default 4)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000],
                        help="corpus sizes of the growth table (default 100 500 2000)")
    parser.add_argument("--views", type=int, nargs="+", default=[1, 6],
                        help="views per clip of the growth table (default 1 6)")
    parser.add_argument("--growth-epochs", type=int, default=3,
                        help="epochs of each growth fit (default 3)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the growth table")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 32 clips x 2 views, 2 epochs, 1 repeat, growth at 20 "
                             "and 40 clips x 1 and 2 views")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help="before each architecture and growth row, wait up to SECONDS for "
                             "the cores to be 90%% idle")
    args = parser.parse_args()
    if args.quick:
        args.n_clips, args.n_views, args.epochs, args.repeats = 32, 2, 2, 1
        args.sizes, args.views, args.growth_epochs = [20, 40], [1, 2], 2
    if min(args.epochs, args.growth_epochs) < 2:
        parser.error("--epochs and --growth-epochs must be at least 2 (the first epoch is the "
                     "warm-up)")
    frames, features = default_shape()
    n_frames, n_features = args.n_frames or frames, args.n_features or features

    rng = np.random.default_rng(0)
    shape = (args.n_clips, args.n_views, n_frames, n_features) if args.n_views > 1 else (
        args.n_clips, n_frames, n_features)
    X = rng.standard_normal(shape, dtype=np.float32)
    y = rng.integers(0, args.n_classes, size=args.n_clips)
    load = MachineLoad()
    print(f"Head to head: {args.n_clips} clips x {args.n_views} views x {n_frames} frames x "
          f"{n_features} features, {args.n_classes} classes, {args.epochs} epochs, "
          f"{args.repeats} fit(s) each ...", file=sys.stderr, flush=True)
    rows, described = head_to_head(args, X, y)
    del X
    growth_rows = None
    if not args.no_scaling:
        print("Growth ...", file=sys.stderr, flush=True)
        arch, growth_rows = growth(args, n_frames, n_features)
    load.stop()

    print("\n".join(load.lines()))
    print(f"\nHead to head: {args.n_clips} clips x {args.n_views} views x {n_frames} frames x "
          f"{n_features} features (random), {args.n_classes} classes, {args.epochs} epochs, "
          f"{args.repeats} fit(s) per contender, alternating")
    print(f"SERClassifier defaults handed Keras: {described}")
    print(markdown_table(
        ["architecture", "params", "SERClassifier samples/s", "keras fit samples/s",
         "ratio (fastest epochs)", "ratio (paired median epochs)", "ratio (CPU per epoch)",
         "CPU ratio >= 0.90", "tracing s (SER)", "tracing s (keras)", "set-up s (SER)",
         "set-up s (keras)", "end-to-end ratio", "load before / after"], rows))
    print("samples/s: training rows per second in the fastest epoch after the first, over "
          "all fits (the least disturbed by other jobs). Ratios are SERClassifier / keras "
          "throughput: of the fastest epochs; of the median epochs of each back-to-back pair "
          "of fits (median over pairs); of the median CPU seconds (all threads) per epoch, the "
          "work itself, which other sessions' jobs hardly move (on a busy machine the wall "
          "clock of identical epochs varies up to 3x; on idle cores wall and CPU ratios "
          "coincide). tracing: the first epoch's extra time over the median epoch, "
          "best fit. set-up: SER = its work outside Model.fit (validation, statistics, build, "
          "compile); keras = clone + compile. end-to-end ratio: rows x epochs / whole fit "
          "time, best fit of each.")
    if growth_rows:
        print(f"\nGrowth: SERClassifier(arch={arch!r}) with its defaults, {args.growth_epochs} "
              f"epochs, random {n_frames} x {n_features} features")
        print(markdown_table(
            ["clips", "views", "training rows", "fit s", "samples/s", "tracing s",
             "set-up s", "input MB", "peak RSS added by fit MB", "load"], growth_rows))
        print("peak RSS added by fit: peak resident memory during fit minus the resident "
              "memory before it (input already allocated).")


if __name__ == "__main__":
    main()
