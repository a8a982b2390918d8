"""Sliding-window analysis of a long recording: :func:`analyse_recording` and its parts."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd

from ..frontend.decode import MAX_SR, MIN_SR, audio_info, check_waveform
from ..frontend.stream import Windower, array_blocks, file_blocks, resampled

__all__ = ["RecordingAnalysis", "analyse_recording", "audio_transformer", "window_bounds",
           "window_rate"]


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
    >>> from sklearn_ser.inference import window_bounds
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


#: Frames decoded per read of a file: 16 s at 16 kHz, 1 MB of mono float32.
BLOCK_SIZE = 1 << 18
#: Most windows per batch: one ``transform`` of the pipeline's first steps, one
#: ``predict_proba`` of its final step. What a batch holds (its 256 windows of 2 s are
#: 32 MB; the network's activations for 256 rows ~40 MB) bounds the memory of the analysis.
WINDOW_BATCH = 256
def audio_transformer(model):
    """The front-end transformer that feeds a fitted pipeline its audio.

    Any transformer from audio clips with a ``duration`` parameter qualifies:
    :class:`~sklearn_ser.AudioFeatureTransformer`, :class:`~sklearn_ser.OpenSmileTransformer`
    or a speech-embedding transformer.

    Parameters
    ----------
    model : Pipeline
        A pipeline whose first step is such a transformer, and last step has predict_proba.

    Returns
    -------
    transformer : estimator
        The pipeline's first step; a ``TypeError`` says why when there is none.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_ser import OpenSmileTransformer
    >>> from sklearn_ser.inference import audio_transformer
    >>> audio_transformer(make_pipeline(OpenSmileTransformer(sr=16000), DummyClassifier()))
    OpenSmileTransformer(sr=16000)
    """
    steps = getattr(model, "steps", None)
    first = steps[0][1] if steps else None
    if first is None or not (hasattr(first, "duration") and hasattr(first, "transform")):
        raise TypeError(
            "Expected a Pipeline whose first step is a front-end transformer with a duration "
            "(AudioFeatureTransformer, OpenSmileTransformer, SpeechEmbeddingTransformer: what "
            f"'sklearn-ser train' saves), got {type(model).__name__}"
            + (f" starting with {type(first).__name__}." if first is not None else ".")
        )
    if not hasattr(model, "predict_proba"):
        raise TypeError(f"The pipeline's final step {type(steps[-1][1]).__name__} has no "
                        "predict_proba.")
    return first


def window_rate(transformer) -> int:
    """Sample rate (Hz) a recording's windows are cut at for ``transformer``.

    Windows reach the transformer as waveforms, so this is the rate it reads waveforms at:
    its ``input_sr``, else the rate it resamples to (``sr``, or a fitted ``sampling_rate_``).

    Parameters
    ----------
    transformer : estimator
        A front-end transformer (:func:`audio_transformer`).

    Returns
    -------
    rate : int
        A ``ValueError`` when there is no fixed rate (``OpenSmileTransformer(sr=None,
        input_sr=None)`` hands each file to openSMILE at its own rate).

    Examples
    --------
    >>> from sklearn_ser import AudioFeatureTransformer
    >>> from sklearn_ser.inference import window_rate
    >>> window_rate(AudioFeatureTransformer()), window_rate(AudioFeatureTransformer(input_sr=8000))
    (16000, 8000)
    """
    for name in ("input_sr", "sr", "sampling_rate_"):
        rate = getattr(transformer, name, None)
        if rate is not None:
            return int(rate)
    raise ValueError(
        f"The model's {type(transformer).__name__} reads each file at its own sample rate "
        "(parameters 'sr' and 'input_sr' are None), so the windows of a recording have no "
        "rate to be cut at: set sr (e.g. 16000) on the transformer and fit it again."
    )


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
                      hop: float | None = None, sr: int | None = None,
                      block_size: int = BLOCK_SIZE) -> RecordingAnalysis:
    """Emotion timeline and distribution of a recording of any length, streamed.

    The recording is decoded at the rate the model's transformer expects and cut by
    :func:`window_bounds`; every window is one clip for the model (so it is conditioned
    like a training clip: peak-normalised, trimmed of silence, padded to the clip duration).
    A recording no longer than ``window`` is one window, i.e. an ordinary clip prediction.

    A file is streamed: decoded ``block_size`` frames at a time, resampled by one
    continuous soxr stream, cut into windows as its samples arrive, and classified in
    batches of at most ``WINDOW_BATCH`` windows (of equal size, from the header's length),
    so memory stays flat however long the recording. The windows are those of decoding the
    file whole (``analyse_recording(model, load_audio(path, sr))``): their samples are equal,
    resampling included (MP3, whose decoder restarts at each block's seek, within 1e-6).
    The probabilities are those of classifying every window in one call, up to the float32
    rounding of a network run on batches of another size.

    Parameters
    ----------
    model : Pipeline
        Fitted pipeline starting with a front-end transformer (see :func:`audio_transformer`)
        and ending in a classifier with ``predict_proba`` (what ``sklearn-ser train`` saves).
    recording : str, path-like or array-like
        An audio file, or a waveform at ``sr`` Hz (mono, or multichannel in the convention
        of :func:`sklearn_ser.frontend.decode.check_waveform`).
    window : float, default=None
        Window length in seconds; None uses the transformer's ``duration``. It cannot exceed
        that duration, because the transformer would crop each window to it.
    hop : float, default=None
        Seconds between window starts; None uses half the window.
    sr : int, default=None
        Sample rate of a waveform ``recording``; None means the rate the transformer reads
        waveforms at (:func:`window_rate`). Ignored for files.
    block_size : int, default=BLOCK_SIZE
        Frames decoded (or, for a waveform, resampled) per step. It changes memory and
        speed only, never the result.

    Returns
    -------
    analysis : RecordingAnalysis

    Raises
    ------
    FileNotFoundError
        If a file ``recording`` does not exist.
    AudioInputError
        If the recording cannot be decoded, is empty, or holds NaN/inf samples (the message
        names the file and the reason).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_ser import AudioFeatureTransformer
    >>> from sklearn_ser.inference import analyse_recording
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

    A file gives the same analysis, read here in blocks of a quarter second:

    >>> import os, tempfile
    >>> import soundfile as sf
    >>> path = os.path.join(tempfile.mkdtemp(), "long.wav")
    >>> sf.write(path, long, 16000, subtype="FLOAT")
    >>> analyse_recording(model, path, block_size=4000).timeline.equals(result.timeline)
    True
    """
    transformer = audio_transformer(model)
    read_sr = window_rate(transformer)
    n_window, n_hop = _window_sizes(transformer, window, hop, read_sr)
    if int(block_size) != block_size or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}.")
    block_size = int(block_size)

    if isinstance(recording, (str, os.PathLike)):
        source = os.fspath(recording)
        # the model's own choice for truncated files (models saved before it had one: error)
        truncated = getattr(transformer, "truncated", "error")
        info = audio_info(source, truncated=truncated)
        blocks = file_blocks(source, info, block_size, truncated)
        rate, n_read = info.samplerate, info.frames
    else:
        source = "waveform"
        rate = read_sr if sr is None else sr
        if isinstance(rate, bool) or not (isinstance(rate, Real) and MIN_SR <= rate <= MAX_SR):
            raise ValueError(f"sr must be a sample rate between {MIN_SR} and {MAX_SR} Hz, "
                             f"got {sr!r}.")
        waveform = check_waveform(recording, source="recording")
        blocks, n_read = array_blocks(waveform, block_size), waveform.size

    # the length after resampling, from the header (estimated for some formats: a wrong
    # estimate costs a few padding rows, never a window)
    expected = max(1, round(n_read * read_sr / rate))
    windower = Windower(n_window, n_hop)
    batches = _Batches(model, _batch_size(_n_windows(expected, n_window, n_hop)))
    for block in resampled(blocks, rate, read_sr):
        batches.add(windower.push(block))
    batches.add(windower.finish(), last=True)
    return _analysis(model, source, windower.total / read_sr,
                     np.asarray(batches.bounds) / read_sr, np.concatenate(batches.probas))


def _batch_size(n_windows: int) -> int:
    """Windows per batch for a recording of about ``n_windows`` windows.

    At most ``WINDOW_BATCH``, and the batches as equal as the count allows: the last one is
    then short of the others by fewer windows than there are batches, and the zero rows that
    pad it (classified and thrown away) cost almost nothing. With batches of exactly
    ``WINDOW_BATCH``, a 10-minute recording (599 windows) would classify 169 padding rows.
    Never below 32 windows, in case a header under-states the length: a recording of fewer
    windows is one batch, which is not padded.
    """
    n_batches = max(1, math.ceil(n_windows / WINDOW_BATCH))
    return max(min(32, WINDOW_BATCH), math.ceil(n_windows / n_batches))


def _n_windows(n_samples: int, window: int, hop: int) -> int:
    """``len(window_bounds(n_samples, window, hop))``, without building the bounds."""
    if n_samples <= window:
        return 1
    n_regular = (n_samples - window) // hop + 1
    return n_regular + int((n_regular - 1) * hop + window < n_samples)


class _Batches:
    """Windows in, probabilities out, ``size`` windows at a time.

    ``model[:-1].transform`` then ``model[-1].predict_proba`` is what the pipeline's own
    ``predict_proba`` does. The last, partial batch of a recording longer than one batch is
    padded with zero feature rows to the size of the batches before, whose outputs are
    dropped: rows are classified independently, and a Keras network called with the shape
    it has already run on is not traced again (a second trace costs seconds).
    """

    def __init__(self, model, size: int = WINDOW_BATCH):
        self.features, self.final = model[:-1], model[-1]
        self.size = size
        self.bounds, self.probas, self.pending = [], [], []

    def add(self, windows, *, last: bool = False):
        self.pending.extend(windows)
        while len(self.pending) >= self.size or (last and self.pending):
            batch = self.pending[:self.size]
            del self.pending[:self.size]
            self.bounds.extend((start, start + clip.size) for start, clip in batch)
            X = self.features.transform([clip for _, clip in batch])
            if self.probas and len(batch) < self.size:
                X = np.concatenate([X, np.zeros((self.size - len(batch), *X.shape[1:]),
                                                dtype=X.dtype)])
            proba = np.asarray(self.final.predict_proba(X), dtype=float)
            self.probas.append(proba[:len(batch)])


def _window_sizes(transformer, window, hop, read_sr) -> tuple[int, int]:
    """Window and hop in samples, from seconds checked against the model's clip duration."""
    if window is None:
        if transformer.duration is None:
            raise ValueError(
                f"The model's {type(transformer).__name__} has duration=None (whole clips of "
                "any length); pass window= to analyse the recording in windows."
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
    return max(1, round(window * read_sr)), max(1, round(hop * read_sr))


def _analysis(model, source, duration, bounds, proba) -> RecordingAnalysis:
    classes = [str(c) for c in model.classes_]
    timeline = pd.DataFrame(proba, columns=classes)
    timeline.insert(0, "label", np.asarray(classes, dtype=object)[proba.argmax(axis=1)])
    timeline.insert(0, "end", bounds[:, 1])
    timeline.insert(0, "start", bounds[:, 0])
    distribution = pd.Series(proba.mean(axis=0), index=classes, name="probability")
    return RecordingAnalysis(
        source=source,
        duration=duration,
        timeline=timeline,
        distribution=distribution,
        label=classes[int(np.argmax(distribution.to_numpy()))],
    )
