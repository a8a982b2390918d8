"""Seeds of the corpus-scale study: one architecture on Whisper frames, CREMA-D, ``--cv 5``.

Issue 32 judges accuracy by the mean over at least three seeds. ``sklearn-ser compare`` is
seed 0 of every architecture; this script trains one architecture on the same features for
further seeds, each with its own folds (``StratifiedGroupKFold(5, shuffle=True,
random_state=seed)``, as ``compare --random-state seed`` splits) and its own network seed,
and records the per-fold and mean UAR in ``study_seeds.jsonl``::

    python benchmarks/whisper/study_seeds.py --arch cnn_bilstm_bigru_attention --seeds 1 2

The frames are those of ``compare --features whisper``: layer
:data:`~sklearn_ser.defaults.WHISPER_LAYER`, 2-s clips trimmed at 30 dB, computed once by
:class:`~sklearn_ser.WhisperTransformer` and cached (``_common.embeddings``), then averaged
over :data:`~sklearn_ser.defaults.WHISPER_STRIDE` consecutive frames, which is what the
transformer's ``stride`` computes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import embeddings, record
from sklearn.metrics import recall_score

from sklearn_ser import SERClassifier, defaults
from sklearn_ser.cli.compare import whisper_epochs
from sklearn_ser.study._fit import make_splits


def strided(frames: np.ndarray, stride: int) -> np.ndarray:
    n = frames.shape[1] // stride
    return frames[:, :n * stride].reshape(len(frames), n, stride, -1).mean(axis=2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None,
                        help="default: compare's (about WHISPER_STEPS optimiser steps)")
    options = parser.parse_args(argv)
    frames, y, groups = embeddings("crema_d", layer=defaults.WHISPER_LAYER, pooling="none",
                                   duration=defaults.CLIP_DURATION, top_db=defaults.TOP_DB)
    X = strided(frames, defaults.WHISPER_STRIDE)
    del frames
    epochs = options.epochs or whisper_epochs(len(y), options.cv, defaults.BATCH_SIZE)
    for seed in options.seeds:
        start = time.perf_counter()
        folds = []
        for train, test in make_splits(options.cv, y, groups, seed):
            clf = SERClassifier(arch=options.arch, epochs=epochs, random_state=seed)
            clf.fit(X[train], y[train])
            folds.append(recall_score(y[test], clf.predict(X[test]), average="macro"))
        record("study_seeds", arch=options.arch, seed=seed, cv=options.cv,
               epochs=epochs, fold_uar=[round(u, 4) for u in folds],
               uar=round(float(np.mean(folds)), 4),
               wall_s=round(time.perf_counter() - start, 1))


if __name__ == "__main__":
    main()
