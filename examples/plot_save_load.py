"""
=====================================================
Saving a trained model and predicting new recordings
=====================================================

A fitted :class:`~sklearn.pipeline.Pipeline` of :class:`~sklearn_ser.AudioFeatureTransformer`
and :class:`~sklearn_ser.SERClassifier` is saved with :func:`sklearn_ser.save` and loaded with
:func:`sklearn_ser.load`. The file holds everything needed to predict: the feature settings,
the Keras network and its weights, and the feature standardisation learned during training;
loading it never unpickles anything, so a model file cannot run code (see
:ref:`persistence`). A loaded model takes audio file paths directly, at any sample rate.

The command line does the same: ``sklearn-ser train --out model.skser`` and
``sklearn-ser predict model.skser recording.wav``.
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

import json
import tempfile
import zipfile
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import soundfile as sf
from sklearn.pipeline import Pipeline

import sklearn_ser
from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.persistence import PickleModelFileError, load_model_file

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
model_path = sklearn_ser.save(pipe, workdir / "ser.skser")
print(f"{model_path.name}: {model_path.stat().st_size / 1e6:.2f} MB")

loaded = sklearn_ser.load(model_path)
print(loaded)

# %%
# The loaded model predicts exactly what the original predicts.
original = pipe.predict_proba(data.X[:20])
restored = loaded.predict_proba(data.X[:20])
print("identical probabilities:", np.array_equal(original, restored))

# %%
# What the file holds
# -------------------
# A zip of plain data: the manifest (format version, library versions, a SHA-256 per member),
# the pipeline's parameters and fitted attributes as JSON, arrays as ``.npy`` and the network
# in Keras's own ``.keras`` format, loaded in Keras's safe mode.
with zipfile.ZipFile(model_path) as archive:
    for info in archive.infolist():
        print(f"{info.filename:<20} {info.file_size:>9,} bytes")
    manifest = json.loads(archive.read("manifest.json"))
print("format version", manifest["format_version"], "written with", {
    name: manifest["versions"][name] for name in ("sklearn-ser", "scikit-learn", "keras")
})

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

# %%
# joblib, for files you trust
# ---------------------------
# The pipeline can also be pickled with :mod:`joblib`, like any scikit-learn model, which
# stores any Python object (a callable architecture builder, for example). But loading a
# pickle-based file can execute arbitrary code hidden in it, so load only joblib files from a
# source you trust. :func:`~sklearn_ser.persistence.load_model_file`, which the command line
# uses, refuses them unless trust is given explicitly (``--trust-pickle`` on the command line).
joblib_path = workdir / "ser.joblib"
joblib.dump(pipe, joblib_path)
try:
    load_model_file(joblib_path)
except PickleModelFileError as err:
    print(err)
trusted = load_model_file(joblib_path, trust_pickle=True)  # our own file, written above
print("identical probabilities:", np.array_equal(trusted.predict_proba(data.X[:20]), original))
workspace.cleanup()
plt.show()
