"""
=====================================================
A soft-voting ensemble of the five architectures
=====================================================

Each of the five architectures of :class:`~sklearn_ser.SERClassifier` makes different errors.
Because every one of them is a real scikit-learn classifier with ``predict_proba``,
:class:`~sklearn.ensemble.VotingClassifier` with ``voting="soft"`` combines them without any
glue code: the ensemble's class probabilities are the mean of the members' probabilities. This
is the sixth row of the table that ``sklearn-ser compare`` prints.

The ensemble sits behind a single :class:`~sklearn_ser.AudioFeatureTransformer`, so the audio
is analysed (and the training clips augmented) once for all five networks.
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
    N_SPEAKERS, N_CLIPS, EPOCHS, FAST = 4, 2, 1, {"compile__run_eagerly": True}
else:
    N_SPEAKERS, N_CLIPS, EPOCHS, FAST = 8, 4, 10, {}

import math

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.ensemble import VotingClassifier
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.models import ARCHITECTURES

# %%
# Training and test speakers
# --------------------------
data = make_emotional_speech(
    n_speakers=N_SPEAKERS, n_clips_per_emotion=N_CLIPS, duration=2.0, random_state=3
)
train, test = next(GroupShuffleSplit(n_splits=1, test_size=2, random_state=0).split(
    data.X, data.y, data.groups
))
X_train, X_test = [data.X[i] for i in train], [data.X[i] for i in test]
y_train, y_test = data.y[train], data.y[test]

# %%
# The ensemble
# ------------
# One member per registered architecture. Routed hyperparameters shared by the architectures
# (``model__filters``, ``model__units``) shrink every network to keep the example fast; a
# name that an architecture has no layer for (``units`` for ``"cnn"``) is ignored by it.
members = [
    (arch, SERClassifier(arch=arch, epochs=EPOCHS, model__filters=(32, 64), model__units=32,
                         random_state=0, **FAST))
    for arch in ARCHITECTURES
]
pipe = Pipeline([
    ("features", AudioFeatureTransformer(
        duration=2.0, hop_length=512, augment=("noise", "shift"), random_state=0
    )),
    ("vote", VotingClassifier(members, voting="soft")),
])
pipe.fit(X_train, y_train)

# %%
# Members and ensemble on unseen speakers
# ---------------------------------------
# The fitted members are in ``named_estimators_``. They are fitted on the ensemble's
# label-encoded targets, so their probability columns follow ``vote.classes_``.
vote = pipe.named_steps["vote"]
features_test = pipe.named_steps["features"].transform(X_test)
rows = []
for name, member in vote.named_estimators_.items():
    y_pred = vote.classes_[member.predict_proba(features_test).argmax(axis=1)]
    rows.append({"model": name, "balanced accuracy": balanced_accuracy_score(y_test, y_pred),
                 "trainable parameters": sum(math.prod(w.shape)
                                             for w in member.model_.trainable_weights)})
rows.append({"model": "soft vote",
             "balanced accuracy": balanced_accuracy_score(y_test, pipe.predict(X_test)),
             "trainable parameters": sum(r["trainable parameters"] for r in rows)})
table = pd.DataFrame(rows).set_index("model")
print(table.round(3).to_string())

# %%
# Averaging probabilities usually helps most when the members are individually uncertain and
# disagree; on one small test set of two speakers the ranking is noisy, so compare models with
# cross-validation (``sklearn-ser compare`` does, fold by fold) before drawing conclusions.
ax = table["balanced accuracy"].plot.barh(
    color=["C0"] * (len(table) - 1) + ["C3"], figsize=(7, 3.5)
)
ax.axvline(1 / len(data.target_names), color="gray", linestyle="--", label="chance")
ax.set(xlabel="balanced accuracy on two unseen speakers", xlim=(0, 1))
ax.invert_yaxis()
ax.legend()
plt.tight_layout()
plt.show()
