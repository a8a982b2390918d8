"""
================================================================
Speaker-independent cross-validation of a Pipeline
================================================================

A speech emotion model is used on people it has never heard, so it must be evaluated that way:
every speaker's clips go either to training or to testing, never to both. The loaders of
:mod:`sklearn_ser.datasets` (and the synthetic demo corpus) return the speaker of each clip as
``groups``; scikit-learn's :class:`~sklearn.model_selection.GroupKFold` turns it into
speaker-independent folds.

The model is an ordinary :class:`~sklearn.pipeline.Pipeline`:
:class:`~sklearn_ser.AudioFeatureTransformer` turns audio into frame-level features (with
augmented views of the training clips only) and :class:`~sklearn_ser.SERClassifier` trains a
Keras network on them. Scores are balanced accuracy, the mean recall over emotions (also called
unweighted average recall, UAR), which is not flattered by a frequent class.
"""

# %%
# Settings
# --------
# ``SKLEARN_SER_QUICK=1`` (set by the test suite) shrinks the corpus and the training so that
# the script runs in seconds; the scores it prints are then meaningless. Eager execution skips
# the graph compilation that dominates such tiny fits.
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
QUICK = os.environ.get("SKLEARN_SER_QUICK") == "1"
if QUICK:
    N_SPEAKERS, N_CLIPS, N_FOLDS, EPOCHS, FAST = 4, 2, 2, 1, {"compile__run_eagerly": True}
else:
    N_SPEAKERS, N_CLIPS, N_FOLDS, EPOCHS, FAST = 8, 4, 4, 15, {}

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.datasets import make_emotional_speech

# %%
# Data
# ----
# With a real corpus this line would be ``data = load_emodb("path/to/emodb")`` (or any other
# loader); the rest of the example is unchanged.
data = make_emotional_speech(
    n_speakers=N_SPEAKERS, n_clips_per_emotion=N_CLIPS, duration=2.0, random_state=0
)
print(data.frame.groupby("speaker")["emotion"].value_counts().unstack())

# %%
# The pipeline
# ------------
# Three augmentations give each training clip three extra views. A hop of 512 samples and the
# small convolutional architecture keep this example fast; ``sklearn-ser compare`` runs the
# full-size study of all five architectures. By default every training clip trains; here a
# tenth of them is held out (``validation_fraction=0.1``) to draw validation curves below.
pipe = Pipeline([
    ("features", AudioFeatureTransformer(
        duration=2.0, hop_length=512, augment=("noise", "shift", "echo"), random_state=0
    )),
    ("clf", SERClassifier(
        arch="cnn", epochs=EPOCHS, model__filters=(32, 64), validation_fraction=0.1,
        random_state=0, **FAST
    )),
])
print(pipe)

# %%
# Cross-validation grouped by speaker
# -----------------------------------
# ``return_estimator`` and ``return_indices`` keep each fold's fitted pipeline and test clips,
# so the confusion matrix and the training curves below need no extra training. For corpora
# whose emotions are unevenly spread over speakers,
# :class:`~sklearn.model_selection.StratifiedGroupKFold` also balances the classes per fold.
cv = GroupKFold(n_splits=N_FOLDS)
results = cross_validate(
    pipe, data.X, data.y, groups=data.groups, cv=cv,
    scoring=["balanced_accuracy", "accuracy"], return_estimator=True, return_indices=True,
)
folds = pd.DataFrame({
    "test speakers": [", ".join(sorted(set(data.groups[i]))) for i in results["indices"]["test"]],
    "balanced accuracy": results["test_balanced_accuracy"],
    "accuracy": results["test_accuracy"],
    "fit time (s)": results["fit_time"],
})
print(folds.round(3).to_string())
print(f"\nbalanced accuracy {folds['balanced accuracy'].mean():.3f} "
      f"+/- {folds['balanced accuracy'].std():.3f} (chance {1 / len(data.target_names):.3f})")

# %%
# Where the errors are
# --------------------
# Each clip is predicted by the fold model that never heard its speaker.
X = np.asarray(data.X)
y_true, y_pred = [], []
for model, test in zip(results["estimator"], results["indices"]["test"]):
    y_true.extend(data.y[test])
    y_pred.extend(model.predict(X[test]))
ConfusionMatrixDisplay.from_predictions(
    y_true, y_pred, labels=data.target_names, normalize="true", values_format=".2f",
    cmap="Blues",
)
plt.title("Held-out speakers, all folds")
plt.tight_layout()

# %%
# Training curves
# ---------------
# Each fitted :class:`~sklearn_ser.SERClassifier` keeps its Keras history in ``history_``. The
# validation clips (``validation_fraction``) are split off the training clips (by clip, before
# the views are unrolled), so the validation curve, too, is free of augmented copies.
fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(10, 4))
for k, model in enumerate(results["estimator"]):
    history = model[-1].history_
    ax_acc.plot(history["accuracy"], color=f"C{k}", label=f"fold {k} train")
    ax_acc.plot(history["val_accuracy"], color=f"C{k}", linestyle="--", label=f"fold {k} val")
    ax_loss.plot(history["loss"], color=f"C{k}")
    ax_loss.plot(history["val_loss"], color=f"C{k}", linestyle="--")
ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy (dashed: validation)")
ax_loss.set(xlabel="epoch", ylabel="loss", title="loss (dashed: validation)")
ax_acc.legend(fontsize="small", ncol=2)
fig.tight_layout()
plt.show()
