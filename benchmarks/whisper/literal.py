"""The recipe as a user runs it: cross_validate(recipe(), audio paths), and the pretrained
setting leave-one-corpus-out with and without :func:`sklearn_ser.pretrained.adapt`.

Nothing is cached across runs: every clip is embedded from its file in this process (once:
WhisperTransformer keeps embeddings by clip content, so the folds share them), and the wall
time includes it.

    python benchmarks/whisper/literal.py cv --corpus crema_d
    python benchmarks/whisper/literal.py loco
"""

import argparse
import time

import numpy as np
from _common import SIX, load, record
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold, cross_validate

from sklearn_ser.pretrained import adapt, recipe
from sklearn_ser.pretrained._recipe import RECIPE_C, RECIPE_LAYER

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("study", choices=["cv", "loco"])
p.add_argument("--corpus", default="crema_d")
p.add_argument("--layer", type=int, default=None, help="default: the recipe's")
args = p.parse_args()
params = {} if args.layer is None else {"layer": args.layer}
settings = {"layer": RECIPE_LAYER, "C": RECIPE_C, **params}

start = time.perf_counter()
if args.study == "cv":
    data = load(args.corpus)
    scores = cross_validate(recipe(**params), data.X, data.y, groups=data.groups,
                            cv=GroupKFold(5), scoring="balanced_accuracy")
    wall = time.perf_counter() - start
    uar = scores["test_score"].tolist()
    record("literal_results", study=f"{args.corpus} GroupKFold(5), cross_validate(recipe())",
           params=params, recipe=settings, uar=uar, mean_uar=float(np.mean(uar)),
           wall_s=round(wall), fit_s=[round(t) for t in scores["fit_time"]])
else:
    corpora = {c: load(c) for c in ("crema_d", "tess", "emodb")}
    six = {c: np.isin(d.y, SIX) for c, d in corpora.items()}
    out = {"clip": [], "adapt": [], "adapt_speaker": []}
    for held, test in corpora.items():
        train = [c for c in corpora if c != held]
        X = np.concatenate([np.asarray(corpora[c].X)[six[c]] for c in train])
        y = np.concatenate([np.asarray(corpora[c].y)[six[c]] for c in train])
        model = recipe(**params).fit(X, y)
        Xte, yte = np.asarray(test.X)[six[held]], np.asarray(test.y)[six[held]]
        gte = np.asarray(test.groups)[six[held]]
        out["clip"].append(balanced_accuracy_score(yte, model.predict(Xte)))
        out["adapt"].append(balanced_accuracy_score(yte, adapt(model, Xte).predict(Xte)))
        per = adapt(model, Xte, groups=gte)
        pred = np.empty(len(yte), dtype=object)
        for g, m in per.items():
            pred[gte == g] = m.predict(Xte[gte == g])
        out["adapt_speaker"].append(balanced_accuracy_score(yte, pred.astype(str)))
        print(held, {k: round(v[-1], 3) for k, v in out.items()}, flush=True)
    record("literal_results", study="leave-one-corpus-out (crema_d, tess, emodb), six emotions",
           params=params, recipe=settings, uar=out,
           mean_uar={k: float(np.mean(v)) for k, v in out.items()},
           wall_s=round(time.perf_counter() - start))
