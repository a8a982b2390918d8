"""
=====================================================
Emotions over time in a long recording
=====================================================

Models are trained on short clips (here 2 seconds), but speech to analyse, an interview or a
debate, lasts minutes. :func:`sklearn_ser.inference.analyse_recording` cuts a recording into
overlapping windows of the clip length, classifies every window, and averages the window
probabilities into the emotion distribution of the whole recording. ``sklearn-ser predict``
does the same for files longer than the clip duration (``--plot`` draws the charts).

The 30-second recording here is assembled from synthetic clips of a speaker the model has
never heard, in five emotional episodes, so the true emotion at every moment is known.
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

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import Pipeline

from sklearn_ser import AudioFeatureTransformer, SERClassifier
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.inference import analyse_recording

# %%
# Train a clip model
# ------------------
EMOTIONS = ["neutral", "happy", "sad", "angry"]
CLIP = 2.0  # seconds
data = make_emotional_speech(
    n_speakers=N_SPEAKERS, n_clips_per_emotion=N_CLIPS, emotions=EMOTIONS, duration=CLIP,
    random_state=0,
)
pipe = Pipeline([
    ("features", AudioFeatureTransformer(
        duration=CLIP, hop_length=512, augment=("noise", "shift", "echo"), random_state=0
    )),
    ("clf", SERClassifier(
        arch="cnn", epochs=EPOCHS, model__filters=(32, 64), random_state=0, **FAST
    )),
]).fit(data.X, data.y)

# %%
# A 30-second recording
# ---------------------
# Five episodes of three clips each (6 seconds) by one new speaker.
EPISODES = ["neutral", "angry", "sad", "happy", "neutral"]
new = make_emotional_speech(
    n_speakers=2, n_clips_per_emotion=6, emotions=EMOTIONS, duration=CLIP, random_state=99
)
speaker = new.groups[0]
pieces, truth, used = [], [], {e: 0 for e in EMOTIONS}
for emotion in EPISODES:
    clips = np.flatnonzero((new.groups == speaker) & (new.y == emotion))
    for i in clips[used[emotion]:used[emotion] + 3]:
        pieces.append(new.X[i])
        truth.append(emotion)
    used[emotion] += 3
recording = np.concatenate(pieces)
print(f"recording: {recording.size / new.sr:.1f} s at {new.sr} Hz")

# %%
# Sliding-window analysis
# -----------------------
# Windows of the clip length every half second. Each window is conditioned like a training
# clip (peak-normalised, silence trimmed, padded to 2 seconds) and classified.
analysis = analyse_recording(pipe, recording, window=CLIP, hop=0.5, sr=new.sr)
print(analysis.timeline.head().round(2).to_string())
print("\nemotion distribution of the recording:")
print(analysis.distribution.round(3).to_string())

# %%
# A file is streamed
# ------------------
# Given a path, :func:`~sklearn_ser.inference.analyse_recording` never holds the recording
# whole: it decodes it in blocks, resamples them with one continuous soxr stream and
# classifies the windows in batches as they arrive, so an hour of audio needs the memory of
# a few seconds (``benchmarks/bench_stream.py``). The analysis is the same as of the
# waveform in memory.
import tempfile

import soundfile as sf

path = os.path.join(tempfile.mkdtemp(), "recording.wav")
sf.write(path, recording, new.sr, subtype="FLOAT")
streamed = analyse_recording(pipe, path, window=CLIP, hop=0.5)
columns = ["start", "end", "label"]
print("same windows and labels:", streamed.timeline[columns].equals(analysis.timeline[columns]))
gap = np.abs(streamed.timeline[EMOTIONS] - analysis.timeline[EMOTIONS]).to_numpy().max()
print(f"largest probability difference: {gap:.1e}")

# %%
# How often the window label matches the episode at the window centre:
centres = (analysis.timeline["start"] + analysis.timeline["end"]).to_numpy() / 2
true_at_centre = np.asarray(truth)[np.minimum((centres // CLIP).astype(int), len(truth) - 1)]
agreement = np.mean(analysis.timeline["label"].to_numpy() == true_at_centre)
print(f"windows labelled with the episode's emotion: {agreement:.0%}")

# %%
# Timeline and distribution
# -------------------------
# Top: the waveform, shaded by the true episode. Middle: the probability of each emotion per
# window, at the window centre. Right: the recording's overall distribution.
classes = list(analysis.distribution.index)
colours = {c: f"C{k}" for k, c in enumerate(classes)}
time = np.arange(recording.size) / new.sr
fig = plt.figure(figsize=(12, 5.5))
grid = fig.add_gridspec(2, 2, width_ratios=[3, 1])
ax_wave = fig.add_subplot(grid[0, 0])
ax_prob = fig.add_subplot(grid[1, 0], sharex=ax_wave)
ax_dist = fig.add_subplot(grid[:, 1])

ax_wave.plot(time, recording, color="0.3", linewidth=0.3)
for k, emotion in enumerate(truth):
    ax_wave.axvspan(k * CLIP, (k + 1) * CLIP, color=colours.get(emotion, "0.8"), alpha=0.25,
                    linewidth=0)
ax_wave.set(ylabel="amplitude", title="Recording (shaded: true emotion)")
ax_prob.stackplot(centres, analysis.timeline[classes].to_numpy(dtype=float).T,
                  colors=[colours[c] for c in classes], labels=classes, alpha=0.85)
ax_prob.set(xlabel="time (s)", ylabel="probability", ylim=(0, 1),
            title=f"Window probabilities ({len(analysis.timeline)} windows)")
ax_prob.legend(loc="upper left", ncol=len(classes), fontsize="small")
ax_dist.bar(classes, analysis.distribution.to_numpy(), color=[colours[c] for c in classes])
ax_dist.set(ylim=(0, 1), title=f"Overall: {analysis.label}")
ax_dist.tick_params(axis="x", rotation=45)
fig.tight_layout()
plt.show()
