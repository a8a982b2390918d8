"""
=====================================================
Saving a trained model and predicting new recordings
=====================================================

A fitted :class:`~sklearn.pipeline.Pipeline` of :class:`~sklearn_ser.AudioFeatureTransformer`
and :class:`~sklearn_ser.SERClassifier` is saved and loaded with :mod:`joblib`, like any
scikit-learn model. The file holds everything needed to predict: the feature settings, the
Keras network and its weights, and the feature standardisation learned during training. A
loaded model takes audio file paths directly, at any sample rate.

The command line does the same: ``sklearn-ser train --out model.joblib`` and
``sklearn-ser predict model.joblib recording.wav``.
"""

# %%
# Settings
# --------
# ``SKLEARN_SER_QUICK=1`` (set by the test suite) shrinks the corpus and the training so that
# the script runs in seconds; the predictions are then meaningless. Eager execution skips the
# graph compilation that dominates such tiny fits.
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
QUICK = os.environ.get("SKLEARN_SER_QUICK") == "1"
if QUICK:
    N_SPEAKERS, N_CLIPS, EPOCHS, FAST = 2, 2, 1, {"compile__run_eagerly": True}
else:
    N_SPEAKERS, N_CLIPS, EPOCHS, FAST = 8, 4, 15, {}

import tempfile
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import soundfile as sf
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.datasets import make_emotional_speech

# %%
# Train a model
# -------------
data = make_emotional_speech(
    n_speakers=N_SPEAKERS, n_clips_per_emotion=N_CLIPS, duration=2.0, random_state=0
)
pipe = Pipeline([
    ("features", AudioFeatureTransformer(
        duration=2.0, hop_length=512, augment=("noise", "shift", "echo"), random_state=0
    )),
    ("clf", SERClassifier(
        arch="cnn", epochs=EPOCHS, model__filters=(32, 64), random_state=0, **FAST
    )),
])
pipe.fit(data.X, data.y)

# %%
# Save and load
# -------------
workspace = tempfile.TemporaryDirectory()
workdir = Path(workspace.name)
model_path = workdir / "ser.joblib"
joblib.dump(pipe, model_path)
print(f"{model_path.name}: {model_path.stat().st_size / 1e6:.2f} MB")

loaded = joblib.load(model_path)
print(loaded)

# %%
# The loaded model predicts exactly what the original predicts.
original = pipe.predict_proba(data.X[:20])
restored = loaded.predict_proba(data.X[:20])
print("identical probabilities:", np.array_equal(original, restored))

# %%
# Predict new recordings
# ----------------------
# New recordings from a speaker the model has never heard, written as WAV files at 22.05 kHz:
# the feature step decodes each file and resamples it to the 16 kHz the model was trained on.
new = make_emotional_speech(
    n_speakers=2, n_clips_per_emotion=1, emotions=["angry", "sad", "happy"], sr=22050,
    duration=2.0, random_state=2024, out_dir=workdir / "new",
)
new_files = new.X[:3]  # the first new speaker's three clips
for path in new_files:
    print(Path(path).name, sf.info(path).samplerate, "Hz")

proba = pd.DataFrame(
    loaded.predict_proba(new_files), columns=loaded.classes_,
    index=[Path(p).name for p in new_files],
)
proba["predicted"] = loaded.predict(new_files)
print(proba.round(2).to_string())

# %%
# The class probabilities of each new file (the true emotion is in its name).
ax = proba.drop(columns="predicted").plot.bar(figsize=(8, 4), rot=0, width=0.8)
ax.set(ylabel="probability", ylim=(0, 1), title="Predictions for new recordings")
ax.legend(title="emotion", ncol=3, fontsize="small")
plt.tight_layout()
workspace.cleanup()
plt.show()
