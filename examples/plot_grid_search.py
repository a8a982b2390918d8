"""
================================================================
Choosing the architecture and learning rate with GridSearchCV
================================================================

:class:`~sklearn_ser.SERClassifier` is a scikit-learn estimator whose architecture (``arch``)
and Keras settings are ordinary parameters. Optimizer settings are *routed* parameters such as
``optimizer__learning_rate``, so inside a :class:`~sklearn.pipeline.Pipeline` they are reached
as ``clf__optimizer__learning_rate`` and can be searched like any other hyperparameter.

The search is speaker-independent (folds grouped by speaker), and it runs on training speakers
only: two speakers are kept aside to score the chosen model at the end, because the best
cross-validation score of a search is an optimistic estimate of its own winner.
"""

# %%
# Settings
# --------
# ``SKLEARN_SER_QUICK=1`` (set by the test suite) shrinks the corpus, the grid and the
# training so that the script runs in seconds; the scores it prints are then meaningless.
# Eager execution skips the graph compilation that dominates such tiny fits.
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
QUICK = os.environ.get("SKLEARN_SER_QUICK") == "1"
if QUICK:
    N_SPEAKERS, N_CLIPS, EPOCHS, FAST = 6, 2, 1, {"compile__run_eagerly": True}
    LEARNING_RATES = [1e-3]
else:
    N_SPEAKERS, N_CLIPS, EPOCHS, FAST = 8, 3, 10, {}
    LEARNING_RATES = [1e-3, 3e-3]

import tempfile

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, GroupKFold, GroupShuffleSplit
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.datasets import make_emotional_speech

# %%
# Training and test speakers
# --------------------------
data = make_emotional_speech(
    n_speakers=N_SPEAKERS, n_clips_per_emotion=N_CLIPS, duration=2.0, random_state=1
)
train, test = next(GroupShuffleSplit(n_splits=1, test_size=2, random_state=0).split(
    data.X, data.y, data.groups
))
X_train = [data.X[i] for i in train]
X_test = [data.X[i] for i in test]
y_train, y_test, groups_train = data.y[train], data.y[test], data.groups[train]
print("test speakers:", sorted(set(data.groups[test])))

# %%
# The search
# ----------
# ``Pipeline(memory=...)`` caches the fitted feature step: the features of a training fold are
# computed once and reused by every candidate, since only classifier parameters change.
cache = tempfile.TemporaryDirectory()
pipe = Pipeline(
    [
        ("features", AudioFeatureTransformer(
            duration=2.0, hop_length=512, augment=("noise", "shift"), random_state=0
        )),
        ("clf", SERClassifier(epochs=EPOCHS, model__filters=(32, 64), model__units=32,
                              random_state=0, **FAST)),
    ],
    memory=cache.name,
)
param_grid = {
    "clf__arch": ["cnn", "cnn_gru"],
    "clf__optimizer__learning_rate": LEARNING_RATES,
}
search = GridSearchCV(pipe, param_grid, cv=GroupKFold(n_splits=2), scoring="balanced_accuracy")
search.fit(X_train, y_train, groups=groups_train)

table = pd.DataFrame(search.cv_results_)[
    ["param_clf__arch", "param_clf__optimizer__learning_rate", "mean_test_score",
     "std_test_score", "mean_fit_time", "rank_test_score"]
]
print(table.to_string(index=False))
print("best:", search.best_params_)

# %%
# The budget shapes the ranking: with ten epochs and three speakers per training fold, the
# convolutional model converges faster than the recurrent one. Search with the training you
# will use in the end (``epochs``, corpus size), or the winner of a cheap search may not be the
# winner of the real one.

# %%
# Scores of the grid
# ------------------
scores = table.pivot(
    index="param_clf__arch", columns="param_clf__optimizer__learning_rate",
    values="mean_test_score",
)
fig, ax = plt.subplots(figsize=(5, 3.5))
image = ax.imshow(scores.to_numpy(), cmap="viridis", vmin=0, vmax=1)
ax.set_xticks(range(scores.shape[1]), [f"{lr:g}" for lr in scores.columns])
ax.set_yticks(range(scores.shape[0]), scores.index)
for (i, j), value in pd.DataFrame(scores.to_numpy()).stack().items():
    ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="white")
ax.set(xlabel="learning rate", ylabel="architecture", title="mean CV balanced accuracy")
fig.colorbar(image)
fig.tight_layout()

# %%
# The chosen model on unseen speakers
# -----------------------------------
# ``GridSearchCV`` refits the best candidate on all training speakers (``refit=True``);
# it is scored once on the two speakers that took no part in the search.
y_pred = search.predict(X_test)
print(f"held-out speakers: balanced accuracy {balanced_accuracy_score(y_test, y_pred):.3f}")
cache.cleanup()
plt.show()
