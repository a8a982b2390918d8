"""Pooling of a speech encoder's frames: the one vocabulary and rule of its transformers.

:class:`~sklearn_ser.SpeechEmbeddingTransformer` and :class:`~sklearn_ser.WhisperTransformer`
both turn a clip's encoder frames into a vector (``"mean"``, ``"mean_std"``) or keep the
sequence (``"none"``) for :class:`~sklearn_ser.SERClassifier`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["POOLINGS", "PoolingMixin"]

#: ``pooling`` -> what one clip gives: a vector (mean; mean and standard deviation) over
#: its frames, or the frame sequence itself.
POOLINGS = ("mean", "mean_std", "none")


class PoolingMixin:
    """Names, output array and pooling of an estimator with ``pooling`` and ``n_frames_``."""

    #: Encoder frames averaged into one output frame (``pooling="none"``); an estimator
    #: with a ``stride`` parameter overrides it.
    stride = 1

    def _check_pooling(self) -> None:
        if self.pooling == "none" and self.duration is None:
            raise ValueError(
                "Parameter 'pooling'='none' returns frame sequences, whose length follows the "
                "clip's: set 'duration' so that every clip gives the same number of frames.")

    def _fit_output(self, prefix: str, width: int, frames_of) -> None:
        """Set ``n_frames_`` and the feature names at the end of ``fit``.

        ``frames_of(n_samples)`` is the number of encoder frames of a clip of that many
        samples at ``sampling_rate_``; it is asked only for frame sequences
        (``pooling="none"``), of a ``duration``-s clip.
        """
        self.n_frames_ = None
        if self.pooling == "none":
            frames = frames_of(round(self.duration * self.sampling_rate_))
            if frames < self.stride:
                raise ValueError(f"Parameter 'stride'={self.stride} is longer than the "
                                 f"{frames} encoder frames of a {self.duration}-s clip.")
            self.n_frames_ = frames // self.stride
        self._set_feature_names(prefix, width)

    def _set_feature_names(self, prefix: str, width: int) -> None:
        names = [f"{prefix}_{i}" for i in range(width)]
        if self.pooling == "mean_std":
            names = [f"{prefix}_mean_{i}" for i in range(width)] + [
                f"{prefix}_std_{i}" for i in range(width)]
        self.feature_names_out_ = np.asarray(names, dtype=object)

    def _empty_output(self, n_clips: int) -> np.ndarray:
        width = len(self.feature_names_out_)
        shape = (n_clips, width) if self.n_frames_ is None else (n_clips, self.n_frames_, width)
        return np.empty(shape, dtype=np.float32)

    def _pool(self, h: np.ndarray) -> np.ndarray:
        if self.pooling == "none":
            if self.stride == 1:
                return h[: self.n_frames_]
            h = h[: self.n_frames_ * self.stride]
            return h.reshape(self.n_frames_, self.stride, -1).mean(axis=1)
        if self.pooling == "mean":
            return h.mean(axis=0)
        return np.concatenate([h.mean(axis=0), h.std(axis=0)])
