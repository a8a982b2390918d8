"""Emotion analysis of recordings longer than a training clip, in sliding windows.

A model trained on clips of a few seconds (``AudioFeatureTransformer(duration=3.0)``) would
crop a long recording to its first seconds. Here the recording is cut into overlapping
windows of the clip length; each window goes through the fitted pipeline as one clip, and the
recording's emotion distribution is the mean of the window probabilities.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .audio import check_waveform, load_audio, resample
from .transformer import AudioFeatureTransformer

__all__ = ["RecordingAnalysis", "analyse_recording", "audio_transformer", "window_bounds"]


def window_bounds(n_samples: int, window: int, hop: int) -> np.ndarray:
    """Start and stop sample of each analysis window of a recording.

    Windows start every ``hop`` samples. When the last regular window stops short of the
    end, one more window ending exactly at the end is added, so the tail of the recording is
    analysed too. A recording no longer than ``window`` is a single window.

    Parameters
    ----------
    n_samples : int
        Length of the recording.
    window : int
        Window length in samples.
    hop : int
        Hop between window starts in samples.

    Returns
    -------
    bounds : ndarray of shape (n_windows, 2)
        ``[start, stop)`` sample indices.

    Examples
    --------
    >>> from sklearn_ser.windows import window_bounds
    >>> window_bounds(10, 4, 2).tolist()
    [[0, 4], [2, 6], [4, 8], [6, 10]]
    >>> window_bounds(11, 4, 3).tolist()
    [[0, 4], [3, 7], [6, 10], [7, 11]]
    >>> window_bounds(3, 4, 2).tolist()
    [[0, 3]]
    """
    for name, value in (("n_samples", n_samples), ("window", window), ("hop", hop)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if n_samples <= window:
        return np.array([[0, n_samples]])
    starts = np.arange(0, n_samples - window + 1, hop)
    if starts[-1] + window < n_samples:
        starts = np.append(starts, n_samples - window)
    return np.stack([starts, starts + window], axis=1)


def audio_transformer(model) -> AudioFeatureTransformer:
    """The :class:`~sklearn_ser.AudioFeatureTransformer` that feeds a fitted pipeline.

    Parameters
    ----------
    model : Pipeline
        A fitted pipeline whose first step is an ``AudioFeatureTransformer``.

    Returns
    -------
    transformer : AudioFeatureTransformer

    Raises
    ------
    TypeError
        If ``model`` is not such a pipeline.
    """
    steps = getattr(model, "steps", None)
    if not steps or not isinstance(steps[0][1], AudioFeatureTransformer):
        raise TypeError(
            f"Expected a Pipeline whose first step is an AudioFeatureTransformer (what "
            f"'sklearn-ser train' saves), got {type(model).__name__}."
        )
    if not hasattr(model, "predict_proba"):
        raise TypeError(f"The pipeline's final step {type(steps[-1][1]).__name__} has no "
                        "predict_proba.")
    return steps[0][1]


@dataclass
class RecordingAnalysis:
    """Result of :func:`analyse_recording`.

    Attributes
    ----------
    source : str
        The recording's path (or ``"waveform"``).
    duration : float
        Length of the recording in seconds.
    timeline : DataFrame
        One row per window: ``start`` and ``end`` (seconds), ``label`` (most probable
        emotion) and one probability column per class.
    distribution : Series
        Mean of the window probabilities, indexed by class: the recording's emotion profile.
    label : str
        The most probable emotion of ``distribution``.
    """

    source: str
    duration: float
    timeline: pd.DataFrame
    distribution: pd.Series
    label: str


def analyse_recording(model, recording, *, window: float | None = None,
                      hop: float | None = None, sr: int | None = None) -> RecordingAnalysis:
    """Emotion timeline and distribution of a recording of any length.

    The recording is decoded at the rate the model's transformer expects and cut by
    :func:`window_bounds`; every window is one clip for the model (so it is conditioned
    like a training clip: peak-normalised, trimmed of silence, padded to the clip duration).
    A recording no longer than ``window`` is one window, i.e. an ordinary clip prediction.

    Parameters
    ----------
    model : Pipeline
        Fitted pipeline starting with an :class:`~sklearn_ser.AudioFeatureTransformer` and
        ending in a classifier with ``predict_proba`` (what ``sklearn-ser train`` saves).
    recording : str, path-like or 1-D array
        An audio file, or a waveform at ``sr`` Hz.
    window : float, default=None
        Window length in seconds; None uses the transformer's ``duration``. It cannot exceed
        that duration, because the transformer would crop each window to it.
    hop : float, default=None
        Seconds between window starts; None uses half the window.
    sr : int, default=None
        Sample rate of a waveform ``recording``; None means the rate the transformer reads
        waveforms at (``input_sr``, else ``sr``). Ignored for files.

    Returns
    -------
    analysis : RecordingAnalysis

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_ser import AudioFeatureTransformer
    >>> from sklearn_ser.windows import analyse_recording
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.standard_normal(8000).astype("float32") for _ in range(4)]
    >>> model = make_pipeline(AudioFeatureTransformer(duration=1.0, output="stats"),
    ...                       DummyClassifier(strategy="prior"))
    >>> model = model.fit(clips, ["calm", "calm", "calm", "angry"])
    >>> long = rng.standard_normal(16000 * 3).astype("float32")     # 3 s at 16 kHz
    >>> result = analyse_recording(model, long)
    >>> result.timeline[["start", "end", "label"]].head(2)
       start  end label
    0    0.0  1.0  calm
    1    0.5  1.5  calm
    >>> len(result.timeline), result.distribution.round(2).to_dict()
    (5, {'angry': 0.25, 'calm': 0.75})
    """
    transformer = audio_transformer(model)
    read_sr = transformer.input_sr or transformer.sr
    if window is None:
        if transformer.duration is None:
            raise ValueError(
                "The model's AudioFeatureTransformer has duration=None (whole clips of any "
                "length); pass window= to analyse the recording in windows."
            )
        window = float(transformer.duration)
    if not window > 0:
        raise ValueError(f"window must be a positive number of seconds, got {window!r}.")
    if transformer.duration is not None and window > transformer.duration + 1e-9:
        raise ValueError(
            f"window={window:g} s exceeds the model's clip duration ({transformer.duration:g} s): "
            "the feature transformer would crop every window to the clip duration."
        )
    hop = window / 2 if hop is None else hop
    if not hop > 0:
        raise ValueError(f"hop must be a positive number of seconds, got {hop!r}.")

    if isinstance(recording, (str, os.PathLike)):
        source = os.fspath(recording)
        audio = load_audio(source, read_sr)
    else:
        source = "waveform"
        audio = check_waveform(recording, source="recording")
        if sr is not None and sr != read_sr:
            audio = resample(audio, sr, read_sr)
    n_window = max(1, round(window * read_sr))
    n_hop = max(1, round(hop * read_sr))
    bounds = window_bounds(audio.size, n_window, n_hop)
    clips = [audio[start:stop] for start, stop in bounds]
    proba = np.asarray(model.predict_proba(clips), dtype=float)
    classes = [str(c) for c in model.classes_]
    timeline = pd.DataFrame(proba, columns=classes)
    timeline.insert(0, "label", np.asarray(classes, dtype=object)[proba.argmax(axis=1)])
    timeline.insert(0, "end", bounds[:, 1] / read_sr)
    timeline.insert(0, "start", bounds[:, 0] / read_sr)
    distribution = pd.Series(proba.mean(axis=0), index=classes, name="probability")
    return RecordingAnalysis(
        source=source,
        duration=audio.size / read_sr,
        timeline=timeline,
        distribution=distribution,
        label=classes[int(np.argmax(distribution.to_numpy()))],
    )
