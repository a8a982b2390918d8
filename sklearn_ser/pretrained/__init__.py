"""The pretrained model: emotions of acted speech out of the box, offline.

:func:`load_pretrained` returns the fitted Pipeline shipped in this package (the safe model
format of :mod:`sklearn_ser.persistence`, never a pickle); :func:`model_card` its training
data, licences, citations, measured accuracy and limits; :func:`example_clips` three real
CREMA-D clips to try it on; :func:`fine_tune` continues its training on a user's corpus.
``benchmarks/accuracy/train_pretrained.py`` reproduces the model from the corpora.
"""

from __future__ import annotations

import json
from pathlib import Path

from ._finetune import fine_tune, fine_tune_classifier

__all__ = ["CARD_FILE", "MODEL_FILE", "example_clips", "fine_tune", "fine_tune_classifier",
           "load_pretrained", "model_card"]

_HERE = Path(__file__).resolve().parent
#: The shipped model file (safe format).
MODEL_FILE = _HERE / "ser_six_emotions.skser"
#: Its model card (JSON): training data, licences, citations, accuracy, terms of use.
CARD_FILE = _HERE / "model_card.json"
_EXAMPLES = _HERE / "examples"


def _missing(path, what):
    return FileNotFoundError(
        f"The pretrained {what} '{path}' is missing from this installation of sklearn-ser "
        "(a build without package data?); reinstall the package, or rebuild the model with "
        "benchmarks/accuracy/train_pretrained.py.")


def load_pretrained(*, runtime="keras"):
    """The pretrained Pipeline: audio paths or waveforms in, six emotions out.

    ``Pipeline(AudioFeatureTransformer, SERClassifier("cnn_gru"))`` trained on acted
    speech of three corpora (CREMA-D and TESS in English, EmoDB in German; 7,438 + 2,400 +
    454 clips of six emotions: angry, disgust, fear, happy, neutral, sad), chosen by
    leave-one-corpus-out. It is loaded from the file shipped in the package, offline,
    without unpickling; each call returns a new, independent Pipeline. Waveforms are taken
    at 16 kHz (the feature step's ``sr``); set ``input_sr`` on the first step for others.
    Clips are cut or padded to 2 s; use :func:`sklearn_ser.windows.analyse_recording` (or
    ``sklearn-ser predict``) for longer recordings.

    Terms of use: non-commercial research use only. The training data set them: TESS is
    licensed CC BY-NC-ND 4.0 (non-commercial), EmoDB is free of charge for research use,
    CREMA-D is licensed ODbL 1.0 with its contents under the Database Contents License
    (attribution). Cite all three corpora when you use the model:

    - Cao H, Cooper DG, Keutmann MK, Gur RC, Nenkova A, Verma R (2014). CREMA-D:
      Crowd-sourced Emotional Multimodal Actors Dataset. IEEE Transactions on Affective
      Computing 5(4): 377-390. doi:10.1109/TAFFC.2014.2336244
    - Pichora-Fuller MK, Dupuis K (2020). Toronto emotional speech set (TESS). Borealis, V1.
      doi:10.5683/SP2/E8H2MF
    - Burkhardt F, Paeschke A, Rolfes M, Sendlmeier WF, Weiss B (2005). A database of German
      emotional speech. Proc. Interspeech 2005, 1517-1520.

    Its measured accuracy, intended use and limits (acted speech; six emotions; not a
    judgement of anyone's feelings) are in :func:`model_card` and the documentation's
    model card page.

    Parameters
    ----------
    runtime : {"keras", "numpy"}, default="keras"
        ``"keras"``: the SERClassifier itself (predicts, and :func:`fine_tune` can continue
        its training). ``"numpy"``: a predict-only
        :class:`~sklearn_ser.classifier.NumpySERClassifier` running the same network in
        NumPy without importing TensorFlow (a few hundred MB less memory, a faster start);
        see :func:`sklearn_ser.load`.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        The fitted pipeline; ``pipeline.classes_`` are the six emotions.

    Raises
    ------
    FileNotFoundError
        If the model file is missing from the installation.

    See Also
    --------
    model_card : Training data, licences, accuracy and limits of this model.
    fine_tune : Continue its training on your own corpus.

    Examples
    --------
    >>> from sklearn_ser import load_pretrained
    >>> from sklearn_ser.pretrained import example_clips
    >>> model = load_pretrained()
    >>> model.classes_.tolist()
    ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad']
    >>> labels = model.predict(example_clips())
    >>> set(labels) <= set(model.classes_)
    True
    """
    from ..persistence import load

    if not MODEL_FILE.is_file():
        raise _missing(MODEL_FILE, "model file")
    return load(MODEL_FILE, runtime=runtime)


def model_card() -> dict:
    """The model card of :func:`load_pretrained`'s model, as a dict.

    Keys include ``training_data`` (corpus, clips, speakers, licence, citation),
    ``emotions``, ``terms_of_use``, ``accuracy`` (each figure with the command that measured
    it), ``intended_use``, ``limitations`` and ``training_command``.

    Examples
    --------
    >>> from sklearn_ser.pretrained import model_card
    >>> card = model_card()
    >>> card["emotions"]
    ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad']
    >>> sorted(d["corpus"] for d in card["training_data"])
    ['crema_d', 'emodb', 'tess']
    """
    if not CARD_FILE.is_file():
        raise _missing(CARD_FILE, "model card")
    return json.loads(CARD_FILE.read_text(encoding="utf-8"))


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
