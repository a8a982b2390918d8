"""
====================================================
Cross-corpus evaluation with LeaveOneCorpusOut
====================================================

A model that scores well on the corpus it was trained on may fail on recordings made
elsewhere: other speakers, language, microphones, rooms and acting styles.
:class:`~sklearn_ser.model_selection.LeaveOneCorpusOut` trains on all corpora but one and
tests on the one left out, in turn; since speakers never cross corpora, every split is also
speaker-independent.

.. note::
    The real corpora cannot be downloaded while the documentation is built, so this example
    makes two *synthetic* corpora with :func:`~sklearn_ser.datasets.make_emotional_speech`.
    They come from the same synthesiser and differ only in their speakers, their sample rate
    and how strongly the emotions are acted, so the gap measured here is much smaller than
    between real corpora. With real data, replace the two corpora by::

        from sklearn_ser.datasets import COMMON_EMOTIONS, load_corpora
        data = load_corpora({"emodb": "data/emodb", "ravdess_speech": "data/ravdess"},
                            emotions=COMMON_EMOTIONS, merge_calm=True)
        X, y, corpus = data.X, data.y, data.frame["corpus"]

    and keep the rest.
"""

# %%
# Settings
# --------
# ``SKLEARN_SER_QUICK=1`` (set by the test suite) shrinks the corpora and the training so that
# the script runs in seconds; the scores it prints are then meaningless. Eager execution skips
# the graph compilation that dominates such tiny fits.
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
QUICK = os.environ.get("SKLEARN_SER_QUICK") == "1"
if QUICK:
    N_SPEAKERS, N_CLIPS, EPOCHS, FAST = 2, 2, 1, {"compile__run_eagerly": True}
else:
    N_SPEAKERS, N_CLIPS, EPOCHS, FAST = 6, 3, 15, {}

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, cross_val_score, cross_validate
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.model_selection import LeaveOneCorpusOut

# %%
# Two corpora on disk
# -------------------
# Like real corpora, both are folders of WAV files, at different sample rates. Corpus "b" has
# other speakers and more restrained acting (``emotion_strength=0.6``). Speaker ids are
# prefixed with the corpus name, as the real loaders do, so they stay unique.
workspace = tempfile.TemporaryDirectory()
settings = {"a": {"sr": 16000, "emotion_strength": 1.0, "random_state": 0},
            "b": {"sr": 22050, "emotion_strength": 0.6, "random_state": 1}}
frames = []
for name, options in settings.items():
    corpus = make_emotional_speech(
        n_speakers=N_SPEAKERS, n_clips_per_emotion=N_CLIPS, duration=2.0,
        out_dir=Path(workspace.name) / name, **options,
    )
    frame = corpus.frame.assign(corpus=name, speaker=name + "_" + corpus.frame["speaker"])
    frames.append(frame)
frame = pd.concat(frames, ignore_index=True)
X, y = frame["path"].to_numpy(), frame["emotion"].to_numpy()
corpus, speaker = frame["corpus"].to_numpy(), frame["speaker"].to_numpy()
print(pd.crosstab(frame["corpus"], frame["emotion"]))

# %%
# The model
# ---------
# The feature step resamples every file to 16 kHz, so corpora recorded at different rates mix
# freely.
pipe = Pipeline([
    ("features", AudioFeatureTransformer(
        duration=2.0, hop_length=512, augment=("noise", "shift", "echo"), random_state=0
    )),
    ("clf", SERClassifier(
        arch="cnn", epochs=EPOCHS, model__filters=(32, 64), random_state=0, **FAST
    )),
])

# %%
# Leave one corpus out
# --------------------
# ``groups`` is the corpus of each clip. Each split trains on one corpus and tests on the
# other; with more corpora, each split trains on all the others.
results = cross_validate(
    pipe, X, y, groups=corpus, cv=LeaveOneCorpusOut(), scoring="balanced_accuracy",
    return_indices=True,
)
scores = pd.DataFrame(index=sorted(settings), columns=sorted(settings), dtype=float)
scores.index.name, scores.columns.name = "train corpus", "test corpus"
for train, test, score in zip(
    results["indices"]["train"], results["indices"]["test"], results["test_score"]
):
    # one corpus on each side here; with more corpora the training side holds all the others
    scores.loc[corpus[train][0], corpus[test][0]] = score

# %%
# For comparison, each corpus on its own, speaker-independent: two folds of held-out speakers.
for name in sorted(settings):
    inside = corpus == name
    scores.loc[name, name] = cross_val_score(
        pipe, X[inside], y[inside], groups=speaker[inside], cv=GroupKFold(2),
        scoring="balanced_accuracy",
    ).mean()
print(scores.round(3))

# %%
# The diagonal is within-corpus (new speakers, same corpus); off the diagonal, the model meets
# a corpus it has never seen. A drop off the diagonal is the corpus gap; with real corpora it
# is typically large, which is why cross-corpus results belong next to within-corpus ones.
fig, ax = plt.subplots(figsize=(4.5, 3.5))
image = ax.imshow(scores.to_numpy(dtype=float), cmap="viridis", vmin=0, vmax=1)
ax.set_xticks(range(len(scores.columns)), scores.columns)
ax.set_yticks(range(len(scores.index)), scores.index)
for (i, j), value in np.ndenumerate(scores.to_numpy(dtype=float)):
    ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="white")
ax.set(xlabel="test corpus", ylabel="train corpus", title="balanced accuracy")
fig.colorbar(image)
fig.tight_layout()
workspace.cleanup()
plt.show()
