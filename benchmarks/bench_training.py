"""Size and training speed of each architecture, through SERClassifier and through plain Keras.

Run from the project root::

    python benchmarks/bench_training.py                       # 512 x 94 x 40, 3 epochs
    python benchmarks/bench_training.py --archs cnn cnn_gru --epochs 5 --n-features 20

For every architecture (default hyperparameters) it prints the trainable parameter count and
the training throughput in samples per second, the median over the epochs after the first (the
first includes TensorFlow's graph tracing, reported separately as set-up time). The same
arrays are then trained with a plain ``keras.Model.fit`` on the same network (Normalization
layer + architecture, same optimizer, loss and batch size), so the cost of the scikit-learn
wrapper is visible. The last columns give the latency of predicting one clip, with
``SERClassifier.predict_proba`` and with ``keras.Model.predict``. The two trainings alternate
``--repeats`` times and the best figure of each is kept, which filters out the slowdowns of a
shared machine.

Random features, random labels: speed does not depend on what is learned. Set
TF_CPP_MIN_LOG_LEVEL=2 to quiet TensorFlow.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from sklearn_ser.classifier import SERClassifier
from sklearn_ser.models import ARCHITECTURES, get_builder


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of each training epoch."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def _throughput(n_rows, timer):
    """Samples/s over the epochs after the first, and the extra time of the first epoch."""
    steady = statistics.median(timer.seconds[1:])
    return n_rows / steady, timer.seconds[0] - steady


def _latency_ms(func, x, repeats=20):
    func(x)  # warm-up: traces the predict function
    start = time.perf_counter()
    for _ in range(repeats):
        func(x)
    return (time.perf_counter() - start) / repeats * 1000


def bench_wrapper(arch, X, y, epochs, batch_size):
    timer = EpochTimer()
    clf = SERClassifier(arch=arch, epochs=epochs, batch_size=batch_size, random_state=0,
                        validation_fraction=None, early_stopping=False,
                        reduce_lr_patience=None, callbacks=[timer])
    start = time.perf_counter()
    clf.fit(X, y)
    fit_seconds = time.perf_counter() - start
    n_params = sum(int(np.prod(w.shape)) for w in clf.model_.trainable_weights)
    samples_s, first_extra = _throughput(len(X), timer)
    setup = fit_seconds - sum(timer.seconds) + first_extra
    latency = _latency_ms(clf.predict_proba, X[:1])
    return n_params, samples_s, setup, latency


def bench_keras(arch, X, y, epochs, batch_size):
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=X.shape[1:])
    x = keras.layers.Normalization(axis=-1, mean=X.mean(axis=(0, 1)),
                                   variance=X.var(axis=(0, 1)))(inputs)
    model = keras.Model(inputs, get_builder(arch)(X.shape[1:], int(y.max()) + 1)(x))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    timer = EpochTimer()
    model.fit(X, y, epochs=epochs, batch_size=batch_size, callbacks=[timer], verbose=0)
    samples_s, _ = _throughput(len(X), timer)
    latency = _latency_ms(lambda a: model.predict(a, verbose=0), X[:1])
    return samples_s, latency


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=list(ARCHITECTURES),
                        choices=list(ARCHITECTURES))
    parser.add_argument("--n-samples", type=int, default=512)
    parser.add_argument("--n-frames", type=int, default=94)
    parser.add_argument("--n-features", type=int, default=40)
    parser.add_argument("--n-classes", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=3, help="at least 2: the first warms up")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch is the warm-up)")

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n_samples, args.n_frames, args.n_features)).astype(np.float32)
    y = rng.integers(0, args.n_classes, size=args.n_samples)
    print(f"{args.n_samples} samples x {args.n_frames} frames x {args.n_features} features, "
          f"{args.n_classes} classes, batch {args.batch_size}, {args.epochs} epochs, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    header = (f"{'architecture':<28} {'params':>8} {'samples/s':>10} {'keras fit':>10} "
              f"{'set-up s':>9} {'1 clip ms':>10} {'keras ms':>9}")
    print(header)
    print("-" * len(header))
    for arch in args.archs:
        wrapper_runs, keras_runs = [], []
        for _ in range(args.repeats):
            wrapper_runs.append(bench_wrapper(arch, X, y, args.epochs, args.batch_size))
            keras_runs.append(bench_keras(arch, X, y, args.epochs, args.batch_size))
        n_params = wrapper_runs[0][0]
        samples_s = max(run[1] for run in wrapper_runs)
        setup = min(run[2] for run in wrapper_runs)
        latency = min(run[3] for run in wrapper_runs)
        keras_samples_s = max(run[0] for run in keras_runs)
        keras_latency = min(run[1] for run in keras_runs)
        print(f"{arch:<28} {n_params:>8,} {samples_s:>10.0f} {keras_samples_s:>10.0f} "
              f"{setup:>9.1f} {latency:>10.1f} {keras_latency:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
