"""The project's default settings, in one TensorFlow-free module.

The command line must know the architecture names and the training defaults before it
imports Keras (so that ``--help`` and a typo in ``--arch`` are immediate), and the
classifier, the model registry and the study must agree with it. Each default therefore
lives here once and everything else reads it. Importing this module imports nothing.

Examples
--------
>>> from sklearn_ser import defaults
>>> defaults.ARCHITECTURE_NAMES[0], defaults.EPOCHS, defaults.BATCH_SIZE
('cnn_bilstm_bigru_attention', 25, 64)
"""

__all__ = [
    "ARCHITECTURE",
    "ARCHITECTURE_NAMES",
    "AUGMENTATIONS",
    "BATCH_SIZE",
    "CLIP_DURATION",
    "COMPARE_CV",
    "COMPARE_EPOCHS",
    "DEMO_CLIPS_PER_EMOTION",
    "DEMO_SPEAKERS",
    "EPOCHS",
    "FUNCTIONALS_C",
    "FUSION_FEATURE_SET",
    "LEARNING_RATE",
    "RANDOM_STATE",
    "SAMPLE_RATE",
    "TOP_DB",
    "VALIDATION_FRACTION",
    "WHISPER_LAYER",
    "WHISPER_MAX_EPOCHS",
    "WHISPER_STEPS",
    "WHISPER_STRIDE",
]

#: The five architectures of the seed recipe, in its order (Model 1 .. Model 5).
ARCHITECTURE_NAMES = ("cnn_bilstm_bigru_attention", "cnn", "cnn_bilstm", "cnn_gru",
                      "cnn_mha_bilstm_bigru")
#: The architecture :class:`~sklearn_ser.SERClassifier` and ``sklearn-ser train`` use.
ARCHITECTURE = "cnn_gru"

#: Training epochs; the cosine schedule is fitted to the epochs it gets.
EPOCHS = 25
#: Training rows per optimisation step.
BATCH_SIZE = 64
#: Peak learning rate of the cosine schedule: what SERClassifier's optimizer gets unless
#: ``optimizer__learning_rate`` (or an optimizer instance) says otherwise. It is Adam's own
#: default, kept here so that SGD or RMSprop by name start from the same tuned peak.
LEARNING_RATE = 1e-3
#: Fraction of the training clips held out for validation; None: every clip trains.
VALIDATION_FRACTION = None

#: The default selection of augmentations (the seed recipe's), by name. The vocabulary, name
#: -> function, is :data:`sklearn_ser.frontend.augment.AUGMENTATIONS`; importing it here would load
#: SciPy, so the names are checked against it by the tests instead.
AUGMENTATIONS = ("noise", "stretch_pitch", "shift", "echo", "reverb")
#: Seconds every clip is trimmed, padded or cropped to.
CLIP_DURATION = 2.0
#: Sample rate (Hz) the audio is resampled to before feature extraction.
SAMPLE_RATE = 16000
#: Leading and trailing audio this many dB below the clip's peak is trimmed as silence.
TOP_DB = 30.0

#: Inverse L2 strength of the logistic regression on openSMILE functionals (the classic
#: anchor, ``sklearn-ser train --features compare`` and the fusion's classic member): 6,373
#: correlated ComParE functionals and a few hundred clips per training fold need a strong
#: penalty (benchmarks/accuracy/classic_features.py).
FUNCTIONALS_C = 0.1
#: openSMILE feature set of :func:`sklearn_ser.ensemble.make_fusion_classifier`'s classic member.
FUSION_FEATURE_SET = "ComParE_2016"

#: Seed of the command line's folds, augmentations and training.
RANDOM_STATE = 0
#: ``sklearn-ser compare``: speaker-independent folds and epochs. The classifier's own
#: epochs, because fewer left the demo corpus's UAR well below what 25 reach, while the whole
#: study still fits the README's 10 minutes on two cores (figures: docs/accuracy.rst).
COMPARE_CV = 3
COMPARE_EPOCHS = EPOCHS
#: ``sklearn-ser compare --features whisper``: the encoder layer (the pretrained recipe's,
#: chosen on validation speakers and corpora), the 20-ms frames averaged into one (80 ms:
#: the networks read a quarter of the frames at the same inner-validation UAR) and the
#: training length. Without ``--epochs`` a network trains for the epochs that give about
#: ``WHISPER_STEPS`` optimiser steps on a fold's training clips, at most
#: ``WHISPER_MAX_EPOCHS``: 6 epochs on CREMA-D's ~5,950 training clips a fold, 31 on 1,142
#: clips, where 6 epochs left ``cnn_gru`` at 0.23 UAR on validation actors and 30 reached
#: 0.63. The figures behind them are in docs/accuracy.rst ("The study at corpus scale").
WHISPER_LAYER = 3
WHISPER_STRIDE = 4
WHISPER_STEPS = 550
WHISPER_MAX_EPOCHS = 100
#: The demo corpus of the command line: speakers, and clips per speaker and emotion.
DEMO_SPEAKERS = 6
DEMO_CLIPS_PER_EMOTION = 4
