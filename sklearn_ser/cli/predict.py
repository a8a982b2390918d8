"""``sklearn-ser predict``: emotions of audio files, one bad file never loses the others."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..datasets import AUDIO_EXTENSIONS
from ..frontend.decode import AudioInputError, audio_info
from ..utils.progress import Progress
from .errors import CommandError, one_line
from .model_file import load_for_runtime, set_runtime
from .output import (
    Failure,
    check_output_target,
    plot_paths,
    predictions_csv,
    predictions_json,
    predictions_table,
)

__all__ = ["audio_files", "run"]


def _report_not_files(folder):
    """Warn about entries named like audio that are no files (a folder, a broken link)."""
    from ..datasets._scan import not_audio_files

    odd = not_audio_files(folder)
    if odd:
        shown = "; ".join(f"'{p}': {why}" for p, why in odd[:5])
        warnings.warn(f"skipped {len(odd)} entries of '{folder}' named like audio files that "
                      f"are not files: {shown}{' ...' if len(odd) > 5 else ''}", UserWarning,
                      stacklevel=3)


def audio_files(paths) -> list[Path]:
    """Files named on the command line, and audio files found below named folders."""
    files, seen = [], set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS
                           and not any(part.startswith(".") for part in
                                       p.relative_to(path).parts))
            _report_not_files(path)
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


def _check_window(model, window):
    """``--window`` against the model's clip duration, before any file is read."""
    from ..inference import window_rate

    transformer = model.steps[0][1]
    duration = transformer.duration
    if window is None and duration is None:
        return  # a model of clips of any length classifies each recording whole
    try:
        window_rate(transformer)
    except ValueError as exc:
        raise CommandError(f"the model cannot analyse recordings in windows: {exc}") from exc
    if window is not None and duration is not None and window > duration + 1e-9:
        raise CommandError(
            f"--window {window:g} s exceeds the model's clip duration ({duration:g} s): the "
            "feature transformer would crop every window to the clip duration.")


def _whole(model, path):
    """A recording classified whole, by a model that reads clips of any length."""
    import pandas as pd

    from ..inference import RecordingAnalysis

    proba = model.predict_proba([os.fspath(path)])[0]
    classes = [str(c) for c in model.classes_]
    distribution = pd.Series(proba, index=classes)
    label = classes[int(proba.argmax())]
    duration = audio_info(path).duration
    timeline = pd.DataFrame([{"start": 0.0, "end": duration, "label": label,
                              **distribution.to_dict()}])
    return RecordingAnalysis(os.fspath(path), duration, timeline, distribution, label)


def _adapt(model, files, console):
    """``--adapt``: the model standardised with the statistics of the recordings given."""
    from ..pretrained import adapt

    console.info(f"Adapting the model to the {len(files)} recording(s) given "
                 "(sklearn_ser.pretrained.adapt: no labels used)...")
    try:
        return adapt(model, [os.fspath(f) for f in files])
    except (TypeError, ValueError) as exc:
        raise CommandError(f"--adapt: {one_line(exc)}") from exc
    except (AudioInputError, OSError) as exc:
        raise CommandError(f"--adapt reads every recording first, and one cannot be read: "
                           f"{one_line(exc)}") from exc


def _analyse(model, files, args):
    from ..inference import analyse_recording

    whole = args.window is None and model.steps[0][1].duration is None
    results = []
    with Progress(len(files), "recordings", unit="file",
                  enabled=not args.quiet and len(files) > 1) as progress:
        for path in files:
            try:
                results.append(_whole(model, path) if whole else analyse_recording(
                    model, path, window=args.window, hop=args.hop))
            # a corrupt, truncated or unreadable file: reported, the others go on
            except (AudioInputError, OSError) as exc:
                results.append(Failure(os.fspath(path), one_line(exc)))
            progress.update(1)
    return results


def run(args, console) -> int:
    plot = check_output_target(args.plot, "--plot", example="profile.png") if args.plot else None
    csv = check_output_target(args.csv, "--csv", example="predictions.csv") if args.csv else None
    files = audio_files(args.paths)
    if args.model is None:
        from ..pretrained import MODEL_FILE, model_card

        console.info("No model given: using the pretrained model (sklearn_ser.load_pretrained"
                     f"(); {model_card()['terms_short']}, see its model card).")
        model = load_for_runtime(MODEL_FILE, args.runtime, console,
                                 trust_pickle=args.trust_pickle, windows=False)
    else:
        console.info(f"Loading the model {args.model}...")
        model = load_for_runtime(args.model, args.runtime, console,
                                 trust_pickle=args.trust_pickle, windows=False)
    _check_window(model, args.window)
    if args.adapt:
        model = _adapt(model, files, console)
    set_runtime(model, verbose=0)
    results = _analyse(model, files, args)
    classes = [str(c) for c in model.classes_]
    formats = {"json": predictions_json, "csv": predictions_csv, "table": predictions_table}
    print(formats[args.format](results, classes))
    if csv is not None:
        csv.parent.mkdir(parents=True, exist_ok=True)
        csv.write_text(predictions_csv(results, classes) + "\n", encoding="utf-8")
        console.info(f"CSV: {csv}")
    analysed = [r for r in results if not isinstance(r, Failure)]
    if plot is not None and analysed:
        from ..report import plot_emotion_profile

        plot.parent.mkdir(parents=True, exist_ok=True)
        for a, path in zip(analysed, plot_paths(plot, [a.source for a in analysed])):
            plot_emotion_profile(a.distribution.to_dict(), path, timeline=a.timeline,
                                 title=f"{Path(a.source).name}: {a.label}")
            console.info(f"Plot: {path}")
    failures = [r for r in results if isinstance(r, Failure)]
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise CommandError(f"{len(failures)} of {len(results)} file(s) could not be analysed "
                           f"(marked 'error' in the output): {failures[0].reason}{more}")
    return 0
