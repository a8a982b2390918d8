"""``sklearn-ser evaluate``: metrics and confusion matrix of a saved model on a corpus."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .. import defaults
from ..datasets import EMOTIONS
from ..utils.progress import is_terminal
from .data import check_data_options, load_data
from .errors import CommandError
from .model_file import load_for_runtime, set_runtime
from .output import check_output_folder
from .parser import DEMO

__all__ = ["run"]


def _print_evaluation(evaluation, labels, header):
    print(header)
    print(f"accuracy          {evaluation['accuracy']:.4f}")
    print(f"balanced accuracy {evaluation['balanced_accuracy']:.4f}  (UAR)")
    print(f"macro-F1          {evaluation['macro_f1']:.4f}")
    print()
    print(evaluation["report"])
    print("Confusion matrix (rows: true, columns: predicted)")
    print(pd.DataFrame(evaluation["confusion_matrix"], index=labels, columns=labels)
          .to_string())


def run(args, console) -> int:
    check_data_options(args)
    out = check_output_folder(args.out, "--out") if args.out else None
    model = load_for_runtime(args.model, args.runtime, console, trust_pickle=args.trust_pickle,
                             windows=False)
    transformer = model.steps[0][1]
    classes = [str(c) for c in model.classes_]
    known = [c for c in classes if c in EMOTIONS]
    # functionals summarise each whole clip, so demo clips of any length do
    per_clip = getattr(transformer, "level", None) == "functionals"
    duration = transformer.duration or (defaults.CLIP_DURATION if per_clip else None)
    if duration is None and args.corpus == [DEMO]:
        raise CommandError("the model has no clip duration; evaluate it on a real corpus.")
    data = load_data(
        args, sr=transformer.input_sr or transformer.sr, duration=duration or 0,
        demo_seed=1 if args.demo_seed is None else args.demo_seed, console=console,
        emotions=known if len(known) == len(classes) else None)
    console.info(f"Data: {data.source}: {data.describe()}")
    y = data.y.astype(str)
    unseen = sorted(set(y) - set(classes))
    if unseen:
        counts = pd.Series(y).value_counts()
        console.warn("the model never learned "
                     + ", ".join(f"{u} ({counts[u]} clips)" for u in unseen)
                     + "; those clips count as errors (use --emotions to leave them out).")
    # the transformer's per-clip bar only where a redrawn bar stays readable
    set_runtime(model, verbose=int(not args.quiet and is_terminal(sys.stderr)),
                n_jobs=args.n_jobs)
    console.info(f"Predicting {len(y)} clips...")
    from ..metrics import evaluate_predictions

    y_pred = np.asarray(model.predict(list(data.X))).astype(str)
    labels = sorted(set(classes) | set(y))
    evaluation = evaluate_predictions(y, y_pred, labels)
    _print_evaluation(evaluation, labels, f"{args.model} on {data.source}: {len(y)} clips")
    if out is not None:
        from ..report import plot_confusion_matrix, write_json

        out.mkdir(parents=True, exist_ok=True)
        png = plot_confusion_matrix(evaluation["confusion_matrix"], labels,
                                    out / "confusion_matrix.png",
                                    title=f"{Path(args.model).name} on {data.source}")
        write_json(out / "metrics.json", {
            "model": os.fspath(args.model), "data": data.source, "n_clips": len(y),
            **{k: evaluation[k] for k in ("accuracy", "balanced_accuracy", "macro_f1")},
            "labels": labels, "confusion_matrix": evaluation["confusion_matrix"],
            "classification_report": evaluation["report_dict"],
        })
        console.info(f"Wrote {png} and {out / 'metrics.json'}")
    return 0
