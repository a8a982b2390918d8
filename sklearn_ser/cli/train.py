"""``sklearn-ser train``: fit one pipeline on a corpus and save it in the safe format.

Frame features (``mel``, ``smile-lld:SET``) train :class:`~sklearn_ser.SERClassifier`;
openSMILE functionals (``egemaps``, ``compare``, ``smile:SET``) train StandardScaler and a
classical estimator.
"""

from __future__ import annotations

import sys
import time

from .. import defaults
from ..utils.progress import Progress, is_terminal
from .data import check_data_options, load_data
from .errors import CommandError
from .estimators import augmentations, check_archs, classifier_params, make_transformer
from .features import classical_pipeline, parse_features
from .model_file import check_can_save, save_model
from .output import announce_device, check_output_target

__all__ = ["run"]


def _classical(args, features, verbose):
    if args.arch is not None:
        raise CommandError(f"--arch applies to frame features (mel, smile-lld:SET); "
                           f"--features {args.features} trains --estimator.")
    # an explicit --augment is refused by the functionals' transformer, naming --augment
    augment = augmentations(args.augment, per_clip=True)
    if augment:
        make_transformer(args, features, augment)
    return classical_pipeline(features, args.estimator or "logreg", n_jobs=args.n_jobs,
                              random_state=args.random_state, verbose=verbose)


def _network(args, features, verbose, console):
    if args.estimator is not None:
        raise CommandError(f"--estimator applies to openSMILE functionals (egemaps, compare, "
                           f"smile:SET); --features {args.features} trains --arch.")
    arch = args.arch or defaults.ARCHITECTURE
    check_archs([arch], "--arch")
    transformer = make_transformer(args, features, augmentations(args.augment),
                                   verbose=verbose)
    console.info("Loading TensorFlow...")
    announce_device(console)
    from sklearn.pipeline import Pipeline

    from ..classifier import SERClassifier

    clf = SERClassifier(arch=arch, **classifier_params(args))
    return Pipeline([("features", transformer), ("clf", clf)])


def run(args, console) -> int:
    features = parse_features(args.features)
    check_data_options(args)
    # a file is created beside it first: a FIFO, a device, a link or /proc fails here, not
    # after the training
    out = check_output_target(args.out, "--out", example="model.skser")
    # the transformer's per-clip bar only where a redrawn bar stays readable
    verbose = int(not args.quiet and is_terminal(sys.stderr))
    if features.per_clip:
        model, what = _classical(args, features, verbose), None
    else:
        model = _network(args, features, verbose, console)
        what = model.named_steps["clf"].arch
    check_can_save(model, f"--features {args.features}")
    transformer = model.steps[0][1]
    demo_seed = args.random_state if args.demo_seed is None else args.demo_seed
    data = load_data(args, sr=transformer.sr or defaults.SAMPLE_RATE, duration=args.duration,
                     demo_seed=demo_seed, console=console)
    console.info(f"Data: {data.source}: {data.describe()}")
    console.info(f"Extracting {features.describe()} of {len(data.y)} clips, then training...")
    progress = Progress(args.epochs, f"training {what}", unit="epoch",
                        enabled=not args.quiet and what is not None)
    if what is not None:
        from ..classifier import EpochProgress

        model.set_params(clf__callbacks=[EpochProgress(progress)])
    started = time.perf_counter()
    with progress:
        model.fit(list(data.X), data.y)
    elapsed = time.perf_counter() - started
    # the saved model must not carry this session's progress bar or verbosity
    model.set_params(features__verbose=0)
    clf = model.steps[-1][1]
    if what is None:
        n_features = len(transformer.get_feature_names_out())
        print(f"Trained StandardScaler + {type(clf).__name__} on {features.describe()} "
              f"({n_features} per clip) of {len(data.y)} clips in {elapsed:.0f} s.")
    else:
        model.set_params(clf__callbacks=None)
        summary = ", ".join(f"{k} {v:.3f}" for k, v in clf.summary_metrics().items())
        print(f"Trained {what} on {features.describe()} of {len(data.y)} clips in "
              f"{elapsed:.0f} s ({len(clf.history_['loss'])} epochs): {summary}.")
    save_model(model, out)
    print(f"Saved the pipeline to {out} (classes: {', '.join(map(str, clf.classes_))}); "
          "load it with sklearn_ser.load.")
    return 0
