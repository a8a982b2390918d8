"""The report of a five-architecture study: settings, tables, figures and notes, on disk."""

from __future__ import annotations

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
        "Feature extraction per fold (s)": ", ".join(f"{t:.1f}" for t in
                                                     result.extraction_time),
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
    }))
    notes = [*_NOTES, *([_ENSEMBLE_NOTE] if result.settings.get("ensemble") else [])]
    if result.settings.get("baselines"):
        notes.append(_BASELINE_NOTE.format(names=", ".join(result.settings["baselines"])))
    paths["report"] = write_markdown_report(
        out / "report.md", title=title, settings=settings,
        table=format_table(result.summary, markdown=True), notes=notes,
        sections=[("Per fold", format_fold_table(result.folds))], figures=figures)
    return paths
