"""``sklearn-ser compare``: the five-architecture study, its table and its report."""

from __future__ import annotations

import shlex

from .. import __version__
from .data import check_data_options, load_data
from .errors import CommandError
from .estimators import (
    augmentations,
    cache_folder,
    check_archs,
    classifier_params,
    make_transformer,
)
from .features import FUNCTIONALS, baseline_pipelines, parse_features
from .options import check_output_dir
from .parser import PROG
from .scheduler import dask_scheduler

__all__ = ["run"]


def _quiet_tensorflow():
    """Silence TensorFlow's retracing notices: every fold builds new models on purpose."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


def _models(args):
    """(features, architectures, baselines) of the options, judged before any work."""
    features = parse_features(args.features)
    if features.per_clip:
        name = next((k for k, v in FUNCTIONALS.items() if v == features.smile_set),
                    f"smile:{features.smile_set}")
        raise CommandError(
            f"--features {args.features}: openSMILE functionals are one vector per clip, which "
            f"the architectures cannot learn from; compare them in a classical row with "
            f"--baselines {name}+logreg, or give the architectures smile-lld:"
            f"{features.smile_set}.")
    archs = args.archs
    if [a.lower() for a in archs] == ["none"]:
        if not args.baselines:
            raise CommandError("--archs none leaves nothing to compare: add --baselines.")
        archs = []
    else:
        check_archs(archs, "--archs")
    baselines = baseline_pipelines(args.baselines, n_jobs=args.n_jobs,
                                   random_state=args.random_state, memory=cache_folder(args))
    return features, archs, baselines


def run(args, console) -> int:
    with dask_scheduler(getattr(args, "scheduler", None), console):
        return _run(args, console)


def _run(args, console) -> int:
    augment = augmentations(args.augment)
    features, archs, baselines = _models(args)
    if args.cv == "corpus" and len(args.corpus) < 2:
        raise CommandError("--cv corpus holds out one corpus per fold: give at least two "
                           "--corpus.")
    check_data_options(args)
    out = check_output_dir(args.out, "--out") if args.out else None
    transformer = make_transformer(args, features, augment)
    demo_seed = args.random_state if args.demo_seed is None else args.demo_seed
    data = load_data(args, sr=transformer.sr, duration=args.duration, demo_seed=demo_seed,
                     console=console)
    console.info(f"Data: {data.source}: {data.describe()}")

    console.info("Loading TensorFlow...")
    from ..report import format_table, write_comparison_report
    from ..study import compare_architectures

    _quiet_tensorflow()
    if args.cv == "corpus":
        from ..model_selection import LeaveOneCorpusOut

        cv, split_groups, cv_text = LeaveOneCorpusOut(), data.corpus, "leave one corpus out"
    else:
        cv, split_groups = args.cv, data.groups
        cv_text = f"StratifiedGroupKFold({args.cv}) by speaker"
    result = compare_architectures(
        data.X, data.y, split_groups, archs=archs, cv=cv, transformer=transformer,
        classifier_params=classifier_params(args), baselines=baselines,
        ensemble=args.ensemble and len(archs) > 1, random_state=args.random_state,
        progress=not args.quiet)
    n_folds = result.settings["n_folds"]

    runs = []
    if archs:
        runs.append(f"{args.epochs} epochs, features: {features.describe()}, augmentation: "
                    f"{', '.join(augment) if augment else 'none'}")
    if baselines:
        runs.append(f"baselines: {', '.join(baselines)}")
    print(f"Speaker-independent cross-validation: {data.source}, {n_folds} folds "
          f"({cv_text}), {'; '.join(runs)}. Mean ± std over folds.")
    print(format_table(result.summary))
    console.info(f"Total time {result.total_time:.0f} s (feature extraction "
                 f"{sum(result.extraction_time):.0f} s).")
    if out is None:
        console.info("Use --out DIR to write the CSV/JSON tables, the Markdown report and "
                     "the figures.")
        return 0
    paths = write_comparison_report(out, result, context={
        "Command": " ".join([PROG, *map(shlex.quote, args.argv)]),
        "sklearn-ser": __version__,
        "Data": data.source,
        "Clips": data.describe(),
        "Cross-validation": f"{cv_text}, {n_folds} folds, random_state={args.random_state}",
    })
    console.info(f"Report: {paths['report']} (tables: results_summary.csv, "
                 "results_folds.csv, results.json; figures: confusion_*.png, curves_*.png)")
    return 0
