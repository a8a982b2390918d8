"""The soft-voting ensemble of architectures scored from ``cached_cv.py``'s kept probabilities.

``cached_cv.py --proba-dir DIR`` keeps every fold's test probabilities of one architecture.
Once several architectures have run with the same corpus, candidate and seed, this script
scores each of them and their ensemble (the mean of their probabilities, as
:func:`sklearn_ser.study.compare_architectures` computes it) on the same folds, without
training anything::

    for a in cnn cnn_gru cnn_bilstm cnn_bilstm_bigru_attention cnn_mha_bilstm_bigru; do
        python benchmarks/accuracy/cached_cv.py --corpus crema_d --candidate 2:25 --arch $a \\
            --proba-dir /tmp/ser_proba
    done
    python benchmarks/accuracy/ensemble_cv.py --corpus crema_d --candidate 2:25 \\
        --proba-dir /tmp/ser_proba

Each model is scored on the test clips' clean view (what the Pipeline scores) and, as in
``cached_cv.py``, on the mean over the clip's six views ("views-averaged"). A fold is scored
only when every architecture has kept it; a missing fold is named, not skipped silently.
Appends one JSON line per run to ``ensemble_results.jsonl`` next to this file.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from cached_cv import proba_name
from sklearn.metrics import balanced_accuracy_score
from views_cv import CORPORA, features

from sklearn_ser.models import ARCHITECTURES

RESULTS = Path(__file__).with_name("ensemble_results.jsonl")


def kept(proba_dir, corpus, arch, candidate, seed, fold):
    """One architecture's kept probabilities of one fold, or None when it has not run."""
    path = proba_dir / proba_name(corpus, arch, candidate, seed, fold)
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in ("test", "classes", "clean", "averaged")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), required=True)
    parser.add_argument("--candidate", default="all:25")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--archs", nargs="+", default=list(ARCHITECTURES),
                        choices=list(ARCHITECTURES))
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--proba-dir", type=Path, required=True)
    args = parser.parse_args()

    _, y, _ = features(args.corpus, n_jobs=1)
    rows = []
    for fold in args.folds:
        runs = {a: kept(args.proba_dir, args.corpus, a, args.candidate, args.seed, fold)
                for a in args.archs}
        missing = [a for a, r in runs.items() if r is None]
        if missing:
            print(f"fold {fold}: not scored, no kept probabilities of {', '.join(missing)}")
            continue
        first = runs[args.archs[0]]
        for a, r in runs.items():
            if not (np.array_equal(r["test"], first["test"])
                    and np.array_equal(r["classes"], first["classes"])):
                parser.error(f"fold {fold}: {a}'s test clips or classes differ from "
                             f"{args.archs[0]}'s; were they run on the same cache?")
        truth, classes = y[first["test"]], first["classes"]
        row = {"fold": fold}
        for view in ("clean", "averaged"):
            probas = {a: r[view] for a, r in runs.items()}
            probas["ensemble"] = np.mean([probas[a] for a in args.archs], axis=0)
            for model, p in probas.items():
                row.setdefault(model, {})[view] = balanced_accuracy_score(
                    truth, classes[p.argmax(1)])
        rows.append(row)
    if not rows:
        parser.error("no fold has kept probabilities of every architecture")

    models = [*args.archs, "ensemble"]
    folds = [r["fold"] for r in rows]
    print(f"{args.corpus} {args.candidate} seed {args.seed}, clean view (views-averaged)\n"
          "| model | " + " | ".join(f"fold {k}" for k in folds) + " | mean UAR |\n"
          "|---|" + "---|" * (len(folds) + 1))
    means = {}
    for model in models:
        clean = [r[model]["clean"] for r in rows]
        averaged = [r[model]["averaged"] for r in rows]
        means[model] = {"clean": float(np.mean(clean)), "averaged": float(np.mean(averaged))}
        print(f"| {model} | " + " | ".join(f"{c:.3f}" for c in clean)
              + f" | **{means[model]['clean']:.3f}** ({means[model]['averaged']:.3f}) |")
    with RESULTS.open("a") as fh:
        fh.write(json.dumps({"corpus": args.corpus, "candidate": args.candidate,
                             "seed": args.seed, "archs": args.archs, "folds": rows,
                             "mean_uar": means,
                             "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
                 + "\n")


if __name__ == "__main__":
    main()
