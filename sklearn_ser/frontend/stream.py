"""A recording as a stream: decoded in blocks, resampled by one soxr stream, cut into windows.

The streaming half of :mod:`sklearn_ser.inference`: memory follows one block and one window,
whatever the length of the recording, and the samples equal those of decoding and resampling
the recording whole.
"""

from __future__ import annotations

import numpy as np
import soxr

from .decode import load_audio

__all__ = ["Windower", "array_blocks", "file_blocks", "resampled"]

# must equal the quality of sklearn_ser.frontend.decode.resample, which the whole-file path uses
_RESAMPLE_QUALITY = "HQ"


def file_blocks(path, info, block_size: int, truncated: str):
    """Mono float32 blocks of a file at its own rate, each decoded and checked by load_audio.

    Each block is its own ``load_audio`` call (header, NaN/inf and truncation checks
    included). The offset is passed in seconds; ``round(done / rate * rate)`` recovers the
    exact frame, so blocks neither overlap nor skip a frame.
    """
    rate, done = info.samplerate, 0
    while True:
        block = load_audio(path, rate, offset=done / rate, max_duration=block_size / rate,
                           truncated=truncated)
        yield block
        done += block.size
        # fewer frames than asked: the end, also for formats whose frame count is estimated
        if done >= info.frames or block.size < block_size:
            return


def array_blocks(y: np.ndarray, block_size: int):
    for start in range(0, y.size, block_size):
        yield y[start:start + block_size]


def resampled(blocks, orig_sr: int, target_sr: int):
    """The blocks resampled by one soxr stream: the same samples as resampling them joined."""
    if orig_sr == target_sr:
        yield from blocks
        return
    stream = soxr.ResampleStream(orig_sr, target_sr, 1, dtype="float32",
                                 quality=_RESAMPLE_QUALITY)
    for block in blocks:
        yield stream.resample_chunk(block)
    yield stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)


class Windower:
    """Cuts a stream of blocks into the windows of :func:`window_bounds`, as samples arrive.

    Only the samples a future window can still need are kept: at most ``window`` of them,
    plus the block being cut. Each window is returned as a copy, so a batch of windows
    waiting to be classified never pins the blocks it came from.
    """

    def __init__(self, window: int, hop: int):
        self.window, self.hop = window, hop
        self.buffer = np.zeros(0, dtype=np.float32)
        self.base = 0  # recording index of buffer[0]
        self.next_start = 0

    @property
    def total(self) -> int:
        return self.base + self.buffer.size

    def _cut(self, start: int, stop: int) -> tuple[int, np.ndarray]:
        return start, self.buffer[start - self.base:stop - self.base].copy()

    def push(self, block: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Add samples; return the ``(start, window)`` pairs they complete."""
        self.buffer = np.concatenate([self.buffer, block])
        out = []
        while self.next_start + self.window <= self.total:
            out.append(self._cut(self.next_start, self.next_start + self.window))
            self.next_start += self.hop
        keep = min(self.next_start, max(self.total - self.window, 0))
        self.buffer, self.base = self.buffer[keep - self.base:], keep
        return out

    def finish(self) -> list[tuple[int, np.ndarray]]:
        """The last window: the whole recording when it is short, else one ending at its end."""
        if self.total <= self.window:
            return [] if self.next_start else [self._cut(0, self.total)]
        if self.next_start - self.hop + self.window < self.total:
            return [self._cut(self.total - self.window, self.total)]
        return []
