"""How the architectures read Whisper's frames: chosen on validation speakers only.

Outer fold 0 of ``compare --cv 5`` (``StratifiedGroupKFold(5, shuffle=True,
random_state=0)`` over CREMA-D's actors) is split again by actor (``StratifiedGroupKFold(5,
shuffle=True, random_state=1)``, its first fold): the networks train on the inner training
actors (4,748 clips) and are scored on the inner validation actors (1,147 clips). No test
actor of any outer fold is looked at. One run per command, appended to
``frame_selection.jsonl``::

    python benchmarks/whisper/frame_selection.py --arch cnn_gru --epochs 10 --centering 1 \
        --stride 4

The frames are layer 3 of the encoder over 2-s clips trimmed at 30 dB
(:class:`~sklearn_ser.WhisperTransformer`, cached by ``_common.embeddings``), averaged over
``--stride`` consecutive frames as the transformer's ``stride`` does.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from _common import embeddings, record
from sklearn.metrics import recall_score
from sklearn.model_selection import StratifiedGroupKFold
from study_seeds import strided

from sklearn_ser import SERClassifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="cnn_gru")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--centering", type=int, choices=(0, 1), default=1,
                        help="SERClassifier's clip_centering")
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extra", default="{}", help="more SERClassifier parameters (JSON)")
    parser.add_argument("--actors", type=int, default=None,
                        help="train on the first N inner training actors only (a small corpus)")
    options = parser.parse_args(argv)
    X, y, groups = embeddings("crema_d", layer=3, pooling="none", duration=2.0, top_db=30.0)
    outer = StratifiedGroupKFold(5, shuffle=True, random_state=0)
    train, _ = next(outer.split(np.zeros(len(y)), y, groups))
    inner = StratifiedGroupKFold(5, shuffle=True, random_state=1)
    fit_rows, val_rows = next(inner.split(np.zeros(len(train)), y[train], groups[train]))
    fit_rows, val_rows = train[fit_rows], train[val_rows]
    if options.actors is not None:
        kept = np.unique(groups[fit_rows])[:options.actors]
        fit_rows = fit_rows[np.isin(groups[fit_rows], kept)]
    clf = SERClassifier(arch=options.arch, epochs=options.epochs, batch_size=options.batch,
                        clip_centering=bool(options.centering), random_state=options.seed,
                        **json.loads(options.extra))
    X_fit, X_val = strided(X[fit_rows], options.stride), strided(X[val_rows], options.stride)
    start = time.perf_counter()
    clf.fit(X_fit, y[fit_rows])
    fit_s = time.perf_counter() - start
    uar = recall_score(y[val_rows], clf.predict(X_val), average="macro")
    record("frame_selection", **vars(options), n_train=len(fit_rows), n_val=len(val_rows),
           val_uar=round(uar, 4), fit_s=round(fit_s, 1))


if __name__ == "__main__":
    main()
