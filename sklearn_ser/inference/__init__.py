"""Emotion analysis of recordings longer than a training clip, in sliding windows.

A model trained on clips of a few seconds (``AudioFeatureTransformer(duration=3.0)``, or any
front-end transformer with a ``duration``) would crop a long recording to its first seconds.
Here the recording is cut into overlapping windows of the clip length; each window goes
through the fitted pipeline as one clip, and the recording's emotion distribution is the mean
of the window probabilities.

A recording is streamed, never held whole: a file is decoded in blocks (checked by
:func:`sklearn_ser.frontend.decode.load_audio`, block by block), resampled by one soxr stream whose
output equals whole-file resampling sample for sample, cut into windows as the samples
arrive, and the windows are classified in batches. Memory follows one block, one window and
one batch, whatever the length of the recording.

The front-end side of the stream (blocks, resampling, windows) is
:mod:`sklearn_ser.frontend.stream`; this package runs a fitted model over it.
"""

from ._windows import (
    RecordingAnalysis,
    analyse_recording,
    audio_transformer,
    window_bounds,
    window_rate,
)

__all__ = ["RecordingAnalysis", "analyse_recording", "audio_transformer", "window_bounds",
           "window_rate"]
