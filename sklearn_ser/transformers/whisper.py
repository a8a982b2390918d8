"""WhisperTransformer: frames of Whisper's encoder, on CTranslate2, as features.

Whisper's encoder was trained on 680,000 hours of speech in many languages and recording
conditions; its frames carry who speaks, how and in what room, not only what is said, and
a linear model on them recognises acted emotions across corpora better than the library's
own log-mel networks (docs/accuracy.rst, "Whisper's encoder"). CTranslate2 runs it in int8
on a CPU at tens of milliseconds a clip, without PyTorch.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from ..backbones import get_backbone, resolve_backbone
from ..backbones._resolve import encoder_folder
from ..backbones._whisper import (
    HOP_LENGTH,
    MAX_FRAMES,
    SAMPLE_RATE,
    encode,
    encoder_frames,
    load_encoder,
    log_mel,
)
from ..frontend.clip import READ_MARGIN
from ..frontend.condition import condition
from ..frontend.decode import AudioInputError
from ..frontend.extraction import FRONT_END_CONSTRAINTS, ClipFeaturesMixin
from ..frontend.inputs import clip_digest, clip_sources, decode_source
from ..utils._docstrings import fill_doc
from ._pooling import POOLINGS, PoolingMixin

__all__ = ["POOLINGS", "WhisperTransformer", "clear_embedding_cache"]

#: Samples of Whisper's 30-s window; longer clips are encoded window by window.
_WINDOW = MAX_FRAMES * HOP_LENGTH
#: Clips decoded at a time: bounds the waveforms held in memory, not the batch.
_CHUNK = 64


def _clip_frames(n_samples: int) -> int:
    """Encoder frames of a clip of ``n_samples`` at 16 kHz, encoded in 30-s windows."""
    return sum(encoder_frames(min(_WINDOW, n_samples - s) // HOP_LENGTH)
               for s in range(0, n_samples, _WINDOW))


class _EmbeddingCache:
    """Least-recently-used results by (settings, clip content), bounded in bytes.

    Cross-validation calls ``transform`` on overlapping subsets of one corpus, once per
    fold and per grid point; keyed by the clip's content (:func:`~sklearn_ser.frontend.inputs.
    clip_digest`) and every setting that changes the result, each clip is embedded once
    per process. Only the process's own memory is used: nothing is written to disk and no
    path is ever read back, so a cache cannot carry anything from one user to another.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0

    def get(self, key):
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key, value: np.ndarray) -> None:
        if key in self._items or value.nbytes > self.max_bytes:
            return
        self._items[key] = value
        self._bytes += value.nbytes
        while self._bytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self._bytes -= old.nbytes

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0


_CACHE = _EmbeddingCache(int(float(os.environ.get("SKLEARN_SER_EMBEDDING_CACHE_MB", "3072"))
                             * 2**20))


def clear_embedding_cache() -> None:
    """Forget every embedding kept by :class:`WhisperTransformer` in this process.

    The cache holds at most ``SKLEARN_SER_EMBEDDING_CACHE_MB`` megabytes (environment
    variable read at import; 3072 by default; 0 disables it).

    Examples
    --------
    >>> from sklearn_ser.transformers.whisper import clear_embedding_cache
    >>> clear_embedding_cache()
    """
    _CACHE.clear()


@fill_doc
class WhisperTransformer(PoolingMixin, ClipFeaturesMixin, TransformerMixin, BaseEstimator):
    """Frames of Whisper's encoder (CTranslate2), pooled for scikit-learn or as sequences.

    Each clip goes through the library's front end (the inputs, decoding, resampling to
    16 kHz, peak normalisation and trimming of :class:`~sklearn_ser.AudioFeatureTransformer`),
    then Whisper's log-mel spectrogram and encoder, whose 20-ms frames are pooled over the
    clip. The weights are a pinned checkpoint (:mod:`sklearn_ser.backbones`), checked
    against its SHA-256 wherever they come from.

    A clip is encoded at its own length, never padded to Whisper's 30 s (a 3-s clip costs a
    tenth of a padded one); a clip longer than 30 s is encoded in consecutive 30-s windows
    whose frames are pooled together. Clips of similar length share a batch: each is padded
    with silence to a multiple of ``bucket`` seconds that depends only on its own length, and
    only its own frames are pooled, so a clip's embedding is the same alone or in any batch.

    Within one process, results are kept by clip content and settings (see
    :func:`clear_embedding_cache`): cross-validating a pipeline that starts with this
    transformer embeds each clip once, not once per fold.

    Parameters
    ----------
    backbone : str, default="whisper-base"
        A checkpoint of :data:`sklearn_ser.backbones.BACKBONES`.
    layer : int, default=-1
        The encoder layer whose output is pooled, 1 to the number of layers (6 for
        ``whisper-base``); -1 is the last. A middle layer runs only the layers up to it.
    stride : int, default=1
        With ``pooling="none"``, each output frame is the mean of this many consecutive
        20-ms encoder frames (2: 40-ms frames). A network reading the sequence then costs
        about ``1 / stride`` as much, and the encoder's neighbouring frames are much alike.
        Must be 1 for the other poolings.
    pooling : {"mean", "mean_std", "none"}, default="mean_std"
        ``"mean"``: ``(n_samples, width)``; ``"mean_std"``: the mean and the standard
        deviation over frames, ``(n_samples, 2 * width)``; ``"none"``: the frame sequences
        ``(n_samples, n_frames_, width)`` for :class:`~sklearn_ser.SERClassifier` (needs
        ``duration``).
    duration : float or None, default=None
        Clip length in seconds after trimming (padded as ``pad_mode`` says, or cropped);
        None keeps each clip's length.
    top_db : float or None, default=None
        Trim leading and trailing audio quieter than this many dB below the peak.
    {{pad_mode}}
    input_sr : int or None, default=None
        Sample rate of in-memory waveforms; None means 16 kHz.
    bucket : float, default=0.5
        Seconds: each clip is padded with silence to a multiple of this, so clips of similar
        length can share a batch.
    batch_size : int, default=16
        Clips per forward pass.
    compute_type : {"int8", "int8_float32", "float32"}, default="int8"
        CTranslate2's arithmetic: int8 weights are about twice as fast as float32 on a CPU.
    n_threads : int, default=0
        CPU threads of the encoder; 0 lets CTranslate2 choose.
    model_dir : str, path-like or None, default=None
        A folder holding the checkpoint's files; None looks in the Hugging Face cache, then
        in the installed weight packages, then on the Hub. Never restored from a model file.
    allow_download : bool, default=True
        Whether the weights may be downloaded from the Hugging Face Hub when no local
        source has them.
    {{truncated}}
    verbose : int, default=0
        Show a progress bar over clips when > 0.

    Attributes
    ----------
    n_layers_ : int
        The encoder layer used (``layer`` with -1 resolved).
    width_ : int
        Width of one encoder frame.
    sampling_rate_ : int
        The encoder's sample rate (16 kHz); clips are resampled to it.
    n_frames_ : int or None
        Frames per clip with ``pooling="none"`` (None otherwise).
    model_sha256_ : str
        SHA-256 of the checkpoint's ``model.bin``: the weights these features come from.
    feature_names_out_ : ndarray of str
        Name of each output column (the last axis).
    n_features_in_ : int
        Width of a 2-D table of waveforms seen in ``fit`` (only then).

    See Also
    --------
    sklearn_ser.SpeechEmbeddingTransformer : Other speech encoders, on PyTorch.
    sklearn_ser.pretrained.recipe : This transformer with the head chosen for emotions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import WhisperTransformer
    >>> rng = np.random.default_rng(0)
    >>> clips = [0.1 * rng.standard_normal(16000), 0.1 * rng.standard_normal(24000)]
    >>> embed = WhisperTransformer(pooling="mean")
    >>> embed.fit_transform(clips).shape
    (2, 512)
    """

    _parameter_constraints: dict = {
        **FRONT_END_CONSTRAINTS,
        "backbone": [str],
        "layer": [Integral],
        "stride": [Interval(Integral, 1, None, closed="left")],
        "pooling": [StrOptions(set(POOLINGS))],
        "bucket": [Interval(Real, 0, 30, closed="right")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "compute_type": [StrOptions({"int8", "int8_float32", "float32"})],
        "n_threads": [Interval(Integral, 0, None, closed="left")],
        "model_dir": [str, os.PathLike, None],
        "allow_download": ["boolean"],
    }

    def __init__(self, backbone="whisper-base", *, layer=-1, stride=1, pooling="mean_std",
                 duration=None,
                 top_db=None, pad_mode="constant", input_sr=None, bucket=0.5, batch_size=16,
                 compute_type="int8", n_threads=0, model_dir=None, allow_download=True,
                 truncated="error", verbose=0):
        self.backbone = backbone
        self.layer = layer
        self.stride = stride
        self.pooling = pooling
        self.duration = duration
        self.top_db = top_db
        self.pad_mode = pad_mode
        self.input_sr = input_sr
        self.bucket = bucket
        self.batch_size = batch_size
        self.compute_type = compute_type
        self.n_threads = n_threads
        self.model_dir = model_dir
        self.allow_download = allow_download
        self.truncated = truncated
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and the input, and find the verified weights.

        {{clips_fit_sections}}
        """
        clip_sources(self, X, reset=True)
        spec = get_backbone(self.backbone)
        if not (1 <= self.layer <= spec.n_layers or self.layer == -1):
            raise ValueError(f"Parameter 'layer'={self.layer} is out of range: {self.backbone} "
                             f"has layers 1 to {spec.n_layers} (-1 is the last).")
        self._check_pooling()
        if self.stride != 1 and self.pooling != "none":
            raise ValueError(f"Parameter 'stride'={self.stride} averages frames of a sequence: "
                             f"it needs pooling='none' (got pooling={self.pooling!r}).")
        self.n_layers_ = spec.n_layers if self.layer == -1 else int(self.layer)
        self.width_ = spec.width
        self.sampling_rate_ = SAMPLE_RATE
        self.model_sha256_ = spec.files["model.bin"].sha256
        self._fit_output("whisper", self.width_, _clip_frames)
        self._encoder()  # weights missing or altered: say so now, not at transform
        return self

    def transform(self, X):
        """Pool the encoder's frames of each clip (those cached in this process are reused).

        {{clips_parameters}}

        Returns
        -------
        X_out : ndarray, float32
            ``(n_samples, n_features)``, or ``(n_samples, n_frames_, width_)`` when
            ``pooling="none"``.
        """
        check_is_fitted(self)
        sources = clip_sources(self, X, reset=False, content_keys=True)
        settings = self._settings()
        keys = [(settings, clip_digest(s)) for s in sources]
        out = self._empty_output(len(sources))
        todo = []
        for i, key in enumerate(keys):
            hit = _CACHE.get(key)
            if hit is None:
                todo.append(i)
            else:
                out[i] = hit
        progress = tqdm(total=len(todo), desc="whisper", unit="clip", disable=not self.verbose)
        chunks = [todo[k:k + _CHUNK] for k in range(0, len(todo), _CHUNK)]
        model = self._encoder() if chunks else None
        # decoding and log-mels of the next chunk (soundfile, soxr and the FFT release the
        # GIL) overlap the encoder's work on this one
        with ThreadPoolExecutor(max_workers=1) as reader:
            pending = reader.submit(self._prepare, [sources[i] for i in chunks[0]]) \
                if chunks else None
            for n, chunk in enumerate(chunks):
                segments = pending.result()
                if n + 1 < len(chunks):
                    pending = reader.submit(self._prepare, [sources[i] for i in chunks[n + 1]])
                for i, value in zip(chunk, self._encode(model, segments, len(chunk))):
                    out[i] = value
                    _CACHE.put(keys[i], value)
                progress.update(len(chunk))
        progress.close()
        return out

    # -- clips -------------------------------------------------------------------------------

    def _settings(self) -> tuple:
        """Everything besides the clip that changes its embedding (the cache key)."""
        return (self.model_sha256_, self.n_layers_, self.compute_type, self.pooling, self.stride,
                self.duration, self.top_db, self.pad_mode, self.input_sr, float(self.bucket),
                self.truncated)

    def _waveform(self, source) -> np.ndarray:
        max_duration = None if self.duration is None else self.duration + READ_MARGIN
        y = decode_source(source, sr=SAMPLE_RATE, input_sr=self.input_sr,
                          max_duration=max_duration, truncated=self.truncated)
        y = condition(y, SAMPLE_RATE, duration=self.duration, top_db=self.top_db,
                      pad_mode=self.pad_mode)
        if y.size < 2 * HOP_LENGTH:
            raise AudioInputError(
                f"{source.label} holds {y.size} samples at 16 kHz after trimming: Whisper "
                "needs at least 20 ms. Set 'duration' to pad short clips.")
        return y

    def _segments(self, y: np.ndarray) -> list[tuple[np.ndarray, int]]:
        """(padded log-mel, frames that are the clip's) of each 30-s window of a clip."""
        step = max(HOP_LENGTH, round(self.bucket * SAMPLE_RATE))
        segments = []
        for start in range(0, y.size, _WINDOW):
            piece = y[start:start + _WINDOW]
            if piece.size < 2 * HOP_LENGTH and segments:  # a sliver after 30 s: no frame
                break
            padded = min(_WINDOW, -(-piece.size // step) * step)
            mel = log_mel(np.pad(piece, (0, padded - piece.size)))
            segments.append((mel, encoder_frames(piece.size // HOP_LENGTH)))
        return segments

    def _prepare(self, sources) -> list[tuple]:
        """(clip index, log-mel, valid frames) of each 30-s window of each clip."""
        return [(i, *seg) for i, s in enumerate(sources)
                for seg in self._segments(self._waveform(s))]

    def _encode(self, model, segments, n_clips: int) -> list[np.ndarray]:
        """Pooled features (or frames) of each clip, encoded in batches of equal length."""
        frames: list[list] = [[] for _ in range(n_clips)]
        by_length: dict[int, list] = {}
        for k, (_, mel, _) in enumerate(segments):
            by_length.setdefault(mel.shape[1], []).append(k)
        hidden = [None] * len(segments)
        for members in by_length.values():
            for b in range(0, len(members), self.batch_size):
                batch = members[b:b + self.batch_size]
                states = encode(model, np.stack([segments[k][1] for k in batch]))
                for k, h in zip(batch, states):
                    hidden[k] = h[:segments[k][2]]
        for k, (i, _, _) in enumerate(segments):
            frames[i].append(hidden[k])
        return [self._pool(np.concatenate(f)) for f in frames]


    def _encoder(self):
        spec = get_backbone(self.backbone)
        folder = resolve_backbone(spec, self.model_dir, allow_download=self.allow_download)
        folder = encoder_folder(spec, folder, self.n_layers_)
        return load_encoder(str(folder), self.compute_type, int(self.n_threads))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
