"""Across corpora: trained on every clip of one corpus, tested on every clip of another.

Both corpora are reduced to the emotions they share (the loaders' harmonised labels), the
model is fitted on the whole ``--train`` corpus and scored, as UAR, on ``--test``'s clean
clips. Models:

- ``deep``: ``SERClassifier`` with ``--candidate`` (``views_per_epoch:epochs``) on the cached
  default views (:func:`harness.cached_views`);
- ``logreg``, ``svc``: the classic anchor on cached openSMILE functionals
  (``--feature-set``, default ComParE_2016), as in ``classic_features.py``.

Remedies for the gap between corpora, applied to training and test features alike:

- ``--per-corpus``: standardise each corpus on its own clips (the test corpus's labels are
  not used): what a user can do with a folder of unlabelled recordings from one source;
- ``--floor-db F`` (deep): raise each view's log-mel floor to F dB below its loudest cell,
  what ``AudioFeatureTransformer(mel_top_db=F)`` computes;
- ``--clip-scale`` (deep): divide each view's centred log-mel by its own standard deviation.

    python benchmarks/accuracy/loco.py --train crema_d --test emodb --model logreg --per-corpus
    python benchmarks/accuracy/loco.py --train crema_d --test emodb --candidate 1:8 --per-corpus
    python benchmarks/accuracy/loco.py --train emodb --test crema_d --candidate all:25 \\
        --floor-db 50
    python benchmarks/accuracy/loco.py --train emodb --test tess --speakers 2 --max-clips 40 \\
        --candidate 1:1                                                     # a tiny proof run

``--speakers`` and ``--max-clips`` cut down both corpora. Appends one record per run to
``results/loco.jsonl``.
"""

from __future__ import annotations

import time

import harness
import numpy as np

from sklearn_ser import SERClassifier
from sklearn_ser.datasets import COMMON_EMOTIONS


def remedy(X, *, per_corpus, floor_db=None, clip_scale=False, stats=None):
    """Features with the chosen remedies; ``stats`` standardise, per corpus, the deep views."""
    X = np.asarray(X, dtype=np.float32)
    if floor_db is not None:
        X = np.maximum(X, X.max(axis=(-2, -1), keepdims=True) - np.float32(floor_db))
    if clip_scale:
        centred = X - X.mean(axis=-2, keepdims=True)
        X = centred / (centred.std(axis=(-2, -1), keepdims=True) + np.float32(1e-3))
    if per_corpus:
        flat = (stats if stats is not None else X).reshape(-1, X.shape[-1])
        X = (X - flat.mean(axis=0)) / (flat.std(axis=0) + 1e-6)
    return X.astype(np.float32)


def features(data, args):
    """(training or test features, whose clean view is [:, 0] for the deep model)."""
    if args.model == "deep":
        return harness.cached_views(data, args.n_jobs)
    return harness.cached_functionals(data, args.feature_set, args.n_jobs)


def main():
    p = harness.parser(__doc__.splitlines()[0])
    p.add_argument("--train", choices=harness.CORPORA, default="crema_d")
    p.add_argument("--test", choices=harness.CORPORA, default="emodb")
    p.add_argument("--model", choices=("deep", "logreg", "svc"), default="deep")
    p.add_argument("--candidate", default="1:8", help="deep: views_per_epoch:epochs")
    p.add_argument("--feature-set", default="ComParE_2016", help="logreg, svc: openSMILE set")
    p.add_argument("--per-corpus", action="store_true")
    p.add_argument("--floor-db", type=float, default=None)
    p.add_argument("--clip-scale", action="store_true")
    args = p.parse_args()
    if args.model != "deep" and (args.floor_db is not None or args.clip_scale):
        p.error("--floor-db and --clip-scale change log-mel views: --model deep only")
    train, test = (harness.load(name, speakers=args.speakers, max_clips=args.max_clips,
                                emotions=COMMON_EMOTIONS) for name in (args.train, args.test))
    settings = {"per_corpus": args.per_corpus, "floor_db": args.floor_db,
                "clip_scale": args.clip_scale}
    X_tr, X_te = features(train, args), features(test, args)
    start = time.perf_counter()
    if args.model == "deep":
        params = {**harness.parse_candidate(args.candidate),
                  **harness.literal_params(p, "--param", args.param)}
        # each corpus standardised by the frames of its own clean views
        X_tr = remedy(X_tr, **settings, stats=remedy(X_tr[:, 0], per_corpus=False,
                                                     floor_db=args.floor_db,
                                                     clip_scale=args.clip_scale))
        X_te = remedy(X_te[:, 0], **settings)
        model = SERClassifier(random_state=args.seed, **params)
        params = {"model": "deep", "candidate": args.candidate, "seed": args.seed, **params}
    else:
        from classic_features import classic

        X_tr, X_te = (remedy(X, per_corpus=args.per_corpus) for X in (X_tr, X_te))
        model = classic(args.feature_set, args.model)
        params = {"model": args.model, "feature_set": args.feature_set}
    pred = model.fit(X_tr, train.y).predict(X_te)
    harness.Study("loco").record(
        corpus={"train": harness.describe(train), "test": harness.describe(test)},
        cv=f"train {args.train} -> test {args.test}, common emotions",
        params={**params, **settings}, uar=[harness.uar(test.y, pred)],
        times={"fit_predict_s": time.perf_counter() - start},
        extra={"accuracy": round(float(np.mean(pred == test.y)), 4)})


if __name__ == "__main__":
    main()
