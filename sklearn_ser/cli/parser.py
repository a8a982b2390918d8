"""The argument parser of ``sklearn-ser``: commands, option groups, defaults and help."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import __version__, defaults
from ..datasets import (
    AUDIO_EXTENSIONS,
    COMMON_EMOTIONS,
    CORPUS_NAMES,
    EMOTIONS,
    list_corpora,
)
from ..frontend.augment import AUGMENTATIONS
from . import options
from .features import ESTIMATORS
from .model_file import RUNTIME_CHOICES

__all__ = ["DEMO", "EXIT_USAGE", "PROG", "build_parser"]

PROG = "sklearn-ser"
#: ``--corpus`` name of the built-in synthetic corpus.
DEMO = "demo"
EXIT_USAGE = 2

_TRUST_PICKLE_HELP = (
    "accept a model saved with pickle or joblib. Loading such a file runs any code it "
    "contains: use this only for a file you made yourself or got from someone you trust. "
    "'train' writes the safe format, which loads without unpickling")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a single line instead of the usage block plus a line."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


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
        help="download the corpora (once), then load them; public archives exist for "
             f"{', '.join(c.name for c in list_corpora() if c.archive is not None)}")
    group.add_argument(
        "--allow-http", action="store_true",
        help="with --fetch: let a corpus whose host offers no TLS (EmoDB) download over "
             "plain http (integrity then rests on the archive's CRCs and clip counts)")
    group.add_argument(
        "--emotions", nargs="+", metavar="NAME",
        help=f"keep only these emotions ({', '.join(EMOTIONS)}), or 'common' for the six "
             f"shared by all corpora ({', '.join(COMMON_EMOTIONS)})")
    group.add_argument("--merge-calm", action="store_true",
                       help="relabel RAVDESS 'calm' as 'neutral'")
    demo = parser.add_argument_group("demo corpus")
    demo.add_argument("--n-speakers", type=options.positive_int, default=None, metavar="N",
                      help=f"speakers of the demo corpus (default: {defaults.DEMO_SPEAKERS})")
    demo.add_argument("--clips-per-emotion", type=options.positive_int, default=None,
                      metavar="N", help="clips per speaker and emotion of the demo corpus "
                                        f"(default: {defaults.DEMO_CLIPS_PER_EMOTION})")
    demo.add_argument("--demo-seed", type=int, default=None, metavar="SEED",
                      help="seed of the demo corpus (default: see above)")


def _add_n_jobs(group):
    group.add_argument("--n-jobs", type=options.n_jobs, default=None, metavar="N",
                       help="clips processed in parallel during feature extraction "
                            "(-1: all cores; default: 1)")


_FRAME_FEATURES = ("'mel' (the library's frame features, the default) or 'smile-lld:SET' "
                   "(openSMILE's low-level descriptors of SET, e.g. smile-lld:eGeMAPSv02, "
                   "as frame sequences; needs the opensmile extra)")


def _add_feature_options(parser, *, features_help, features="mel"):
    group = parser.add_argument_group("features")
    group.add_argument("--features", default=features, metavar="SET", help=features_help)
    # default None: "not given", so that functionals (no views) need no --augment none
    group.add_argument(
        "--augment", nargs="*", metavar="NAME", default=None,
        help="augmented views of every training clip (never of test clips): any of "
             f"{', '.join(AUGMENTATIONS)}, or 'none' (default: "
             f"{', '.join(defaults.AUGMENTATIONS)}, the seed's recipe; none for openSMILE "
             "functionals and Whisper frames)")
    group.add_argument("--no-augment", action="store_const", const=["none"], dest="augment",
                       help="train on the clean clips only (same as --augment none)")
    group.add_argument("--duration", type=options.positive_float,
                       default=defaults.CLIP_DURATION, metavar="SECONDS",
                       help="clip length the audio is trimmed, padded or cropped to "
                            f"(default: {defaults.CLIP_DURATION})")
    _add_n_jobs(group)


def _add_model_options(parser, *, epochs, epochs_help=None):
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=options.positive_int, default=epochs, metavar="N",
                       help=epochs_help or f"training epochs (default: {epochs})")
    group.add_argument("--batch-size", type=options.positive_int, default=defaults.BATCH_SIZE,
                       metavar="N", help=f"training rows per step (default: "
                                         f"{defaults.BATCH_SIZE})")
    group.add_argument("--learning-rate", type=options.positive_float, default=None,
                       metavar="LR", help="peak Adam learning rate of the cosine schedule "
                                          f"(default: {defaults.LEARNING_RATE:g})")
    group.add_argument("--validation-fraction", type=options.fraction, default=None,
                       metavar="F",
                       help="hold out this fraction of the training clips to report "
                            "validation accuracy and loss per epoch (default: none, every "
                            "clip trains)")
    group.add_argument("--random-state", type=int, default=defaults.RANDOM_STATE,
                       metavar="SEED", help="seed of folds, augmentations and training "
                                            f"(default: {defaults.RANDOM_STATE})")


def _add_quiet(parser, what="no progress bars or status lines"):
    parser.add_argument("--quiet", "-q", action="store_true", help=what)


_SEED_DEMO = "The demo corpus is generated with --demo-seed (default: --random-state)."
_ARCHS = ", ".join(defaults.ARCHITECTURE_NAMES)


def _add_compare(sub):
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
            f"of {defaults.DEMO_SPEAKERS} speakers x 6 emotions x "
            f"{defaults.DEMO_CLIPS_PER_EMOTION} clips of {defaults.CLIP_DURATION:g} s, "
            f"{defaults.COMPARE_CV} folds, {defaults.COMPARE_EPOCHS} epochs, five "
            "augmentations) finish in under 10 minutes on 2 CPU cores. On a recorded corpus "
            "the architectures learn from Whisper's encoder frames (--features auto), "
            "trained for about the same number of steps whatever its size: all of CREMA-D "
            "(7,438 clips) with --cv 5 takes 21 minutes (docs/accuracy.rst). Progress is one "
            "line per finished model "
            "with its fold UAR and the study's ETA (on a terminal also a bar per level)."),
    )
    _add_data_options(compare, demo_note=_SEED_DEMO)
    _add_feature_options(compare, features="auto", features_help=(
        f"what the architectures learn from: 'whisper' (layer {defaults.WHISPER_LAYER} of "
        f"Whisper base's encoder, 512 values every {20 * defaults.WHISPER_STRIDE} ms, "
        "extracted once for all folds; no augmentation; the weights install with the "
        f"package), {_FRAME_FEATURES}, or 'auto' (the default: whisper for recorded "
        "corpora, mel for the synthetic demo corpus, which is not speech). openSMILE "
        "functionals (one vector per clip) go to classical rows: see --baselines"))
    _add_model_options(compare, epochs=None, epochs_help=(
        f"training epochs (default: {defaults.COMPARE_EPOCHS}; with --features whisper, "
        f"those that give about {defaults.WHISPER_STEPS} optimiser steps, at most "
        f"{defaults.WHISPER_MAX_EPOCHS}: 6 on CREMA-D)"))
    compare.add_argument(
        "--views-per-epoch", type=options.positive_int, default=None, metavar="N",
        help="augmented views of each training clip an epoch trains on, drawn anew every "
             "epoch (default: all, the clean clip and every --augment view)")
    compare.add_argument(
        "--early-stopping", type=options.positive_int, default=None, metavar="EPOCHS",
        help="stop a model when its validation loss has not improved for EPOCHS epochs and "
             "keep its best epoch (needs --validation-fraction; default: train every epoch)")
    compare.add_argument("--archs", nargs="+", metavar="ARCH",
                         default=list(defaults.ARCHITECTURE_NAMES),
                         help=f"architectures to compare (default: all): {_ARCHS}; 'none' "
                              "with --baselines")
    compare.add_argument("--cv", type=options.folds, default=defaults.COMPARE_CV, metavar="K",
                         help="speaker-independent folds (default: "
                              f"{defaults.COMPARE_CV}), or 'corpus' to hold out one corpus "
                              "per fold (several --corpus)")
    compare.add_argument("--no-ensemble", dest="ensemble", action="store_false",
                         help="leave out the soft-voting ensemble row")
    compare.add_argument(
        "--cache", metavar="DIR",
        help="cache the features of every clip in DIR (created if needed; keyed on the "
             "audio's content and the feature settings), for the architectures and the "
             "baselines: later folds, baselines on the same functionals and later runs reuse "
             "them, and their fit times then leave the extraction out (default: no cache)")
    compare.add_argument(
        "--baselines", nargs="+", metavar="FEATURES+EST", default=[],
        help="classical rows beside the architectures, fitted on the same folds: openSMILE "
             "functionals (egemaps = eGeMAPSv02, compare = ComParE_2016, or smile:SET) + "
             "StandardScaler + an estimator (logreg: LogisticRegression(C="
             f"{defaults.FUNCTIONALS_C}, class_weight='balanced'); svc: "
             "SVC(class_weight='balanced')), e.g. "
             "--baselines compare+logreg egemaps+svc (needs the opensmile extra); or "
             "whisper+logreg, the pretrained model's recipe (Whisper's encoder pooled over "
             "the clip, StandardScaler, LogisticRegression). Each uses every whole clip (not "
             "--duration) and no augmentation. With --archs none, only the baselines run")
    compare.add_argument("--out", metavar="DIR",
                         help="write the report here: results_folds.csv, "
                              "results_summary.csv, results.json, report.md, "
                              "confusion_<model>.png, curves_<arch>.png. Every finished "
                              "(model, fold) is saved in DIR/checkpoint as it completes: "
                              "the same command run again resumes where it stopped, and a "
                              "changed setting starts afresh (and says which)")
    compare.add_argument("--scheduler", metavar="ADDRESS",
                         help="run the feature extraction on the dask.distributed cluster "
                              "of this scheduler (e.g. tcp://10.0.0.5:8786; needs the 'dask' "
                              "extra, and the audio at the same paths on every worker)")
    _add_quiet(compare, "no progress bars or status lines (the table is still printed)")


def _add_train(sub):
    train = sub.add_parser(
        "train", help="fit one pipeline on a corpus and save it in the safe format",
        description="Fit Pipeline([AudioFeatureTransformer, SERClassifier]) on all clips of "
                    "the corpora and save it in sklearn-ser's safe format (a zip of JSON and "
                    "a Keras file; loading it never unpickles); load it with "
                    f"sklearn_ser.load or use it with '{PROG} predict' and '{PROG} evaluate'. "
                    "With --features egemaps, compare or smile:SET it fits Pipeline(["
                    "OpenSmileTransformer, StandardScaler, --estimator]) instead.",
    )
    _add_data_options(train, demo_note=_SEED_DEMO)
    _add_feature_options(train, features_help=(
        f"what the model learns from: {_FRAME_FEATURES}, both for --arch; or openSMILE "
        "functionals of each whole clip, 'egemaps' (eGeMAPSv02), 'compare' (ComParE_2016) or "
        "'smile:SET', for StandardScaler + --estimator (the training options do not apply)"))
    _add_model_options(train, epochs=defaults.EPOCHS)
    train.add_argument("--arch", default=None, metavar="ARCH",
                       help=f"architecture (default: {defaults.ARCHITECTURE}): {_ARCHS}")
    train.add_argument("--estimator", default=None, choices=ESTIMATORS,
                       help="classical estimator on openSMILE functionals (default: logreg, "
                            f"LogisticRegression(C={defaults.FUNCTIONALS_C}, "
                            "class_weight='balanced'); svc: "
                            "SVC(class_weight='balanced'))")
    train.add_argument("--out", required=True, metavar="FILE",
                       help="where to save the fitted pipeline (e.g. model.skser); checked "
                            "before any data is loaded")
    _add_quiet(train)


class _ModelOrAudio(argparse.Action):
    """``predict [MODEL] PATH...``: a first argument naming audio (a folder, or a file with an
    audio extension) is the first PATH, and MODEL is None (the pretrained model)."""

    def __call__(self, parser, namespace, values, option_string=None):
        first = Path(namespace.model)
        if first.is_dir() or first.suffix.lower() in AUDIO_EXTENSIONS:
            namespace.model, values = None, [namespace.model, *values]
        elif not values:
            parser.error("the following arguments are required: PATH (audio files or "
                         "folders after MODEL; without MODEL the pretrained model is used)")
        setattr(namespace, self.dest, values)


def _add_predict(sub):
    predict = sub.add_parser(
        "predict", help="emotions of audio files, with a timeline for long recordings",
        description="Predict the emotion of audio files. A model of clips of any length "
                    "(the pretrained Whisper model) classifies each recording whole unless "
                    "--window is given. Otherwise a recording longer than the analysis "
                    "window (default: the model's clip duration) is cut into overlapping "
                    "windows; each window is classified and the recording's emotion "
                    "distribution is the mean of the window probabilities. A file "
                    "that cannot be read is reported in the output and in a summary line "
                    "(exit status 1); the other files are still analysed.",
    )
    predict.add_argument("model", metavar="MODEL",
                         help="a pipeline saved by 'train'; leave it out to use the pretrained "
                              "model (sklearn_ser.load_pretrained(): six emotions of acted "
                              "English speech, see its model card for the terms of use)")
    predict.add_argument("paths", nargs="*", metavar="PATH", action=_ModelOrAudio,
                         help="audio files, or folders searched recursively for "
                              f"{', '.join(sorted(AUDIO_EXTENSIONS))} files")
    predict.add_argument("--format", choices=("table", "csv", "json"), default="table",
                         help="output format (default: table). csv: one row per recording "
                              "(scope=recording) and per window (scope=window); json: one "
                              "object per recording with its windows")
    predict.add_argument("--window", type=options.positive_float, metavar="SECONDS",
                         help="analysis window (default: the model's clip duration)")
    predict.add_argument("--hop", type=options.positive_float, metavar="SECONDS",
                         help="seconds between windows (default: half the window)")
    predict.add_argument("--plot", metavar="OUT.png",
                         help="save the emotion distribution and timeline as a PNG (with "
                              "several recordings: one file each, named OUT_<recording>.png)")
    predict.add_argument("--csv", metavar="FILE",
                         help="also write the csv table (recordings and windows) to FILE")
    predict.add_argument("--adapt", action="store_true",
                         help="first standardise the model with the statistics of the PATHs "
                              "given (sklearn_ser.pretrained.adapt; no labels): for speech "
                              "unlike the model's training data, given a few dozen recordings "
                              "or more of several emotions; needs a model with a "
                              "StandardScaler, such as the pretrained one")
    predict.add_argument("--trust-pickle", action="store_true", help=_TRUST_PICKLE_HELP)
    _add_runtime(predict)
    _add_quiet(predict, "no progress bar or status lines")


def _add_runtime(command):
    command.add_argument("--runtime", choices=RUNTIME_CHOICES, default="auto",
                         help="how the network runs (default: auto). numpy: without "
                              "TensorFlow (less memory, faster start; same probabilities up "
                              "to float32 rounding); keras: with TensorFlow; auto: numpy "
                              "unless the model has a layer it does not implement, then "
                              "keras (and says so)")


def _add_evaluate(sub):
    evaluate = sub.add_parser(
        "evaluate", help="metrics and confusion matrix of a saved model on a corpus",
        description="Accuracy, balanced accuracy (UAR), macro-F1, the classification report "
                    "and the confusion matrix of a saved pipeline on the clips of a corpus.",
    )
    evaluate.add_argument("model", metavar="MODEL", help="a pipeline saved by 'train'")
    _add_data_options(evaluate, demo_note="The demo corpus is generated with --demo-seed "
                                          "(default: 1, so its clips are unseen by a model "
                                          "trained on the default demo corpus).")
    _add_n_jobs(evaluate)
    evaluate.add_argument("--out", metavar="DIR",
                          help="write metrics.json and confusion_matrix.png here")
    evaluate.add_argument("--trust-pickle", action="store_true", help=_TRUST_PICKLE_HELP)
    _add_runtime(evaluate)
    _add_quiet(evaluate, "no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The ``sklearn-ser`` parser with its four commands."""
    parser = _Parser(
        prog=PROG,
        description="Speech emotion recognition that speaks scikit-learn: compare the five "
                    "architectures, train a model, predict emotions of recordings, evaluate "
                    "a model on a corpus.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for add in (_add_compare, _add_train, _add_predict, _add_evaluate):
        add(sub)
    return parser
