"""``sklearn-ser train``: fit one pipeline on a corpus and save it in the safe format."""

from __future__ import annotations

import sys
import time

from ..progress import Progress, is_terminal
from .data import check_data_options, load_data
from .estimators import augmentations, check_archs, classifier_params, make_transformer
from .model_file import save_model
from .options import check_output_file

__all__ = ["run"]


def run(args, console) -> int:
    augment = augmentations(args.augment)
    check_archs([args.arch], "--arch")
    check_data_options(args)
    out = check_output_file(args.out, "--out", example="model.skser")
    # the transformer's per-clip bar only where a redrawn bar stays readable
    transformer = make_transformer(
        args, augment, verbose=int(not args.quiet and is_terminal(sys.stderr)))
    demo_seed = args.random_state if args.demo_seed is None else args.demo_seed
    data = load_data(args, sr=transformer.sr, duration=args.duration, demo_seed=demo_seed,
                     console=console)
    console.info(f"Data: {data.source}: {data.describe()}")
    console.info("Loading TensorFlow...")
    from sklearn.pipeline import Pipeline

    from ..classifier import SERClassifier
    from ..study import EpochProgress

    progress = Progress(args.epochs, f"training {args.arch}", unit="epoch",
                        enabled=not args.quiet)
    model = Pipeline([
        ("features", transformer),
        ("clf", SERClassifier(arch=args.arch, callbacks=[EpochProgress(progress)],
                              **classifier_params(args))),
    ])
    console.info(f"Extracting features of {len(data.y)} clips, then training...")
    started = time.perf_counter()
    with progress:
        model.fit(list(data.X), data.y)
    elapsed = time.perf_counter() - started
    # the saved model must not carry this session's progress bar or verbosity
    model.set_params(features__verbose=0, clf__callbacks=None)
    save_model(model, out)
    clf = model.named_steps["clf"]
    summary = ", ".join(f"{k} {v:.3f}" for k, v in clf.summary_metrics().items())
    print(f"Trained {args.arch} on {len(data.y)} clips in {elapsed:.0f} s "
          f"({len(clf.history_['loss'])} epochs): {summary}.")
    print(f"Saved the pipeline to {out} (classes: {', '.join(map(str, clf.classes_))}); "
          "load it with sklearn_ser.load.")
    return 0
