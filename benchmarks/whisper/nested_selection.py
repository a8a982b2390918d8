"""Choose the recipe's layer, head strength and normalisation on held-out training data.

Nested, so that no choice sees a test fold: within a corpus, for each outer
GroupKFold(5) fold the candidates are ranked by an inner GroupKFold(3) over the training
speakers only; leave-one-corpus-out, by leaving out each of the two training corpora in turn.
The outer score of the chosen candidate is reported beside each candidate's outer score
(the latter for information: choosing by it would be choosing on test folds).

    python benchmarks/whisper/nested_selection.py --layers 2 3 --C 0.01 0.1 1

Features come from benchmarks/whisper/embed.py's cache (WhisperTransformer, mean_std).
"""

import argparse
import itertools

import numpy as np
from _common import SIX, embeddings, record
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--layers", type=int, nargs="+", default=[2, 3])
p.add_argument("--C", type=float, nargs="+", default=[0.01, 0.1, 1.0])
p.add_argument("--train-norm", nargs="+", default=["pooled", "speaker"],
               choices=["pooled", "corpus", "speaker"])
p.add_argument("--studies", nargs="+", default=["crema_d", "emodb", "loco"])
args = p.parse_args()


def standardise(X, keys):
    """Each group of rows standardised with its own mean and scale."""
    out = np.empty_like(X)
    for k in np.unique(keys):
        rows = keys == k
        out[rows] = (X[rows] - X[rows].mean(0)) / (X[rows].std(0) + 1e-6)
    return out


def fit(Xtr, ytr, gtr, ctr, C, train_norm):
    """The head, trained on rows standardised per ``train_norm``, and the pooled training
    statistics (what the pipeline's StandardScaler keeps)."""
    mean, scale = Xtr.mean(0), Xtr.std(0) + 1e-6
    if train_norm == "pooled":
        Ztr = (Xtr - mean) / scale
    else:
        Ztr = standardise(Xtr, gtr if train_norm == "speaker" else ctr)
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(Ztr, ytr)
    return clf, mean, scale


def predict(head, Xte, gte, cte, test_norm):
    """Test rows standardised with the training statistics (``clip``) or their own, per
    corpus or per speaker (what :func:`sklearn_ser.pretrained.adapt` does)."""
    clf, mean, scale = head
    if test_norm == "clip":
        return clf.predict((Xte - mean) / scale)
    return clf.predict(standardise(Xte, gte if test_norm == "speaker" else cte))


def fit_predict(Xtr, ytr, gtr, ctr, Xte, gte, cte, C, train_norm, test_norm):
    return predict(fit(Xtr, ytr, gtr, ctr, C, train_norm), Xte, gte, cte, test_norm)


def uar(y, pred):
    return balanced_accuracy_score(y, pred)


def candidates():
    return list(itertools.product(args.layers, args.C, args.train_norm))


def corpus_data(corpus, layer, six=False):
    X, y, g = embeddings(corpus, layer=layer)
    keep = np.isin(y, SIX) if six else np.ones(len(y), bool)
    return X[keep], y[keep], g[keep], np.full(keep.sum(), corpus)


def within(corpus):
    data = {layer: corpus_data(corpus, layer) for layer in args.layers}
    _, y, g, c = data[args.layers[0]]
    outer = list(GroupKFold(5).split(y, y, g))
    scores = {cand: [] for cand in candidates()}
    chosen = []
    for tr, te in outer:
        inner = {}
        for cand in candidates():
            layer, C, norm = cand
            X = data[layer][0]
            inner[cand] = np.mean([uar(y[tr][b], fit_predict(
                X[tr][a], y[tr][a], g[tr][a], c[tr][a], X[tr][b], g[tr][b], c[tr][b], C, norm,
                "clip")) for a, b in GroupKFold(3).split(tr, y[tr], g[tr])])
            scores[cand].append(uar(y[te], fit_predict(X[tr], y[tr], g[tr], c[tr], X[te], g[te],
                                                       c[te], C, norm, "clip")))
        chosen.append(max(inner, key=inner.get))
    picked = [scores[cand][k] for k, cand in enumerate(chosen)]
    record("selection_results", study=f"{corpus} GroupKFold(5), per clip", chosen=[
        list(c) for c in chosen], uar=picked, mean_uar=float(np.mean(picked)),
        candidates={str(k): float(np.mean(v)) for k, v in scores.items()})


def loco():
    corpora = ("crema_d", "tess", "emodb")
    data = {layer: {c: corpus_data(c, layer, six=True) for c in corpora}
            for layer in args.layers}

    def stack(layer, names):
        parts = [data[layer][n] for n in names]
        return [np.concatenate([p[i] for p in parts]) for i in range(4)]

    tests = ("clip", "corpus", "speaker")
    out = {t: [] for t in tests}
    every = {(cand, t): [] for cand in candidates() for t in tests}
    chosen = []
    for held in corpora:
        train = [c for c in corpora if c != held]
        inner = {}
        for cand in candidates():
            layer, C, norm = cand
            Xtr, ytr, gtr, ctr = stack(layer, train)
            head = fit(Xtr, ytr, gtr, ctr, C, norm)
            Xte, yte, gte, cte = data[layer][held]
            for t in tests:
                every[(cand, t)].append(uar(yte, predict(head, Xte, gte, cte, t)))
            # inner: each of the two training corpora left out in turn
            inner_scores = {t: [] for t in tests}
            for a, b in (train, train[::-1]):
                head_a = fit(*data[layer][a], C, norm)
                Xb, yb, gb, cb = data[layer][b]
                for t in tests:
                    inner_scores[t].append(uar(yb, predict(head_a, Xb, gb, cb, t)))
            inner[cand] = {t: float(np.mean(v)) for t, v in inner_scores.items()}
        pick = {t: max(inner, key=lambda c, t=t: inner[c][t]) for t in tests}
        chosen.append({t: list(pick[t]) for t in tests})
        for t in tests:
            out[t].append(every[(pick[t], t)][-1])
    record("selection_results", study="leave-one-corpus-out (crema_d, tess, emodb), six emotions",
           chosen=chosen, uar={t: v for t, v in out.items()},
           mean_uar={t: float(np.mean(v)) for t, v in out.items()},
           candidates={f"{k[0]} {k[1]}": float(np.mean(v)) for k, v in every.items()})


# one BLAS thread: these small products only pay for synchronisation with more
with threadpool_limits(1):
    for study in args.studies:
        loco() if study == "loco" else within(study)
