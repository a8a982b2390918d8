"""``sklearn-ser compare``: the five-architecture study, its table and its report."""

from __future__ import annotations

import math
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, defaults
from .data import check_data_options, load_data
from .errors import CommandError
from .estimators import (
    augmentations,
    cache_folder,
    check_archs,
    classifier_params,
    make_transformer,
)
from .features import FUNCTIONALS, WHISPER, baseline_pipelines, parse_features
from .output import announce_device, check_output_folder
from .parser import DEMO, PROG
from .scheduler import dask_scheduler

__all__ = ["run"]

#: Folder of ``--out`` that holds every finished (model, fold) of the study.
CHECKPOINT = "checkpoint"
#: ``--features`` default: Whisper's frames for recorded corpora, log-mel for the demo.
AUTO = "auto"


@dataclass(frozen=True)
class _WhisperFrames:
    """``--features whisper``: Whisper base's encoder frames as sequences for the networks."""

    text: str = WHISPER
    per_clip: bool = False

    @staticmethod
    def describe() -> str:
        ms = 20 * defaults.WHISPER_STRIDE
        return (f"Whisper base encoder layer {defaults.WHISPER_LAYER} (512 values every "
                f"{ms} ms)")


def _quiet_tensorflow():
    """Silence TensorFlow's retracing notices: every fold builds new models on purpose."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


def _features(args):
    """The parsed ``--features``; ``auto`` is Whisper's frames, or log-mel on the demo.

    Whisper's frames beat the log-mel frames on recorded speech at a fraction of the
    training (docs/accuracy.rst, "The study at corpus scale"). The demo corpus is
    synthesised, not speech: on it the encoder's frames leave the networks near chance,
    while the log-mel frames and their augmented views carry what the synthesiser encodes.
    """
    text = args.features
    if text.strip().lower() == AUTO:
        names, _ = check_data_options(args)
        text = "mel" if names == [DEMO] else _WhisperFrames.text
    if text.strip().lower() == _WhisperFrames.text:
        return _WhisperFrames()
    return parse_features(text, also=(AUTO, _WhisperFrames.text))


def _models(args):
    """(features, architectures, baselines) of the options, judged before any work."""
    features = _features(args)
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


def _transformer(args, features, augment):
    """The architectures' feature transformer: Whisper frames, or the --features set."""
    if not isinstance(features, _WhisperFrames):
        return make_transformer(args, features, augment)
    if args.augment is not None and augment is not None:
        raise CommandError("--augment: Whisper frames (the --features default for recorded "
                           "corpora) are computed on the clean clips only; leave --augment "
                           "out, or give --features mel to train on augmented log-mel "
                           "frames.")
    from ..transformers.whisper import WhisperTransformer

    # trimmed like the mel frames, so that the same --duration holds the same speech
    return WhisperTransformer(layer=defaults.WHISPER_LAYER, stride=defaults.WHISPER_STRIDE,
                              pooling="none", duration=args.duration, top_db=defaults.TOP_DB)


def _epochs(args, features):
    """``--epochs``, or the default of the features; None: Whisper's, known with the data."""
    if args.epochs is not None or isinstance(features, _WhisperFrames):
        return args.epochs
    return defaults.COMPARE_EPOCHS


def whisper_epochs(n_clips: int, n_folds: int, batch_size: int) -> int:
    """Epochs for about :data:`~sklearn_ser.defaults.WHISPER_STEPS` optimiser steps.

    A network learns from Whisper's frames in a number of steps more than of passes: on
    1,142 training clips of CREMA-D, 6 epochs (108 steps) left ``cnn_gru`` at 0.23 UAR on
    validation actors and 30 epochs reached 0.63 (docs/accuracy.rst).

    Examples
    --------
    >>> whisper_epochs(7438, 5, 64), whisper_epochs(1621, 3, 64), whisper_epochs(12, 2, 64)
    (6, 33, 100)
    """
    batches = math.ceil(n_clips * (n_folds - 1) / n_folds / batch_size)
    return min(defaults.WHISPER_MAX_EPOCHS, math.ceil(defaults.WHISPER_STEPS / batches))


def _classifier_params(args) -> dict:
    params = classifier_params(args)
    if args.views_per_epoch is not None:
        params["views_per_epoch"] = args.views_per_epoch
    if args.early_stopping is not None:
        if args.validation_fraction is None:
            raise CommandError("--early-stopping watches the validation loss: give "
                               "--validation-fraction too (e.g. 0.1).")
        params["early_stopping"] = args.early_stopping
    return params


def _saved(folder) -> int:
    return len(list(Path(folder).glob("*-fold*.json"))) if folder else 0


def run(args, console) -> int:
    with dask_scheduler(getattr(args, "scheduler", None), console):
        return _run(args, console)


def _run(args, console) -> int:
    features, archs, baselines = _models(args)
    args.epochs = _epochs(args, features)
    whisper = isinstance(features, _WhisperFrames)
    augment = None if whisper and args.augment is None else augmentations(args.augment)
    if args.cv == "corpus" and len(args.corpus) < 2:
        raise CommandError("--cv corpus holds out one corpus per fold: give at least two "
                           "--corpus.")
    check_data_options(args)
    params = _classifier_params(args)
    out = check_output_folder(args.out, "--out") if args.out else None
    transformer = _transformer(args, features, augment)
    demo_seed = args.random_state if args.demo_seed is None else args.demo_seed
    data = load_data(args, sr=getattr(transformer, "sr", defaults.SAMPLE_RATE),
                     duration=args.duration, demo_seed=demo_seed, console=console)
    console.info(f"Data: {data.source}: {data.describe()}")
    if args.epochs is None:
        n_folds = len(args.corpus) if args.cv == "corpus" else args.cv
        args.epochs = params["epochs"] = whisper_epochs(len(data.y), n_folds, args.batch_size)
        console.info(f"Training {args.epochs} epochs on Whisper's frames: about "
                     f"{defaults.WHISPER_STEPS} optimiser steps a model (--epochs to choose).")

    console.info("Loading TensorFlow...")
    announce_device(console)
    from ..report import format_table, write_comparison_report
    from ..study import compare_architectures

    _quiet_tensorflow()
    if args.cv == "corpus":
        from ..model_selection import LeaveOneCorpusOut

        cv, split_groups, cv_text = LeaveOneCorpusOut(), data.corpus, "leave one corpus out"
    else:
        cv, split_groups = args.cv, data.groups
        cv_text = f"StratifiedGroupKFold({args.cv}) by speaker"
    checkpoint = out / CHECKPOINT if out is not None else None
    try:
        result = compare_architectures(
            data.X, data.y, split_groups, archs=archs, cv=cv, transformer=transformer,
            classifier_params=params, baselines=baselines,
            ensemble=args.ensemble and len(archs) > 1, random_state=args.random_state,
            checkpoint=checkpoint, progress=not args.quiet)
    except KeyboardInterrupt:
        if checkpoint is not None:
            console.info(f"{_saved(checkpoint)} finished (model, fold) results are saved in "
                         f"{checkpoint}: run the same command again to resume.")
        raise
    n_folds = result.settings["n_folds"]

    runs = []
    if archs:
        augmented = ", ".join(augment) if augment else "none"
        runs.append(f"{args.epochs} epochs, features: {features.describe()}, augmentation: "
                    f"{augmented}")
    if baselines:
        runs.append(f"baselines: {', '.join(baselines)}")
    print(f"Speaker-independent cross-validation: {data.source}, {n_folds} folds "
          f"({cv_text}), {'; '.join(runs)}. Mean ± std over folds.")
    print(format_table(result.summary))
    phases = ", ".join(f"{k} {v:.0f} s" for k, v in result.phase_times.items())
    resumed = f"; {result.n_resumed} results resumed" if result.n_resumed else ""
    console.info(f"Total time {result.total_time:.0f} s ({phases}{resumed}).")
    if out is None:
        console.info("Use --out DIR to write the CSV/JSON tables, the Markdown report and "
                     "the figures (and to resume an interrupted study).")
        return 0
    started = time.perf_counter()
    paths = write_comparison_report(out, result, context={
        "Command": " ".join([PROG, *map(shlex.quote, args.argv)]),
        "sklearn-ser": __version__,
        "Data": data.source,
        "Clips": data.describe(),
        "Cross-validation": f"{cv_text}, {n_folds} folds, random_state={args.random_state}",
    })
    console.info(f"Report: {paths['report']} in {time.perf_counter() - started:.0f} s "
                 "(tables: results_summary.csv, results_folds.csv, results.json; figures: "
                 "confusion_*.png, curves_*.png)")
    return 0
