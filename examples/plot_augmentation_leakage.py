"""
==========================================================
Augmentation without leakage: why random splits mislead
==========================================================

Augmentation makes several *views* of each training clip (added noise, a time shift, an
echo...). The usual recipe augments the whole corpus first, stacks the views as extra rows, and
then splits the rows at random into training and test sets. Every test clip then has near copies
of itself in the training set, and the measured accuracy says more about memorising clips than
about recognising emotions.

:class:`~sklearn_ser.AudioFeatureTransformer` keeps **one output row per clip**: in
``fit_transform`` (training) the views travel on an extra axis, and ``transform`` (validation,
test, prediction) never augments. Inside a :class:`~sklearn.pipeline.Pipeline`, cross-validation
therefore splits clips, and only the training folds are augmented. This example shows the views
and measures the same network under both protocols.
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
    N_SPEAKERS, N_CLIPS, N_FOLDS, EPOCHS, FAST = 8, 3, 3, 12, {}

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.datasets import make_emotional_speech

# %%
# The synthetic demo corpus
# -------------------------
# :func:`~sklearn_ser.datasets.make_emotional_speech` synthesises acted-style emotional
# speech offline: several speakers, each saying fixed nonsense sentences in six emotions.
# ``groups`` holds the speaker of each clip.
data = make_emotional_speech(
    n_speakers=N_SPEAKERS, n_clips_per_emotion=N_CLIPS, duration=2.0, random_state=0
)
print(f"{len(data.X)} clips, {len(set(data.groups))} speakers, emotions {list(data.target_names)}")

# %%
# What the views look like
# ------------------------
# ``fit_transform`` returns ``(n_samples, n_views, n_frames, n_features)``: view 0 is the clean
# clip, then one view per augmentation. ``transform`` returns ``(n_samples, n_frames,
# n_features)``, the clean clip only. Log-mel features make the views easy to see.
AUGMENT = ("noise", "stretch_pitch", "shift", "echo", "reverb")
mel = AudioFeatureTransformer(duration=2.0, features=("mel",), augment=AUGMENT, random_state=0)
views = mel.fit_transform(data.X[:1])
print("fit_transform:", views.shape, "  transform:", mel.transform(data.X[:1]).shape)

fig, axes = plt.subplots(2, 3, figsize=(10, 5), sharex=True, sharey=True)
for ax, view, name in zip(axes.flat, views[0], ["clean", *mel.augmentations_]):
    ax.imshow(view.T, origin="lower", aspect="auto", cmap="magma")
    ax.set_title(name)
for ax in axes[:, 0]:
    ax.set_ylabel("mel band")
for ax in axes[-1]:
    ax.set_xlabel("frame")
fig.suptitle(f"One '{data.y[0]}' clip and its augmented views")
fig.tight_layout()

# %%
# Two ways to evaluate the same network
# -------------------------------------
# The features are the default ones (zero-crossing rate, RMS energy and 20 MFCCs per frame)
# with a hop of 512 samples, and the network is the small convolutional architecture, to keep
# this example fast. The five augmentations are those of the recipe above.
features = AudioFeatureTransformer(duration=2.0, hop_length=512, augment=AUGMENT, random_state=0)
clf = SERClassifier(arch="cnn", epochs=EPOCHS, model__filters=(32, 64), random_state=0, **FAST)

# %%
# **Leaky protocol**: augment everything, unroll the views into rows, split rows at random.
V = features.fit_transform(data.X)
n_clips, n_views = V.shape[:2]
rows, row_labels = V.reshape(-1, *V.shape[2:]), np.repeat(data.y, n_views)
print(f"{n_clips} clips x {n_views} views = {len(rows)} rows")
random_split = StratifiedKFold(N_FOLDS, shuffle=True, random_state=0)
leaky = cross_val_score(clf, rows, row_labels, cv=random_split, scoring="balanced_accuracy")

# %%
# **Leakage-free protocol**: the Pipeline is given clips. Each training fold is augmented
# inside ``fit``; each test fold is clean and contains clips the network has never seen in any
# form. First with the same random split (now over clips), then speaker-independent, grouping
# the folds by speaker as a deployed model would meet new voices.
pipe = Pipeline([("features", features), ("clf", clf)])
by_clip = cross_val_score(pipe, data.X, data.y, cv=random_split, scoring="balanced_accuracy")
by_speaker = cross_val_score(
    pipe, data.X, data.y, groups=data.groups, cv=GroupKFold(N_FOLDS), scoring="balanced_accuracy"
)

results = {
    "random split of\naugmented rows\n(leaky)": leaky,
    "Pipeline,\nrandom split of clips": by_clip,
    "Pipeline,\nsplit by speaker": by_speaker,
}
for name, scores in results.items():
    print(f"{name.replace(chr(10), ' '):<50} {scores.mean():.3f} +/- {scores.std():.3f}")

# %%
# The leaky protocol reports the highest score, yet it is the least informative: it rewards
# recognising near copies of training clips. The Pipeline's random split over clips removes
# the copies; grouping by speaker also removes familiar voices and estimates what matters, the
# accuracy on people the model has never heard. Chance level is ``1 / n_classes``.
fig, ax = plt.subplots(figsize=(7, 4))
means = [s.mean() for s in results.values()]
errors = [s.std() for s in results.values()]
ax.bar(list(results), means, yerr=errors, capsize=4, color=["tab:red", "tab:blue", "tab:green"])
ax.axhline(1 / len(data.target_names), color="gray", linestyle="--", label="chance")
ax.set_ylabel(f"balanced accuracy ({N_FOLDS}-fold CV)")
ax.set_ylim(0, 1)
ax.legend()
fig.tight_layout()
plt.show()
