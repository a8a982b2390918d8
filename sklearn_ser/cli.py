"""The ``sklearn-ser`` command line: compare, train, predict, evaluate.

Run ``sklearn-ser --help`` (or ``python -m sklearn_ser --help``). Every command reports a bad
argument, a missing folder or file, an unknown corpus or architecture as a single
``sklearn-ser: error: ...`` line with exit status 2 (usage) or 1 (everything else), without a
traceback; set ``SKLEARN_SER_DEBUG=1`` to see the traceback.

TensorFlow is imported only by the commands that need it, so ``--help`` and argument errors
are immediate.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .augment import AUGMENTATIONS
from .datasets import AUDIO_EXTENSIONS, COMMON_EMOTIONS, CORPUS_NAMES, EMOTIONS
from .datasets._fetch import DownloadError

__all__ = ["main"]

PROG = "sklearn-ser"
DEMO = "demo"
#: The seed recipe's five augmentations, on by default.
SEED_AUGMENTATIONS = ("noise", "stretch_pitch", "shift", "echo", "reverb")
#: Architectures in the order of the seed recipe (Model 1 .. Model 5).
ARCH_NAMES = ("cnn_bilstm_bigru_attention", "cnn", "cnn_bilstm", "cnn_gru",
              "cnn_mha_bilstm_bigru")

# Defaults of ``compare`` on the demo corpus: the classifier's own 25 epochs (its cosine
# schedule is fitted to the epochs it gets; 8 epochs left UAR at 0.39-0.50, 25 reach 0.54-0.65).
# The whole study (5 architectures, 3 folds, 5 augmentations) took 469 s wall, 411 s CPU on
# 2 idle Xeon cores (2026-12-01), inside the README's 10 minutes; 8 epochs took 146 s.
TRAIN_EPOCHS = 25  # SERClassifier().epochs
COMPARE_EPOCHS = TRAIN_EPOCHS
COMPARE_CV = 3
DEMO_SPEAKERS = 6
DEMO_CLIPS_PER_EMOTION = 4
CLIP_DURATION = 2.0
BATCH_SIZE = 64  # SERClassifier().batch_size

_EXIT_USAGE = 2
_EXIT_FAILURE = 1


class CommandError(Exception):
    """An expected failure: reported as one line, without a traceback."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a single line instead of the usage block plus a line."""

    def error(self, message):
        self.exit(_EXIT_USAGE,
                  f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# ---------------------------------------------------------------------------- argument types

def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def _cv(text):
    if text.strip().lower() in ("corpus", "loco"):
        return "corpus"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of folds (>= 2) or 'corpus', got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected at least 2 folds, got {text!r}")
    return value


# ---------------------------------------------------------------------------- the parser

def _add_data_options(parser, *, demo_note):
    group = parser.add_argument_group("data")
    group.add_argument(
        "--corpus", nargs="+", metavar="NAME", default=[DEMO],
        help=f"corpora to use, several at once allowed: {', '.join(CORPUS_NAMES)}, or "
             f"'{DEMO}' (the built-in synthetic corpus, no download; the default). {demo_note}")
    group.add_argument(
        "--data-dir", nargs="+", metavar="DIR",
        help="folder of each --corpus, in the same order; with --fetch, one download folder "
             "(default: $SKLEARN_SER_DATA or ~/sklearn_ser_data)")
    group.add_argument(
        "--fetch", action="store_true",
        help="download the corpora (once) where a public archive exists, then load them")
    group.add_argument(
        "--emotions", nargs="+", metavar="NAME",
        help=f"keep only these emotions ({', '.join(EMOTIONS)}), or 'common' for the six "
             f"shared by all corpora ({', '.join(COMMON_EMOTIONS)})")
    group.add_argument("--merge-calm", action="store_true",
                       help="relabel RAVDESS 'calm' as 'neutral'")
    demo = parser.add_argument_group("demo corpus")
    demo.add_argument("--n-speakers", type=_positive_int, default=None, metavar="N",
                      help=f"speakers of the demo corpus (default: {DEMO_SPEAKERS})")
    demo.add_argument("--clips-per-emotion", type=_positive_int, default=None, metavar="N",
                      help="clips per speaker and emotion of the demo corpus "
                           f"(default: {DEMO_CLIPS_PER_EMOTION})")
    demo.add_argument("--demo-seed", type=int, default=None, metavar="SEED",
                      help="seed of the demo corpus (default: see above)")


def _add_feature_options(parser):
    group = parser.add_argument_group("features")
    group.add_argument(
        "--augment", nargs="*", metavar="NAME", default=list(SEED_AUGMENTATIONS),
        help="augmented views of every training clip (never of test clips): any of "
             f"{', '.join(AUGMENTATIONS)}, or 'none' (default: all five, the seed's recipe)")
    group.add_argument("--no-augment", action="store_const", const=["none"], dest="augment",
                       help="train on the clean clips only (same as --augment none)")
    group.add_argument("--duration", type=_positive_float, default=CLIP_DURATION,
                       metavar="SECONDS",
                       help="clip length the audio is trimmed, padded or cropped to "
                            f"(default: {CLIP_DURATION})")
    group.add_argument("--n-jobs", type=int, default=None, metavar="N",
                       help="clips processed in parallel during feature extraction "
                            "(-1: all cores; default: 1)")


def _add_model_options(parser, *, epochs):
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=_positive_int, default=epochs, metavar="N",
                       help=f"training epochs (default: {epochs})")
    group.add_argument("--batch-size", type=_positive_int, default=BATCH_SIZE, metavar="N",
                       help=f"training rows per step (default: {BATCH_SIZE})")
    group.add_argument("--learning-rate", type=_positive_float, default=None, metavar="LR",
                       help="peak Adam learning rate of the cosine schedule (default: 1e-3)")
    group.add_argument("--validation-fraction", type=_fraction, default=None, metavar="F",
                       help="hold out this fraction of the training clips to report "
                            "validation accuracy and loss per epoch (default: none, every "
                            "clip trains)")
    group.add_argument("--random-state", type=int, default=0, metavar="SEED",
                       help="seed of folds, augmentations and training (default: 0)")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Speech emotion recognition that speaks scikit-learn: compare the five "
                    "architectures, train a model, predict emotions of recordings, evaluate "
                    "a model on a corpus.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    compare = sub.add_parser(
        "compare", help="the five-architecture study with speaker-independent CV",
        description=(
            "Train the five architectures and their soft-voting ensemble (the mean of their "
            "predict_proba) with speaker-independent cross-validation (StratifiedGroupKFold "
            "by speaker): features are extracted once per fold (training clips with their "
            "augmented views, test clips clean) and shared by all architectures. Prints, per "
            "model, the mean ± std over folds of the final training and validation accuracy "
            "and loss, the held-out-speaker accuracy, UAR (balanced accuracy), macro-F1, fit "
            "time and trainable parameters; with --out also writes CSV/JSON tables, "
            "report.md, confusion matrices and training curves. The defaults (demo corpus "
            f"of {DEMO_SPEAKERS} speakers x 6 emotions x {DEMO_CLIPS_PER_EMOTION} clips of "
            f"{CLIP_DURATION:g} s, {COMPARE_CV} folds, {COMPARE_EPOCHS} epochs, five "
            "augmentations) finish in under 10 minutes on 2 CPU cores; real corpora and "
            "more epochs take proportionally longer."),
    )
    _add_data_options(compare, demo_note="The demo corpus is generated with --demo-seed "
                                         "(default: --random-state).")
    _add_feature_options(compare)
    _add_model_options(compare, epochs=COMPARE_EPOCHS)
    compare.add_argument("--archs", nargs="+", metavar="ARCH", default=list(ARCH_NAMES),
                         help=f"architectures to compare (default: all): {', '.join(ARCH_NAMES)}")
    compare.add_argument("--cv", type=_cv, default=COMPARE_CV, metavar="K",
                         help="speaker-independent folds (default: "
                              f"{COMPARE_CV}), or 'corpus' to hold out one corpus per fold "
                              "(several --corpus)")
    compare.add_argument("--no-ensemble", dest="ensemble", action="store_false",
                         help="leave out the soft-voting ensemble row")
    compare.add_argument("--out", metavar="DIR",
                         help="write the report here: results_folds.csv, "
                              "results_summary.csv, results.json, report.md, "
                              "confusion_<model>.png, curves_<arch>.png")
    compare.add_argument("--quiet", "-q", action="store_true",
                         help="no progress bars or status lines (the table is still printed)")

    train = sub.add_parser(
        "train", help="fit one pipeline on a corpus and save it with joblib",
        description="Fit Pipeline([AudioFeatureTransformer, SERClassifier]) on all clips of "
                    "the corpora and save it with joblib; load it with joblib.load or use it "
                    f"with '{PROG} predict' and '{PROG} evaluate'.",
    )
    _add_data_options(train, demo_note="The demo corpus is generated with --demo-seed "
                                       "(default: --random-state).")
    _add_feature_options(train)
    _add_model_options(train, epochs=TRAIN_EPOCHS)
    train.add_argument("--arch", default="cnn_gru", metavar="ARCH",
                       help=f"architecture (default: cnn_gru): {', '.join(ARCH_NAMES)}")
    train.add_argument("--out", required=True, metavar="FILE",
                       help="where to save the fitted pipeline (e.g. model.joblib)")
    train.add_argument("--quiet", "-q", action="store_true", help="no progress bars")

    predict = sub.add_parser(
        "predict", help="emotions of audio files, with a timeline for long recordings",
        description="Predict the emotion of audio files. A recording longer than the "
                    "analysis window (default: the model's clip duration) is cut into "
                    "overlapping windows; each window is classified and the recording's "
                    "emotion distribution is the mean of the window probabilities.",
    )
    predict.add_argument("model", metavar="MODEL", help="a pipeline saved by 'train'")
    predict.add_argument("paths", nargs="+", metavar="PATH",
                         help="audio files, or folders searched recursively for "
                              f"{', '.join(sorted(AUDIO_EXTENSIONS))} files")
    predict.add_argument("--format", choices=("table", "csv", "json"), default="table",
                         help="output format (default: table). csv: one row per recording "
                              "(scope=recording) and per window (scope=window); json: one "
                              "object per recording with its windows")
    predict.add_argument("--window", type=_positive_float, metavar="SECONDS",
                         help="analysis window (default: the model's clip duration)")
    predict.add_argument("--hop", type=_positive_float, metavar="SECONDS",
                         help="seconds between windows (default: half the window)")
    predict.add_argument("--plot", metavar="OUT.png",
                         help="save the emotion distribution and timeline as a PNG (with "
                              "several recordings: one file each, named OUT_<recording>.png)")
    predict.add_argument("--quiet", "-q", action="store_true",
                         help="no progress bar or status lines")

    evaluate = sub.add_parser(
        "evaluate", help="metrics and confusion matrix of a saved model on a corpus",
        description="Accuracy, balanced accuracy (UAR), macro-F1, the classification report "
                    "and the confusion matrix of a saved pipeline on the clips of a corpus.",
    )
    evaluate.add_argument("model", metavar="MODEL", help="a pipeline saved by 'train'")
    _add_data_options(evaluate, demo_note="The demo corpus is generated with --demo-seed "
                                          "(default: 1, so its clips are unseen by a model "
                                          "trained on the default demo corpus).")
    evaluate.add_argument("--n-jobs", type=int, default=None, metavar="N",
                          help="clips processed in parallel during feature extraction")
    evaluate.add_argument("--out", metavar="DIR",
                          help="write metrics.json and confusion_matrix.png here")
    evaluate.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    return parser


# ---------------------------------------------------------------------------- helpers

class _Console:
    """Status lines on stderr (silenced by --quiet); results go to stdout."""

    def __init__(self, quiet):
        self.quiet = quiet

    def info(self, message):
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    @staticmethod
    def warn(message):
        print(f"{PROG}: warning: {message}", file=sys.stderr, flush=True)


def _augmentations(values):
    values = list(values or [])
    if not values:
        return SEED_AUGMENTATIONS
    lowered = [v.lower() for v in values]
    if "none" in lowered:
        if len(values) > 1:
            raise CommandError("--augment 'none' cannot be combined with augmentation names.")
        return None
    unknown = [v for v in values if v not in AUGMENTATIONS]
    if unknown:
        raise CommandError(
            f"--augment: unknown augmentation(s) {', '.join(unknown)}; choose from "
            f"{', '.join(AUGMENTATIONS)} or 'none'.")
    if len(set(values)) != len(values):
        raise CommandError(f"--augment names an augmentation twice: {' '.join(values)}.")
    return tuple(values)


def _emotions(values):
    if not values:
        return None
    if [v.lower() for v in values] == ["common"]:
        return list(COMMON_EMOTIONS)
    unknown = [v for v in values if v not in EMOTIONS]
    if unknown:
        raise CommandError(
            f"--emotions: unknown emotion(s) {', '.join(unknown)}; choose from "
            f"{', '.join(EMOTIONS)} or 'common'.")
    if len(set(values)) != len(values):
        raise CommandError(f"--emotions names an emotion twice: {' '.join(values)}.")
    return list(values)


def _check_archs(names, option):
    # ARCH_NAMES mirrors sklearn_ser.models.ARCHITECTURES (a test keeps them equal), so a
    # typo is reported before Keras is imported
    unknown = [a for a in names if a not in ARCH_NAMES]
    if unknown:
        raise CommandError(
            f"{option}: unknown architecture(s) {', '.join(unknown)}; choose from "
            f"{', '.join(ARCH_NAMES)}.")
    if len(set(names)) != len(names):
        raise CommandError(f"{option} names an architecture twice: {' '.join(names)}.")


def _corpus_names(args):
    names = [n.strip().lower().replace("-", "_") for n in args.corpus]
    unknown = [n for n, raw in zip(names, args.corpus) if n not in (*CORPUS_NAMES, DEMO)]
    if unknown:
        bad = [raw for n, raw in zip(names, args.corpus) if n in unknown]
        raise CommandError(
            f"--corpus: unknown corpus {', '.join(bad)}; choose from "
            f"{', '.join(CORPUS_NAMES)} or '{DEMO}'.")
    if len(set(names)) != len(names):
        raise CommandError(f"--corpus names a corpus twice: {' '.join(args.corpus)}.")
    if DEMO in names and len(names) > 1:
        raise CommandError(f"--corpus {DEMO} (the synthetic corpus) cannot be combined with "
                           "real corpora.")
    return names


def _fetch_corpus(name, data_home, emotions, merge_calm):
    from . import datasets

    kwargs = {"data_home": data_home, "emotions": emotions, "merge_calm": merge_calm}
    if name.startswith("ravdess"):
        subset = "song" if name == "ravdess_song" else "speech"
        return datasets.fetch_ravdess(subset, **kwargs)
    return getattr(datasets, f"fetch_{name}")(**kwargs)


def _load_data(args, *, sr, duration, demo_seed, console, emotions=None):
    """(X, y, groups, corpus, description) of the requested corpora."""
    from .datasets import concat_corpora, load_corpora, make_emotional_speech

    names = _corpus_names(args)
    emotions = _emotions(args.emotions) if args.emotions else emotions
    if names == [DEMO]:
        if args.data_dir or args.fetch:
            raise CommandError(f"--data-dir and --fetch apply to real corpora, not to "
                               f"'--corpus {DEMO}'.")
        n_speakers = args.n_speakers or DEMO_SPEAKERS
        if n_speakers < 2:
            raise CommandError("--n-speakers: the demo corpus needs at least 2 speakers.")
        kwargs = {} if emotions is None else {"emotions": emotions}
        console.info(f"Generating the demo corpus ({n_speakers} speakers, "
                     f"{args.clips_per_emotion or DEMO_CLIPS_PER_EMOTION} clips per speaker "
                     f"and emotion, {duration:g} s at {sr} Hz, seed {demo_seed})...")
        data = make_emotional_speech(
            n_speakers=n_speakers,
            n_clips_per_emotion=args.clips_per_emotion or DEMO_CLIPS_PER_EMOTION,
            sr=sr, duration=duration, random_state=demo_seed, **kwargs)
        corpus = np.full(len(data.y), DEMO, dtype=object)
        description = (f"demo (synthetic, {n_speakers} speakers, seed {demo_seed})")
        return data.X, np.asarray(data.y), np.asarray(data.groups), corpus, description
    for option in ("n_speakers", "clips_per_emotion", "demo_seed"):
        if getattr(args, option) is not None:
            raise CommandError(f"--{option.replace('_', '-')} applies to the demo corpus only.")
    options = {"emotions": emotions, "merge_calm": args.merge_calm}
    if args.fetch:
        if args.data_dir and len(args.data_dir) > 1:
            raise CommandError("--fetch takes at most one --data-dir (the download folder).")
        home = args.data_dir[0] if args.data_dir else None
        data = concat_corpora(_fetch_corpus(n, home, **options) for n in names)
    else:
        if not args.data_dir:
            raise CommandError(
                f"--corpus {' '.join(args.corpus)} needs --data-dir with the folder of each "
                "corpus (or --fetch to download them).")
        if len(args.data_dir) != len(names):
            raise CommandError(
                f"--data-dir gives {len(args.data_dir)} folder(s) for {len(names)} corpora; "
                "give one folder per --corpus, in the same order.")
        for name, folder in zip(names, args.data_dir):
            if not Path(folder).is_dir():
                reason = "is not a folder" if Path(folder).exists() else "does not exist"
                raise CommandError(f"--data-dir: the {name} folder '{folder}' {reason}.")
        data = load_corpora(dict(zip(names, args.data_dir)), **options)
    frame = data.frame
    description = ", ".join(
        f"{name} ({count} clips)" for name, count in frame["corpus"].value_counts(
            sort=False).items())
    return (data.X, np.asarray(data.y), np.asarray(data.groups),
            frame["corpus"].to_numpy(dtype=object), description)


def _describe_data(y, groups):
    labels, counts = np.unique(y, return_counts=True)
    per = ", ".join(f"{label} {count}" for label, count in zip(labels, counts))
    return f"{len(y)} clips, {np.unique(groups).size} speakers, {labels.size} emotions ({per})"


def _classifier_params(args):
    params = {"epochs": args.epochs, "batch_size": args.batch_size,
              "validation_fraction": args.validation_fraction,
              "random_state": args.random_state}
    if args.learning_rate is not None:
        params["optimizer__learning_rate"] = args.learning_rate
    return params


def _transformer(args, augment, *, verbose=0):
    from .transformer import AudioFeatureTransformer

    return AudioFeatureTransformer(duration=args.duration, augment=augment,
                                   n_jobs=args.n_jobs, random_state=args.random_state,
                                   verbose=verbose)


def _load_model(path):
    import joblib

    from .windows import audio_transformer

    if not Path(path).is_file():
        reason = "is a folder" if Path(path).is_dir() else "does not exist"
        raise CommandError(f"model file '{path}' {reason}.")
    try:
        model = joblib.load(path)
    except Exception as exc:  # pickle raises many types; the reason is in the message
        raise CommandError(f"cannot load the model '{path}': {type(exc).__name__}: "
                           f"{exc}") from exc
    try:
        audio_transformer(model)
    except TypeError as exc:
        raise CommandError(f"'{path}' is not an sklearn-ser model: {exc}") from exc
    return model


def _set_runtime(model, *, verbose, n_jobs=None):
    """Progress and parallelism of a loaded model's transformer (in memory only)."""
    step = model.steps[0][1]
    step.set_params(verbose=verbose)
    if n_jobs is not None:
        step.set_params(n_jobs=n_jobs)


def _quiet_tensorflow():
    """Silence TensorFlow's retracing notices: every fold builds new models on purpose."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


def _safe_name(name):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name))


# ---------------------------------------------------------------------------- compare

def _cmd_compare(args, console):
    augment = _augmentations(args.augment)
    _check_archs(args.archs, "--archs")
    if args.cv == "corpus" and len(args.corpus) < 2:
        raise CommandError("--cv corpus holds out one corpus per fold: give at least two "
                           "--corpus.")
    from .transformer import AudioFeatureTransformer

    sr = AudioFeatureTransformer().sr
    demo_seed = args.random_state if args.demo_seed is None else args.demo_seed
    X, y, groups, corpus, source = _load_data(args, sr=sr, duration=args.duration,
                                              demo_seed=demo_seed, console=console)
    console.info(f"Data: {source}: {_describe_data(y, groups)}")
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)

    console.info("Loading TensorFlow...")
    from .report import (
        format_fold_table,
        format_table,
        plot_confusion_matrix,
        plot_training_curves,
        write_markdown_report,
        write_results,
    )
    from .study import ENSEMBLE, compare_architectures

    _quiet_tensorflow()

    if args.cv == "corpus":
        from .model_selection import LeaveOneCorpusOut

        cv, split_groups = LeaveOneCorpusOut(), corpus
        cv_text = "leave one corpus out"
    else:
        cv, split_groups = args.cv, groups
        cv_text = f"StratifiedGroupKFold({args.cv}) by speaker"
    transformer = _transformer(args, augment)
    params = _classifier_params(args)
    started = time.perf_counter()
    result = compare_architectures(
        X, y, split_groups, archs=args.archs, cv=cv, transformer=transformer,
        classifier_params=params, ensemble=args.ensemble and len(args.archs) > 1,
        random_state=args.random_state, progress=not args.quiet)
    elapsed = time.perf_counter() - started
    n_folds = int(result.folds["fold"].nunique())
    has_ensemble = ENSEMBLE in result.confusion

    print(f"Speaker-independent cross-validation: {source}, {n_folds} folds "
          f"({cv_text}), {args.epochs} epochs, augmentation: "
          f"{', '.join(augment) if augment else 'none'}. Mean ± std over folds.")
    print(format_table(result.summary))
    console.info(f"Total time {elapsed:.0f} s (feature extraction "
                 f"{sum(result.extraction_time):.0f} s).")
    if out is None:
        console.info("Use --out DIR to write the CSV/JSON tables, the Markdown report and "
                     "the figures.")
        return 0

    settings = {
        "Command": " ".join([PROG, *map(shlex.quote, args.argv)]),
        "sklearn-ser": __version__,
        "Data": source,
        "Clips": _describe_data(y, groups),
        "Cross-validation": f"{cv_text}, {n_folds} folds, random_state={args.random_state}",
        "Architectures": args.archs,
        "Ensemble": "soft voting (mean predict_proba)" if has_ensemble else "no",
        "Epochs": args.epochs,
        "Batch size": args.batch_size,
        "Learning rate": f"cosine schedule, peak {args.learning_rate or 1e-3:g}",
        "Validation fraction": args.validation_fraction or "none (every clip trains)",
        "Augmentation (training clips only)": ", ".join(augment) if augment else "none",
        "Clip duration (s)": args.duration,
        "Sample rate (Hz)": transformer.sr,
        "Features": ", ".join(transformer.features),
        "Total time (s)": f"{elapsed:.0f}",
        "Feature extraction per fold (s)": ", ".join(f"{t:.1f}" for t in result.extraction_time),
    }
    figures = {}
    for model, cm in result.confusion.items():
        path = plot_confusion_matrix(cm, result.labels, out / f"confusion_{_safe_name(model)}.png",
                                     title=f"{model}: confusion (sum over {n_folds} folds)")
        figures.setdefault(model, {})["Confusion matrix"] = path
    for arch, histories in result.histories.items():
        path = plot_training_curves(histories, out / f"curves_{_safe_name(arch)}.png",
                                    title=f"{arch}: training curves ({n_folds} folds)")
        figures[arch]["Training curves"] = path
    write_results(out, result.folds, result.summary, extra={
        "settings": settings,
        "labels": result.labels,
        "confusion": result.confusion,
        "histories": result.histories,
        "extraction_time": result.extraction_time,
    })
    notes = [
        "Final acc / val acc / loss / val loss: the Keras history at the epoch whose weights "
        "the model keeps (early stopping restores the best validation loss), as the seed "
        "recipe printed them. Training accuracy is measured on augmented rows with dropout.",
        "Held-out acc, UAR (unweighted average recall = balanced accuracy) and macro-F1: on "
        "the test speakers of each fold, never seen in training or validation.",
        "Fit time: seconds per fold for one model (feature extraction excluded: it is done "
        "once per fold and shared). Params: trainable parameters.",
    ]
    if has_ensemble:
        notes.append("ensemble: soft voting, the mean of the architectures' predict_proba; it "
                     "has no training history of its own ('-'); its fit time and parameters "
                     "are the sums over its members.")
    report = write_markdown_report(
        out / "report.md", title="sklearn-ser: architecture comparison", settings=settings,
        table=format_table(result.summary, markdown=True), notes=notes,
        sections=[("Per fold", format_fold_table(result.folds))], figures=figures)
    console.info(f"Report: {report} (tables: results_summary.csv, results_folds.csv, "
                 f"results.json; figures: confusion_*.png, curves_*.png)")
    return 0


# ---------------------------------------------------------------------------- train

def _cmd_train(args, console):
    augment = _augmentations(args.augment)
    _check_archs([args.arch], "--arch")
    out = Path(args.out)
    if out.is_dir():
        raise CommandError(f"--out '{out}' is a folder; give a file name such as model.joblib.")
    from .transformer import AudioFeatureTransformer

    demo_seed = args.random_state if args.demo_seed is None else args.demo_seed
    X, y, groups, _, source = _load_data(args, sr=AudioFeatureTransformer().sr,
                                         duration=args.duration, demo_seed=demo_seed,
                                         console=console)
    console.info(f"Data: {source}: {_describe_data(y, groups)}")
    console.info("Loading TensorFlow...")
    import joblib
    from sklearn.pipeline import Pipeline
    from tqdm.auto import tqdm

    from .classifier import SERClassifier
    from .study import EpochProgress

    params = _classifier_params(args)
    bar = tqdm(total=args.epochs, desc=f"training {args.arch}", unit="epoch",
               disable=args.quiet)
    model = Pipeline([
        ("features", _transformer(args, augment, verbose=int(not args.quiet))),
        ("clf", SERClassifier(arch=args.arch, callbacks=[EpochProgress(bar)], **params)),
    ])
    started = time.perf_counter()
    try:
        model.fit(list(X), y)
    finally:
        bar.close()
    elapsed = time.perf_counter() - started
    # the saved model must not carry this session's progress bar or verbosity
    model.set_params(features__verbose=0, clf__callbacks=None)
    out.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out)
    clf = model.named_steps["clf"]
    summary = ", ".join(f"{k} {v:.3f}" for k, v in clf.summary_metrics().items())
    print(f"Trained {args.arch} on {len(y)} clips in {elapsed:.0f} s "
          f"({len(clf.history_['loss'])} epochs): {summary}.")
    print(f"Saved the pipeline to {out} (classes: {', '.join(map(str, clf.classes_))}).")
    return 0


# ---------------------------------------------------------------------------- predict

def _audio_files(paths):
    """Files named on the command line, and audio files found below named folders."""
    files, seen = [], set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS
                           and not any(part.startswith(".") for part in
                                       p.relative_to(path).parts))
            if not found:
                raise CommandError(
                    f"folder '{raw}' holds no audio files "
                    f"({', '.join(sorted(AUDIO_EXTENSIONS))}).")
        elif path.exists():
            found = [path]
        else:
            raise CommandError(f"'{raw}' does not exist.")
        for p in found:
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                files.append(p)
    return files


def _recording_record(analysis):
    return {
        "path": analysis.source,
        "duration": round(analysis.duration, 3),
        "n_windows": len(analysis.timeline),
        "label": analysis.label,
        "probabilities": {k: float(v) for k, v in analysis.distribution.items()},
        "windows": [
            {"start": float(r["start"]), "end": float(r["end"]), "label": r["label"],
             "probabilities": {k: float(r[k]) for k in analysis.distribution.index}}
            for _, r in analysis.timeline.iterrows()
        ],
    }


def _predict_table(analyses, classes):
    rows = [{"recording": a.source, "duration (s)": f"{a.duration:.1f}",
             "windows": len(a.timeline), "label": a.label,
             **{c: f"{a.distribution[c]:.3f}" for c in classes}} for a in analyses]
    parts = [pd.DataFrame(rows).to_string(index=False)]
    for a in analyses:
        if len(a.timeline) > 1:
            timeline = a.timeline.copy()
            timeline["start"] = timeline["start"].map("{:.2f}".format)
            timeline["end"] = timeline["end"].map("{:.2f}".format)
            for c in classes:
                timeline[c] = timeline[c].map("{:.3f}".format)
            parts.append(f"\nTimeline of {a.source} ({len(a.timeline)} windows):\n"
                         + timeline.to_string(index=False))
    return "\n".join(parts)


def _predict_csv(analyses, classes):
    rows = []
    for a in analyses:
        rows.append({"path": a.source, "scope": "recording", "start": 0.0,
                     "end": round(a.duration, 3), "label": a.label,
                     **{c: a.distribution[c] for c in classes}})
        for _, r in a.timeline.iterrows():
            rows.append({"path": a.source, "scope": "window", "start": r["start"],
                         "end": r["end"], "label": r["label"], **{c: r[c] for c in classes}})
    return pd.DataFrame(rows).to_csv(index=False, float_format="%.6g").rstrip("\n")


def _plot_paths(plot, analyses):
    plot = Path(plot)
    if len(analyses) == 1:
        return [plot]
    stems, paths = {}, []
    for a in analyses:
        stem = _safe_name(Path(a.source).stem)
        stems[stem] = stems.get(stem, 0) + 1
        if stems[stem] > 1:
            stem = f"{stem}_{stems[stem]}"
        paths.append(plot.with_name(f"{plot.stem}_{stem}{plot.suffix or '.png'}"))
    return paths


def _cmd_predict(args, console):
    files = _audio_files(args.paths)
    if args.plot and not Path(args.plot).parent.is_dir():
        raise CommandError(f"--plot: the folder of '{args.plot}' does not exist.")
    console.info(f"Loading the model {args.model}...")
    model = _load_model(args.model)
    _set_runtime(model, verbose=0)
    from tqdm.auto import tqdm

    from .windows import analyse_recording

    analyses = []
    for path in tqdm(files, desc="recordings", unit="file", disable=args.quiet or len(files) < 2):
        analyses.append(analyse_recording(model, path, window=args.window, hop=args.hop))
    classes = [str(c) for c in model.classes_]
    if args.format == "json":
        print(json.dumps([_recording_record(a) for a in analyses], indent=2))
    elif args.format == "csv":
        print(_predict_csv(analyses, classes))
    else:
        print(_predict_table(analyses, classes))
    if args.plot:
        from .report import plot_emotion_profile

        for a, path in zip(analyses, _plot_paths(args.plot, analyses)):
            plot_emotion_profile(a.distribution.to_dict(), path, timeline=a.timeline,
                                 title=f"{Path(a.source).name}: {a.label}")
            console.info(f"Plot: {path}")
    return 0


# ---------------------------------------------------------------------------- evaluate

def _cmd_evaluate(args, console):
    model = _load_model(args.model)
    transformer = model.steps[0][1]
    classes = [str(c) for c in model.classes_]
    known = [c for c in classes if c in EMOTIONS]
    demo_emotions = known if len(known) == len(classes) else None
    demo_seed = 1 if args.demo_seed is None else args.demo_seed
    if transformer.duration is None and args.corpus == [DEMO]:
        raise CommandError("the model has no clip duration; evaluate it on a real corpus.")
    X, y, groups, _, source = _load_data(
        args, sr=transformer.input_sr or transformer.sr, duration=transformer.duration or 0,
        demo_seed=demo_seed, console=console, emotions=demo_emotions)
    console.info(f"Data: {source}: {_describe_data(y, groups)}")
    unseen = sorted(set(map(str, y)) - set(classes))
    if unseen:
        counts = pd.Series(y).astype(str).value_counts()
        console.warn(
            "the model never learned "
            + ", ".join(f"{u} ({counts[u]} clips)" for u in unseen)
            + "; those clips count as errors (use --emotions to leave them out).")
    _set_runtime(model, verbose=int(not args.quiet), n_jobs=args.n_jobs)
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        classification_report,
        confusion_matrix,
        f1_score,
    )

    y = y.astype(str)
    y_pred = np.asarray(model.predict(list(X))).astype(str)
    labels = sorted(set(classes) | set(y))
    metrics = {
        "accuracy": accuracy_score(y, y_pred),
        "balanced_accuracy": balanced_accuracy_score(y, y_pred),
        "macro_f1": f1_score(y, y_pred, average="macro", zero_division=0),
    }
    cm = confusion_matrix(y, y_pred, labels=labels)
    print(f"{args.model} on {source}: {len(y)} clips")
    print(f"accuracy          {metrics['accuracy']:.4f}")
    print(f"balanced accuracy {metrics['balanced_accuracy']:.4f}  (UAR)")
    print(f"macro-F1          {metrics['macro_f1']:.4f}")
    print()
    print(classification_report(y, y_pred, labels=labels, zero_division=0, digits=3))
    print("Confusion matrix (rows: true, columns: predicted)")
    print(pd.DataFrame(cm, index=labels, columns=labels).to_string())
    if args.out:
        from .report import plot_confusion_matrix, write_json

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        png = plot_confusion_matrix(cm, labels, out / "confusion_matrix.png",
                                    title=f"{Path(args.model).name} on {source}")
        report = classification_report(y, y_pred, labels=labels, zero_division=0,
                                       output_dict=True)
        write_json(out / "metrics.json", {
            "model": os.fspath(args.model), "data": source, "n_clips": len(y),
            **metrics, "labels": labels, "confusion_matrix": cm,
            "classification_report": report,
        })
        console.info(f"Wrote {png} and {out / 'metrics.json'}")
    return 0


# ---------------------------------------------------------------------------- entry point

_COMMANDS = {"compare": _cmd_compare, "train": _cmd_train, "predict": _cmd_predict,
             "evaluate": _cmd_evaluate}
# Failures a user can cause (bad values, missing or unreadable files, failed downloads)
# become one line; anything else is a bug and keeps its traceback.
_EXPECTED = (CommandError, ValueError, TypeError, OSError, DownloadError)


def _one_line(exc) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"{PROG}: warning: {_one_line(message)}", file=sys.stderr)


def main(argv=None) -> int:
    """Run the ``sklearn-ser`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 1 when the command failed (the reason is printed on one line), 2 for
        invalid arguments.

    Examples
    --------
    >>> from sklearn_ser.cli import main
    >>> main(["compare", "--cv", "1"])
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return int(exc.code or 0) if not isinstance(exc.code, str) else _EXIT_USAGE
    args.argv = argv
    console = _Console(getattr(args, "quiet", False))
    debug = bool(os.environ.get("SKLEARN_SER_DEBUG"))
    with warnings.catch_warnings():
        if not debug:
            warnings.showwarning = _show_warning
        try:
            return _COMMANDS[args.command](args, console)
        except _EXPECTED as exc:
            if debug:
                raise
            print(f"{PROG} {args.command}: error: {_one_line(exc)}", file=sys.stderr)
            return _EXIT_FAILURE
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130
