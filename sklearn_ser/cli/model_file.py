"""Model files of the command line: the safe format written by ``train``, read back safely.

``train`` writes :func:`sklearn_ser.save`'s format, which loads without unpickling. A pickle
or joblib file runs whatever code it holds when it is loaded, so ``predict`` and
``evaluate`` refuse one unless ``--trust-pickle`` says the user trusts its origin.
"""

from __future__ import annotations

from pathlib import Path

from .errors import CommandError

__all__ = ["RUNTIME_CHOICES", "check_can_save", "load_for_runtime", "load_model", "save_model",
           "set_runtime"]

#: ``--runtime`` of ``predict`` and ``evaluate``: auto runs NumPy where it can.
RUNTIME_CHOICES = ("auto", "numpy", "keras")


def _describe(transformer) -> str:
    """What a model's front end computes, in the words of ``--features``."""
    if type(transformer).__name__ != "OpenSmileTransformer":
        return type(transformer).__name__
    level = getattr(transformer, "level", "functionals")
    what = "functionals" if level == "functionals" else "low-level descriptors"
    return f"openSMILE {what} ({transformer.feature_set})"


def load_model(path, *, trust_pickle=False, windows=True, runtime="keras"):
    """The fitted pipeline in ``path``; a user error names the file and the reason.

    The model must be a pipeline from audio (its first step a front-end transformer:
    :func:`sklearn_ser.inference.audio_transformer`) ending in ``predict_proba``. ``windows``:
    it must also analyse windows of a recording (``predict``), which needs a fixed clip
    duration and sample rate. ``runtime``: as in :func:`sklearn_ser.load`.
    """
    from ..inference import audio_transformer, window_rate
    from ..persistence import load_model_file

    if not Path(path).is_file():
        reason = "is a folder" if Path(path).is_dir() else "does not exist"
        raise CommandError(f"model file '{path}' {reason}.")
    # a refused pickle and a damaged or foreign file raise ModelFileError, a user error
    from ..numpy_network import UnsupportedNetworkError
    from ..persistence import ModelFileError

    try:
        model = load_model_file(path, trust_pickle=trust_pickle, runtime=runtime)
    except (ModelFileError, OSError, UnsupportedNetworkError):
        raise
    except Exception as exc:
        if not trust_pickle:
            raise
        # the unpickler raises many types for a file it cannot read; the reason is the message
        raise CommandError(f"cannot unpickle the model '{path}': {type(exc).__name__}: "
                           f"{exc}") from exc
    try:
        transformer = audio_transformer(model)
    except TypeError as exc:
        raise CommandError(f"'{path}' is not an sklearn-ser model: {exc}") from exc
    if windows:
        # predict cuts recordings into windows of the model's clip duration, at its rate
        try:
            if transformer.duration is None:
                raise ValueError(f"the model classifies whole clips of any length (its "
                                 f"{type(transformer).__name__} has duration=None).")
            window_rate(transformer)
        except ValueError as exc:
            raise CommandError(
                f"'{path}' ({_describe(transformer)}) cannot analyse recordings in windows: "
                f"{exc} Score it on a corpus with 'sklearn-ser evaluate', or train a model of "
                "a fixed clip duration for predict (train --features mel or smile-lld:SET)."
            ) from exc
    return model


def load_for_runtime(path, runtime, console, *, trust_pickle=False, windows=True):
    """:func:`load_model` with the networks run as ``--runtime`` says.

    auto tries the NumPy runtime and falls back to TensorFlow, with a status line, only for a
    network it does not implement; numpy makes that case a user error.
    """
    if runtime == "keras":
        return load_model(path, trust_pickle=trust_pickle, windows=windows)
    from ..numpy_network import UnsupportedNetworkError

    try:
        return load_model(path, trust_pickle=trust_pickle, windows=windows, runtime="numpy")
    except UnsupportedNetworkError as exc:
        if runtime == "numpy":
            raise CommandError(f"--runtime numpy: {exc}") from exc
        console.info(f"{exc} Running it with TensorFlow (--runtime keras).")
        return load_model(path, trust_pickle=trust_pickle, windows=windows)


def save_model(model, path) -> Path:
    """Save a fitted pipeline in the safe format, creating the folder."""
    from ..persistence import save

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save(model, path)


def set_runtime(model, *, verbose, n_jobs=None):
    """Progress and parallelism of a loaded model's transformer (in memory only)."""
    step = model.steps[0][1]
    step.set_params(verbose=verbose)
    if n_jobs is not None:
        step.set_params(n_jobs=n_jobs)


def check_can_save(model, option):
    """Refuse, before any work, a pipeline the safe format cannot store.

    The pipeline is saved unfitted to a temporary folder: a parameter or a step the format
    cannot hold fails there in a second, not after the training.
    """
    import tempfile

    from ..persistence import save

    with tempfile.TemporaryDirectory() as folder:
        try:
            save(model, Path(folder) / "probe.skser")
        except TypeError as exc:
            raise CommandError(f"{option}: the safe model format cannot store this pipeline, "
                               f"so nothing was trained: {exc}") from exc
