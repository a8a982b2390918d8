"""The report of a five-architecture study: settings, tables, figures and notes, on disk."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from ..defaults import LEARNING_RATE
from .figures import plot_confusion_matrix, plot_training_curves
from .files import safe_name, write_markdown_report, write_results
from .tables import format_fold_table, format_table

__all__ = ["comparison_settings", "write_comparison_report"]

_NOTES = (
    "Final acc / val acc / loss / val loss: the Keras history at the epoch whose weights "
    "the model keeps (early stopping restores the best validation loss), as the seed "
    "recipe printed them. Training accuracy is measured on augmented rows with dropout.",
    "Held-out acc, UAR (unweighted average recall = balanced accuracy) and macro-F1: on "
    "the test speakers of each fold, never seen in training or validation.",
    "Fit time: seconds per fold for one model (feature extraction excluded: it is done "
    "once per fold and shared). Params: trainable parameters.",
)
#: Report files besides the figures (deleted before a new report is moved in).
_REPORT_FILES = ("report.md", "results.json", "results_folds.csv", "results_summary.csv")
_ENSEMBLE_NOTE = (
    "ensemble: soft voting, the mean of the architectures' predict_proba; it has no "
    "training history of its own ('-'); its fit time and parameters are the sums over its "
    "members.")
_BASELINE_NOTE = (
    "{names}: classical pipelines, each on its own features, fitted and scored on the same "
    "folds (not part of the ensemble); no training history ('-'); their fit time includes "
    "their feature extraction of the training clips; Params: coefficients of a linear final "
    "step ('-' otherwise).")


def _feature_names(run) -> str:
    """The architectures' features: AudioFeatureTransformer's names, or an openSMILE set."""
    features = run.get("transformer", {})
    if "feature_set" in features:  # OpenSmileTransformer
        return f"openSMILE {features['feature_set']} ({features.get('level')})"
    return ", ".join(features.get("features") or ())


def _augmentation_names(augment) -> list[str]:
    if not augment:
        return []
    if isinstance(augment, str):
        augment = [augment]
    names = []
    for item in augment:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, (tuple, list)) and item and isinstance(item[0], str):
            names.append(item[0])  # a (name, params) pair
        else:
            names.append(getattr(item, "__name__", type(item).__name__))
    return names


def comparison_settings(result, context: Mapping[str, object] = ()) -> dict:
    """The settings table of a study report: ``context`` first, then what the study ran.

    Parameters
    ----------
    result : StudyResult
        Output of :func:`sklearn_ser.study.compare_architectures`.
    context : mapping, default=()
        What only the caller knows, shown first (the command, the data, the folds).

    Returns
    -------
    settings : dict of str to object
    """
    run = result.settings
    clf = run.get("classifier", {})
    features = run.get("transformer", {})
    rate = clf.get("optimizer__learning_rate", LEARNING_RATE)
    schedule = clf.get("lr_schedule")
    augment = _augmentation_names(features.get("augment"))
    return {
        **dict(context),
        "Architectures": list(run.get("archs", ())),
        **({"Baselines": "; ".join(f"{name}: {est}" for name, est in run["baselines"].items())}
           if run.get("baselines") else {}),
        "Ensemble": "soft voting (mean predict_proba)" if run.get("ensemble") else "no",
        "Epochs": clf.get("epochs"),
        "Batch size": clf.get("batch_size"),
        "Learning rate": (f"{schedule} schedule, peak {rate:g}" if schedule
                          else f"{rate:g}"),
        "Validation fraction": clf.get("validation_fraction") or "none (every clip trains)",
        "Augmentation (training clips only)": ", ".join(augment) if augment else "none",
        "Clip duration (s)": features.get("duration"),
        "Sample rate (Hz)": features.get("sr"),
        "Features": _feature_names(run),
        "Total time (s)": f"{result.total_time:.0f}",
        **({"Time per phase (s)": ", ".join(f"{phase} {seconds:.0f}" for phase, seconds
                                            in result.phase_times.items())}
           if getattr(result, "phase_times", None) else {}),
        "Feature extraction (s)": ", ".join(f"{t:.1f}" for t in result.extraction_time)
                                  or "none in this run",
        **({"Resumed": f"{result.n_resumed} (model, fold) results restored from the "
                       "checkpoint of an earlier run of the same configuration"}
           if getattr(result, "n_resumed", 0) else {}),
        **({"Configuration key": run["config_key"]} if run.get("config_key") else {}),
    }


def write_comparison_report(out_dir, result, *, context: Mapping[str, object] = (),
                            title: str = "sklearn-ser: architecture comparison"
                            ) -> dict[str, Path]:
    """Write everything about a study into a folder.

    Files: ``results_folds.csv``, ``results_summary.csv``, ``results.json`` (settings,
    labels, confusion matrices, histories, extraction times), ``confusion_<model>.png`` per
    model, ``curves_<arch>.png`` per architecture and ``report.md`` linking them.

    Parameters
    ----------
    out_dir : str or path-like
        Folder, created if needed.
    result : StudyResult
        Output of :func:`sklearn_ser.study.compare_architectures`.
    context : mapping, default=()
        Settings only the caller knows (see :func:`comparison_settings`).
    title : str, default="sklearn-ser: architecture comparison"
        Heading of the report.

    Returns
    -------
    paths : dict of str to Path
        ``"report"``, ``"folds_csv"``, ``"summary_csv"``, ``"json"``, and per figure
        ``"confusion_<model>"`` / ``"curves_<arch>"``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".report-"))
    try:
        paths = _write_report(staging, result, context, title, started)
        _swap_in(out, staging, paths)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {key: out / path.name for key, path in paths.items()}


def _swap_in(out, staging, paths):
    """Replace the report files of ``out`` by the staged ones.

    The old report's files are deleted first, so that a run killed while this moves files
    leaves part of one report, never two reports of different runs mixed.
    """
    for old in [*out.glob("confusion_*.png"), *out.glob("curves_*.png"),
                *(out / name for name in _REPORT_FILES)]:
        old.unlink(missing_ok=True)
    for path in paths.values():
        os.replace(path, out / path.name)


def _write_report(out, result, context, title, started):
    n_folds = int(result.folds["fold"].nunique())
    settings = comparison_settings(result, context)
    paths, figures = {}, {}
    for model, cm in result.confusion.items():
        key = f"confusion_{safe_name(model)}"
        paths[key] = plot_confusion_matrix(
            cm, result.labels, out / f"{key}.png",
            title=f"{model}: confusion (sum over {n_folds} folds)")
        figures.setdefault(model, {})["Confusion matrix"] = paths[key]
    for arch, histories in result.histories.items():
        key = f"curves_{safe_name(arch)}"
        paths[key] = plot_training_curves(histories, out / f"{key}.png",
                                          title=f"{arch}: training curves ({n_folds} folds)")
        figures.setdefault(arch, {})["Training curves"] = paths[key]
    paths.update(write_results(out, result.folds, result.summary, extra={
        "settings": settings,
        "labels": result.labels,
        "confusion": result.confusion,
        "histories": result.histories,
        "extraction_time": result.extraction_time,
        "phase_times": getattr(result, "phase_times", {}),
    }))
    # the report's own time, measured before the last file is written so it can say it
    phases = getattr(result, "phase_times", None) or {}
    if phases:
        settings["Time per phase (s)"] = ", ".join(
            f"{phase} {seconds:.0f}" for phase, seconds in
            {**phases, "report": time.perf_counter() - started}.items())
    notes = [*_NOTES, *([_ENSEMBLE_NOTE] if result.settings.get("ensemble") else [])]
    if result.settings.get("baselines"):
        notes.append(_BASELINE_NOTE.format(names=", ".join(result.settings["baselines"])))
    paths["report"] = write_markdown_report(
        out / "report.md", title=title, settings=settings,
        table=format_table(result.summary, markdown=True), notes=notes,
        sections=[("Per fold", format_fold_table(result.folds))], figures=figures)
    return paths
