"""
=============================================
The pretrained model on real speech
=============================================

:func:`sklearn_ser.load_pretrained` returns a fitted
:class:`~sklearn.pipeline.Pipeline` shipped inside the package: audio paths or waveforms in,
six emotions out (angry, disgust, fear, happy, neutral, sad). Its features are a middle layer
of Whisper's encoder (the pinned weights installed with the package, checked against their
SHA-256), its head a logistic regression. It loads offline, without unpickling, without
TensorFlow, and needs no corpus. Here it listens to the three real CREMA-D clips shipped as
example audio (:func:`sklearn_ser.pretrained.example_clips`; CREMA-D, Cao et al. 2014, Database
Contents License). They are part of the model's training data, so this shows the model at work,
not its accuracy: the measured figures, the training data, their licences and the model's
terms of use are on its model card (:ref:`pretrained`).

On speech unlike its training data, :func:`sklearn_ser.pretrained.adapt` re-estimates the
model's standardisation on the user's recordings, without labels; the last section shows
what it does to these three clips.

The command line does the same: ``sklearn-ser predict CLIP.opus`` without a model file uses
the pretrained model, and ``--adapt`` adapts it to the files given first.
"""

# %%
# Settings
# --------
# Nothing here trains, so ``SKLEARN_SER_QUICK=1`` (set by the test suite) changes nothing.
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
QUICK = os.environ.get("SKLEARN_SER_QUICK") == "1"

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_ser import load_pretrained
from sklearn_ser.pretrained import adapt, example_clips, model_card

# %%
# Load the model and read its card
# --------------------------------
model = load_pretrained()
card = model_card()
print("emotions:", ", ".join(model.classes_))
print("trained on:", ", ".join(f"{d['title']} ({d['licence']})" for d in card["training_data"]))
print("terms of use:", card["terms_short"])
print("encoder:", card["backbone"]["repository"], "layer", card["backbone"]["layer"],
      "sha256", card["backbone"]["model_bin_sha256"][:16], "...")

# %%
# Predict the example clips
# -------------------------
# The file name says what the actor was asked to express (ANG, HAP, SAD).
clips = example_clips()
proba = pd.DataFrame(model.predict_proba(clips), columns=model.classes_,
                     index=[clip.name for clip in clips])
proba["predicted"] = model.classes_[np.argmax(proba[model.classes_].to_numpy(), axis=1)]
print(proba.round(2).to_string())

# %%
# The probabilities of each clip
# ------------------------------
fig, axes = plt.subplots(1, len(clips), figsize=(11, 3.2), sharey=True)
for ax, (name, row) in zip(axes, proba.iterrows()):
    values = row[model.classes_].to_numpy(dtype=float)
    ax.bar(model.classes_, values, color=["C3" if v == values.max() else "C0" for v in values])
    ax.set_title(name, fontsize=9)
    ax.tick_params(axis="x", rotation=45)
axes[0].set_ylabel("probability")
fig.tight_layout()
plt.show()

# %%
# Adapted to the recordings
# -------------------------
# :func:`~sklearn_ser.pretrained.adapt` returns a copy whose standardisation holds the
# statistics of the recordings it is given (here the three clips themselves; in practice a
# few dozen recordings or more, of several emotions: the mean of three clips is a poor
# estimate). The head is unchanged, and so is ``model``. On these clips, from the model's
# own training corpus, there is nothing to correct; on a corpus it never heard, adaptation
# is what raises leave-one-corpus-out accuracy (see the model card).
adapted = adapt(model, clips)
after = pd.DataFrame(adapted.predict_proba(clips), columns=model.classes_,
                     index=[clip.name for clip in clips])
after["predicted"] = model.classes_[np.argmax(after[model.classes_].to_numpy(), axis=1)]
print(after.round(2).to_string())
