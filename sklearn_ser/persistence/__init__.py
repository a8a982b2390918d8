"""The safe model format: :func:`save` and :func:`load`, which never unpickles.

A model file is one zip: ``manifest.json`` (format name and version, library versions, the
SHA-256 of every member), ``estimator.json`` (the estimator's classes, parameters and fitted
attributes as JSON), arrays as ``.npy`` (read with ``allow_pickle=False``), each Keras network
in Keras's native ``.keras`` format (loaded with ``safe_mode=True``) and classical
scikit-learn steps through skops.io with an explicit list of trusted types. See
:doc:`/persistence` for why, and what survives upgrades.

Examples
--------
>>> import numpy as np
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from sklearn.svm import SVC
>>> from sklearn_ser import AudioFeatureTransformer, load, save
>>> rng = np.random.default_rng(0)
>>> waves = [rng.standard_normal(8000) * a for a in (0.1, 0.5) * 4]
>>> y = ["calm", "angry"] * 4
>>> pipe = make_pipeline(AudioFeatureTransformer(duration=0.5, output="stats"),
...                      StandardScaler(), SVC()).fit(waves, y)
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as folder:
...     path = save(pipe, pathlib.Path(folder) / "model.skser")
...     loaded = load(path)
>>> loaded
Pipeline(steps=[('audiofeaturetransformer',
                 AudioFeatureTransformer(duration=0.5, output='stats')),
                ('standardscaler', StandardScaler()), ('svc', SVC())])
>>> bool((loaded.predict(waves) == pipe.predict(waves)).all())
True
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from . import _archive, _classes
from ._archive import (
    PICKLE_RISK,
    ArchiveReader,
    ArchiveWriter,
    ModelFileError,
    PickleModelFileError,
    pickle_kind,
    starts_as_zip,
)
from ._nodes import Decoder, Encoder
from ._policy import CALLER_PARAMS
from ._target import OutputPathError, check_target

# bound here with their doc comments, which the API reference shows
#: Version of the layout :func:`save` writes; :func:`load` refuses files with a higher one.
FORMAT_VERSION = _archive.FORMAT_VERSION
#: Suggested file extension; any name works, since the format is recognised by its content.
SUFFIX = _archive.SUFFIX
#: How :func:`load` runs the networks of fitted SERClassifier steps.
RUNTIMES = ("keras", "numpy")
#: Estimators stored natively, public name -> (module, class); any other scikit-learn
#: estimator is stored with skops.io. A class name read from a file is looked up here only.
NATIVE_CLASSES = _classes.NATIVE_CLASSES
#: Types that skops.io may rebuild beyond its defaults (builtins, NumPy, SciPy, scikit-learn
#: estimators): scikit-learn's own helpers kept by fitted trees, neighbour searches,
#: calibration, MLPs and univariate feature selection. A skops member naming any other type
#: is refused with an error naming it.
TRUSTED_TYPES = _classes.TRUSTED_TYPES
#: Bytes loading one file may read, decompress and allocate, all members together (a member
#: referenced N times counts N times); :func:`load` takes a larger ``max_bytes`` when needed.
MAX_LOAD_BYTES = _archive.MAX_LOAD_BYTES

__all__ = [
    "CALLER_PARAMS",
    "FORMAT_VERSION",
    "MAX_LOAD_BYTES",
    "NATIVE_CLASSES",
    "RUNTIMES",
    "SUFFIX",
    "TRUSTED_TYPES",
    "ModelFileError",
    "OutputPathError",
    "PickleModelFileError",
    "is_model_file",
    "load",
    "load_model_file",
    "save",
]


def save(estimator, path) -> Path:
    """Save an estimator, fitted or not, in the safe format.

    Parameters
    ----------
    estimator : estimator
        A :class:`~sklearn_ser.AudioFeatureTransformer`, :class:`~sklearn_ser.SERClassifier`,
        a :class:`~sklearn.pipeline.Pipeline`, :class:`~sklearn.pipeline.FeatureUnion` or
        :class:`~sklearn.ensemble.VotingClassifier` of them, or any scikit-learn estimator
        (stored with skops.io).
    path : str or path-like
        The file to write (``.skser`` is the usual extension). It is written to a temporary
        file next to it, then renamed: a failed save leaves no partial file, and an
        existing file at ``path`` is replaced only once the new one is complete.

    Returns
    -------
    path : pathlib.Path
        The written file.

    Raises
    ------
    TypeError
        If a parameter or fitted attribute cannot be stored without code (a callable
        ``arch`` or augmentation, Keras callback instances, a ``joblib.Memory``, objects of
        unknown types). The message names it, as ``clf__arch`` for a pipeline step.
    FileNotFoundError
        If the folder of ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    OutputPathError
        If ``path`` is a symbolic link (never followed) or exists and is not a regular file
        (a FIFO, a device): nothing is written to it.
    OSError
        If the file cannot be written (no permission, the disk is full); the message names
        ``path`` and the reason.
    """
    path = Path(path)
    if not hasattr(estimator, "get_params"):
        raise TypeError(f"save expects a scikit-learn estimator, got {type(estimator).__name__}.")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Cannot save to '{path}': folder '{path.parent}' does not "
                                "exist.")
    if path.is_dir() and not path.is_symlink():
        raise IsADirectoryError(f"Cannot save to '{path}': it is a folder; give a file name "
                                f"such as model{SUFFIX}.")
    check_target(path, what="save to")
    writer = ArchiveWriter()
    tree = Encoder(writer).encode(estimator, "the estimator")
    writer.write(path, tree, type(estimator).__name__)
    return path


def load(path, *, runtime="keras", params=None, max_bytes=MAX_LOAD_BYTES):
    """Load an estimator saved by :func:`save`, without unpickling anything.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    runtime : {"keras", "numpy"}, default="keras"
        How the networks of fitted :class:`~sklearn_ser.SERClassifier` steps run.
        ``"keras"``: the SERClassifier itself, which can predict, refit and fine-tune.
        ``"numpy"``: each becomes a predict-only
        :class:`~sklearn_ser.classifier.NumpySERClassifier` that runs the same network in
        NumPy, so TensorFlow is never imported: predicting then needs a few hundred MB of
        memory instead of TensorFlow's ~725 MB floor, and starts in a fraction of the
        time. Its probabilities equal Keras's up to float32 rounding.
    params : dict, optional
        Values of the parameters a model file may not set (:data:`CALLER_PARAMS`: cache
        folders, model folders and downloads, network access), by their routed names as in
        ``set_params`` (``{"features__memory": "cache"}``). Such parameters not given here
        get their defaults, whatever the file says; a file that recorded another pretrained
        model (``model`` or ``revision`` of a SpeechEmbeddingTransformer) is refused until
        the caller names it here.
    max_bytes : int, default=MAX_LOAD_BYTES
        What loading may read, decompress and allocate for the file's members, all together
        (a member referenced N times counts N times); a file needing more is refused before
        the memory is spent.

    Returns
    -------
    estimator : estimator
        The estimator, predicting exactly as the saved one did.

    Raises
    ------
    PickleModelFileError
        If the file is a pickle or joblib file (see :func:`load_model_file`).
    ModelFileError
        If the file is not a sklearn-ser model file, is damaged or was modified after it was
        written (a member's SHA-256 differs from the manifest's), was written in a newer
        format version, holds types that are not trusted, sets an attribute named like a
        method, needs more than ``max_bytes``, or has a network whose settings or weights
        are out of bounds (the message names the member).
    FileNotFoundError
        If the file does not exist.
    sklearn_ser.numpy_network.UnsupportedNetworkError
        With ``runtime="numpy"``, if a network has a layer or setting the NumPy runtime does
        not implement (the message names it); the default runtime loads it.
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(map(repr, RUNTIMES))}, got "
                         f"{runtime!r}.")
    from ..numpy_network import UnsupportedNetworkError

    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive int, got {max_bytes!r}.")
    with contextlib.closing(ArchiveReader(path, max_bytes)) as reader:
        decoder = Decoder(reader, runtime, params)
        try:
            estimator = decoder.decode(reader.tree())
        except (ModelFileError, UnsupportedNetworkError):
            raise
        except RecursionError:
            decoder.fail("has an estimator.json nested too deeply to be one we wrote.")
        except (LookupError, TypeError, ValueError, AttributeError, OverflowError) as err:
            decoder.fail(f"has an invalid estimator.json ({type(err).__name__}: {err}).")
        decoder.caller.check_all_used(path)
    if decoder.unfitted_stand_ins and not _is_fitted(estimator):
        decoder.fail(f"holds an unfitted {decoder.unfitted_stand_ins[0]}; runtime={runtime!r} "
                     "only predicts with fitted networks. Load it with runtime='keras' to fit "
                     "it.")
    return estimator


def _is_fitted(estimator) -> bool:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def is_model_file(path) -> bool:
    """Whether ``path`` is a file in the safe format (only its manifest is read).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    bool
    """
    try:
        ArchiveReader(path).close()
    except (ModelFileError, FileNotFoundError):
        return False
    return True


def load_model_file(path, *, trust_pickle=False, runtime="keras", params=None,
                    max_bytes=MAX_LOAD_BYTES):
    """Load a model file: the safe format, or pickle/joblib only when trusted explicitly.

    This is what the command line uses (``--trust-pickle`` sets ``trust_pickle``).

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`, or by :func:`joblib.dump` / :func:`pickle.dump`.
    trust_pickle : bool, default=False
        Load a pickle-based file with :func:`joblib.load`. Unpickling can run any code the
        file contains: pass True only for files from a source you trust.
    runtime : {"keras", "numpy"}, default="keras"
        As in :func:`load`, for a file in the safe format (a pickle is loaded as it is).
    params : dict, optional
        As in :func:`load`.
    max_bytes : int, default=MAX_LOAD_BYTES
        As in :func:`load`.

    Returns
    -------
    estimator : estimator

    Raises
    ------
    PickleModelFileError
        If the file is pickle-based and ``trust_pickle`` is False; the message explains the
        risk and names the option.
    ModelFileError
        As :func:`load`, for a file that is neither.
    """
    path = Path(path)
    try:
        return load(path, runtime=runtime, params=params, max_bytes=max_bytes)
    except PickleModelFileError:
        if not trust_pickle:
            raise PickleModelFileError(
                f"'{path}' is {pickle_kind(path)} file. {PICKLE_RISK} To load it anyway, pass "
                "trust_pickle=True (--trust-pickle on the command line). Files written by "
                "sklearn_ser.save load without unpickling."
            ) from None
    except ModelFileError:
        if not trust_pickle or starts_as_zip(path):
            raise
    import joblib

    return joblib.load(path)
