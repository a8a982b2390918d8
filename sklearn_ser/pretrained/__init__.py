"""The pretrained models: emotions of speech out of the box, offline.

:func:`load_pretrained` returns a fitted Pipeline shipped in this package (the safe model
format of :mod:`sklearn_ser.persistence`, never a pickle): by default Whisper's encoder with
a linear head (:func:`recipe`), which :func:`adapt` fits to a user's unlabelled recordings;
``load_pretrained("cnn_gru")`` the first edition, log-mel features and a Keras network.
:func:`model_card` gives a model's training data, licences, citations, measured accuracy
and limits; :func:`example_clips` three real CREMA-D clips to try them on;
:func:`fine_tune` continues the training of the Keras model on a user's corpus.
``benchmarks/whisper/train_pretrained.py`` and ``benchmarks/accuracy/train_pretrained.py``
reproduce them from the corpora.
"""

from __future__ import annotations

import json
from pathlib import Path

from ._finetune import fine_tune, fine_tune_classifier
from ._recipe import adapt, recipe

__all__ = ["CARD_FILE", "MODEL_FILE", "PRETRAINED", "adapt", "example_clips", "fine_tune",
           "fine_tune_classifier", "load_pretrained", "model_card", "recipe"]

_HERE = Path(__file__).resolve().parent
#: The shipped models, by name: (model file in the safe format, model card as JSON).
PRETRAINED = {
    "whisper": (_HERE / "whisper_six_emotions.skser", _HERE / "whisper_model_card.json"),
    "cnn_gru": (_HERE / "ser_six_emotions.skser", _HERE / "model_card.json"),
}
_DEFAULT = "whisper"
#: The default model's file and card.
MODEL_FILE, CARD_FILE = PRETRAINED[_DEFAULT]
_EXAMPLES = _HERE / "examples"


def _files(name):
    if name not in PRETRAINED:
        raise ValueError(f"Parameter 'name'={name!r} is not a pretrained model; known: "
                         f"{', '.join(PRETRAINED)}.")
    return PRETRAINED[name]


def _missing(path, what):
    return FileNotFoundError(
        f"The pretrained {what} '{path}' is missing from this installation of sklearn-ser "
        "(a build without package data?); reinstall the package, or rebuild the model with "
        "benchmarks/accuracy/train_pretrained.py.")


def load_pretrained(name="whisper", *, runtime="keras"):
    """A pretrained Pipeline: audio paths or waveforms in, six emotions out.

    ``"whisper"`` (the default): :func:`recipe` trained on acted speech of three corpora
    (CREMA-D and TESS in English, EmoDB in German; 7,438 + 2,400 + 454 clips of six
    emotions: angry, disgust, fear, happy, neutral, sad): the mean and standard deviation of
    a middle layer of Whisper base's encoder (CTranslate2, int8), standardised, and a
    logistic regression. Clips of any length (past 30 s in 30-s windows). The encoder's
    weights are the pinned checkpoint of :mod:`sklearn_ser.backbones`, found on this
    machine (installed with the package) and checked against their SHA-256; only the head
    (a few hundred kB) is in the model file. Predicting never imports TensorFlow. On
    recordings unlike its training data, :func:`adapt` it to them first.

    ``"cnn_gru"``: the first edition, ``Pipeline(AudioFeatureTransformer,
    SERClassifier("cnn_gru"))`` on 2-s log-mel clips, kept for comparison and for
    :func:`fine_tune`.

    Each call returns a new, independent Pipeline loaded offline without unpickling.
    Waveforms are taken at 16 kHz; set ``input_sr`` on the first step for others.

    Terms of use: non-commercial research use only. The training data set them: TESS is
    licensed CC BY-NC-ND 4.0 (non-commercial), EmoDB is free of charge for research use,
    CREMA-D is licensed ODbL 1.0 with its contents under the Database Contents License
    (attribution). Whisper's weights are MIT-licensed. Cite all three corpora when you use
    a model:

    - Cao H, Cooper DG, Keutmann MK, Gur RC, Nenkova A, Verma R (2014). CREMA-D:
      Crowd-sourced Emotional Multimodal Actors Dataset. IEEE Transactions on Affective
      Computing 5(4): 377-390. doi:10.1109/TAFFC.2014.2336244
    - Pichora-Fuller MK, Dupuis K (2020). Toronto emotional speech set (TESS). Borealis, V1.
      doi:10.5683/SP2/E8H2MF
    - Burkhardt F, Paeschke A, Rolfes M, Sendlmeier WF, Weiss B (2005). A database of German
      emotional speech. Proc. Interspeech 2005, 1517-1520.

    Their measured accuracy, intended use and limits (acted speech; six emotions; not a
    judgement of anyone's feelings) are in :func:`model_card` and the documentation's
    model card page.

    Parameters
    ----------
    name : {"whisper", "cnn_gru"}, default="whisper"
        Which model (:data:`PRETRAINED`).
    runtime : {"keras", "numpy"}, default="keras"
        For ``"cnn_gru"``: ``"keras"`` loads the SERClassifier itself (predicts, and
        :func:`fine_tune` can continue its training); ``"numpy"`` a predict-only
        :class:`~sklearn_ser.classifier.NumpySERClassifier` that never imports TensorFlow.
        The Whisper model has no Keras part and ignores it.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        The fitted pipeline; ``pipeline.classes_`` are the six emotions.

    Raises
    ------
    FileNotFoundError
        If the model file is missing from the installation, or (Whisper) the encoder's
        weights are on no source (the message names every way to get them).

    See Also
    --------
    model_card : Training data, licences, accuracy and limits of a model.
    adapt : Standardise the Whisper model with the statistics of your recordings.
    fine_tune : Continue the training of the ``"cnn_gru"`` model on your own corpus.

    Examples
    --------
    >>> from sklearn_ser import load_pretrained
    >>> from sklearn_ser.pretrained import example_clips
    >>> model = load_pretrained()
    >>> model.classes_.tolist()
    ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad']
    >>> model.predict(example_clips()).tolist()
    ['angry', 'happy', 'sad']
    """
    from ..persistence import load

    model_file, _ = _files(name)
    if not model_file.is_file():
        raise _missing(model_file, "model file")
    return load(model_file, runtime=runtime)


def model_card(name="whisper") -> dict:
    """The model card of a pretrained model (:func:`load_pretrained`), as a dict.

    Keys include ``training_data`` (corpus, clips, speakers, licence, citation),
    ``emotions``, ``terms_of_use``, ``accuracy`` (each figure with the command that measured
    it), ``intended_use``, ``limitations`` and ``training_command``.

    Parameters
    ----------
    name : {"whisper", "cnn_gru"}, default="whisper"
        Which model.

    Examples
    --------
    >>> from sklearn_ser.pretrained import model_card
    >>> card = model_card()
    >>> card["emotions"]
    ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad']
    >>> sorted(d["corpus"] for d in card["training_data"])
    ['crema_d', 'emodb', 'tess']
    """
    _, card_file = _files(name)
    if not card_file.is_file():
        raise _missing(card_file, "model card")
    return json.loads(card_file.read_text(encoding="utf-8"))


def example_clips() -> list[Path]:
    """Paths of three short real speech clips shipped with the package (CREMA-D).

    Angry, happy and sad renditions of "It's eleven o'clock" by three actors, high
    intensity, Ogg Opus. CREMA-D contents are licensed under the Database Contents License
    (attribution: Cao et al., 2014, see ``examples/ATTRIBUTION.md`` beside them). They are
    part of the pretrained model's training data: they show it working, not its accuracy.

    Examples
    --------
    >>> from sklearn_ser.pretrained import example_clips
    >>> [p.name for p in example_clips()]
    ['1001_IEO_ANG_HI.opus', '1015_IEO_HAP_HI.opus', '1002_IEO_SAD_HI.opus']
    """
    names = ("1001_IEO_ANG_HI.opus", "1015_IEO_HAP_HI.opus", "1002_IEO_SAD_HI.opus")
    paths = [_EXAMPLES / name for name in names]
    for path in paths:
        if not path.is_file():
            raise _missing(path, "example clip")
    return paths
