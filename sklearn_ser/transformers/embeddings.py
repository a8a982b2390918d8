"""SpeechEmbeddingTransformer: frozen embeddings of pretrained speech models.

wav2vec 2.0, HuBERT, WavLM, data2vec-audio and Whisper's encoder, as published on the Hugging
Face Hub, run through ``transformers`` on PyTorch (``pip install sklearn-ser[embeddings]``):
the checkpoints of all of them live there under one loading API, which works offline from a
folder written by ``save_pretrained``. PyTorch and transformers are imported in ``fit``,
never when :mod:`sklearn_ser` is, so the core install works without them.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from ..frontend.clip import READ_MARGIN
from ..frontend.condition import fix_length, trim_silence
from ..frontend.decode import AudioInputError, audio_info
from ..frontend.extraction import FRONT_END_CONSTRAINTS, ClipFeaturesMixin
from ..frontend.inputs import clip_sources, decode_source
from ..utils._docstrings import fill_doc
from ._pooling import POOLINGS, PoolingMixin

__all__ = ["POOLINGS", "SpeechEmbeddingTransformer"]



if "transformers" not in sys.modules:
    # transformers imports TensorFlow when it is installed (seconds, and its threads); these
    # models are PyTorch ones. An explicit USE_TF of the user's is respected.
    os.environ.setdefault("USE_TF", "0")


def _import_backend():
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ImportError(
            "SpeechEmbeddingTransformer needs PyTorch and Hugging Face transformers: "
            "pip install sklearn-ser[embeddings]"
        ) from exc
    return torch, transformers


@functools.lru_cache(maxsize=2)
def _load(model: str, revision, local_files_only: bool, cache_dir, device: str):
    """(encoder, feature extractor) of a checkpoint, in eval mode on ``device``; cached, so
    ``fit`` and ``transform`` (and a grid search over heads) load the weights once."""
    _, transformers = _import_backend()
    # trust_remote_code=False: a checkpoint's own Python code never runs
    kwargs = dict(revision=revision, local_files_only=local_files_only, cache_dir=cache_dir,
                  trust_remote_code=False)
    try:
        extractor = transformers.AutoFeatureExtractor.from_pretrained(model, **kwargs)
        # safetensors only: a pickled pytorch_model.bin can run code when torch loads it
        network = transformers.AutoModel.from_pretrained(model, use_safetensors=True, **kwargs)
    except OSError as exc:
        raise OSError(
            f"Parameter 'model'={model!r}: no pretrained speech model could be loaded ({exc}). "
            "Only weights in the safetensors format are read (model.safetensors); a checkpoint "
            "with only pytorch_model.bin can be converted with save_pretrained("
            "safe_serialization=True) where you trust it. Without a network, pass the folder "
            "of a checkpoint (what save_pretrained writes, with its preprocessor_config.json) "
            "or one in the Hugging Face cache with local_files_only=True."
        ) from exc
    if network.config.is_encoder_decoder:  # Whisper: the encoder is the speech model
        network = network.get_encoder()
    if network.main_input_name not in ("input_values", "input_features"):
        raise ValueError(
            f"Parameter 'model'={model!r} is a {type(network).__name__}, which does not read "
            "audio; use a speech encoder (wav2vec2, HuBERT, WavLM, data2vec-audio, Whisper)."
        )
    return network.eval().to(device), extractor


@fill_doc
class SpeechEmbeddingTransformer(PoolingMixin, ClipFeaturesMixin, TransformerMixin, BaseEstimator):
    """Frozen embeddings of a pretrained speech model, pooled for scikit-learn or as sequences.

    Each clip is read by the library's front end (the inputs, loading and error messages of
    :class:`~sklearn_ser.AudioFeatureTransformer`), resampled to the model's rate (16 kHz for
    all the usual checkpoints), prepared by the checkpoint's own feature extractor and run
    through the model without gradients. The hidden states of one layer (or their mean over
    the layers) are pooled over the clip's frames.

    Clips are batched in order of length. Padding never changes a clip's embedding: a model
    whose feature extractor takes an attention mask gets one and padded frames are left out
    of the pooling; a model without (wav2vec2-base, HuBERT-base: their group normalisation
    would see the padding) only ever shares a batch with clips of the same length, so a set
    ``duration`` batches everything. A clip's embedding does not depend on the other clips.

    Parameters
    ----------
    model : str or path-like, default="microsoft/wavlm-base-plus"
        A Hugging Face model id (``"facebook/wav2vec2-base"``, ``"facebook/hubert-large-ll60k"``,
        ``"microsoft/wavlm-large"``, ``"openai/whisper-small"``, ...) or the folder of a
        checkpoint saved with ``save_pretrained`` (model and feature extractor). Only the
        encoder of an encoder-decoder model (Whisper) is used.
    layer : int or "mean", default="mean"
        Which hidden states: an index into the model's ``hidden_states`` (0 is the input of
        the first transformer layer, ``n_layers_`` the last layer's output, -1 also the last),
        or ``"mean"``, the average of the transformer layers' outputs (1 to ``n_layers_``):
        emotion is spread over the middle layers more than concentrated in the last one.
    pooling : {"mean", "mean_std", "none"}, default="mean"
        ``"mean"``: float32 ``(n_samples, hidden_size)``; ``"mean_std"``: the mean and the
        standard deviation over frames, ``(n_samples, 2 * hidden_size)``; ``"none"``: the
        frame sequences ``(n_samples, n_frames_, hidden_size)`` for
        :class:`~sklearn_ser.SERClassifier` (needs ``duration``).
    duration : float or None, default=None
        Clip length in seconds after trimming (padded as ``pad_mode`` says, or cropped at the
        end); None keeps each clip's length (Whisper reads at most 30 s and refuses longer
        clips unless cropped).
    top_db : float or None, default=None
        Trim leading and trailing audio quieter than this many dB below the peak.
    {{pad_mode}}
    input_sr : int or None, default=None
        Sample rate of in-memory waveforms; None means they are at the model's rate.
    batch_size : int, default=8
        Clips per forward pass.
    device : str or None, default=None
        PyTorch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``); None takes CUDA
        when available, else the CPU.
    local_files_only : bool, default=False
        Never touch the network: the checkpoint must be a folder or in the local cache.
    revision : str or None, default=None
        Git revision (branch, tag or commit) of a Hub model, to pin the weights.
    cache_dir : str, path-like or None, default=None
        Where Hub downloads are kept (None: the Hugging Face default).
    {{truncated}}
    verbose : int, default=0
        Show a progress bar over batches when > 0.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        Name of each output column (the last axis).
    n_layers_ : int
        Transformer layers of the model.
    hidden_size_ : int
        Width of one frame's hidden state.
    sampling_rate_ : int
        The model's sample rate; clips are resampled to it.
    n_frames_ : int or None
        Frames per clip with ``pooling="none"`` (None otherwise).
    device_ : str
        Where the model runs.
    n_features_in_ : int
        Width of a 2-D table of waveforms seen in ``fit`` (only then).

    See Also
    --------
    sklearn_ser.OpenSmileTransformer : openSMILE's standard feature sets.
    sklearn_ser.AudioFeatureTransformer : The library's own frame-level features.

    Examples
    --------
    A real checkpoint needs its weights (downloaded once, then cached)::

        from sklearn.pipeline import make_pipeline
        from sklearn.linear_model import LogisticRegression
        pipe = make_pipeline(SpeechEmbeddingTransformer("microsoft/wavlm-base-plus"),
                             StandardScaler(), LogisticRegression(C=0.1, max_iter=1000))

    Any checkpoint folder works offline, here a tiny random one:

    >>> import tempfile, numpy as np
    >>> from sklearn_ser import SpeechEmbeddingTransformer
    >>> from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model
    >>> folder = tempfile.mkdtemp()
    >>> config = Wav2Vec2Config(hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
    ...                         intermediate_size=32, conv_dim=(8, 8), conv_kernel=(10, 3),
    ...                         conv_stride=(5, 2), num_conv_pos_embeddings=8,
    ...                         num_conv_pos_embedding_groups=2)
    >>> Wav2Vec2Model(config).save_pretrained(folder)
    >>> _ = Wav2Vec2FeatureExtractor().save_pretrained(folder)
    >>> embed = SpeechEmbeddingTransformer(folder, pooling="mean_std", local_files_only=True)
    >>> embed.fit_transform([np.random.default_rng(0).standard_normal(8000)]).shape
    (1, 32)
    """

    _parameter_constraints: dict = {
        **FRONT_END_CONSTRAINTS,
        "model": [str, os.PathLike],
        "layer": [Integral, StrOptions({"mean"})],
        "pooling": [StrOptions(set(POOLINGS))],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, None],
        "local_files_only": ["boolean"],
        "revision": [str, None],
        "cache_dir": [str, os.PathLike, None],
    }

    def __init__(
        self,
        model="microsoft/wavlm-base-plus",
        *,
        layer="mean",
        pooling="mean",
        duration=None,
        top_db=None,
        pad_mode="constant",
        input_sr=None,
        batch_size=8,
        device=None,
        local_files_only=False,
        revision=None,
        cache_dir=None,
        truncated="error",
        verbose=0,
    ):
        self.model = model
        self.layer = layer
        self.pooling = pooling
        self.duration = duration
        self.top_db = top_db
        self.pad_mode = pad_mode
        self.input_sr = input_sr
        self.batch_size = batch_size
        self.device = device
        self.local_files_only = local_files_only
        self.revision = revision
        self.cache_dir = cache_dir
        self.truncated = truncated
        self.verbose = verbose

    def _network(self):
        cache_dir = None if self.cache_dir is None else os.fspath(self.cache_dir)
        return _load(os.fspath(self.model), self.revision, self.local_files_only, cache_dir,
                     self.device_)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and the input, and load the model (no weights change).

        {{clips_fit_sections}}
        """
        clip_sources(self, X, reset=True)
        self._check_pooling()
        torch, _ = _import_backend()
        self.device_ = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        network, extractor = self._network()
        self.n_layers_ = int(network.config.num_hidden_layers)
        if self.layer != "mean" and not -(self.n_layers_ + 1) <= self.layer <= self.n_layers_:
            raise ValueError(
                f"Parameter 'layer'={self.layer} is out of range: {self.model} has "
                f"{self.n_layers_} layers, so hidden states 0 to {self.n_layers_} "
                f"(or -{self.n_layers_ + 1} to -1), or 'mean'."
            )
        self.hidden_size_ = int(network.config.hidden_size)  # Whisper maps it to d_model
        self.sampling_rate_ = int(extractor.sampling_rate)
        self._fit_output("emb", self.hidden_size_,
                         lambda n: self._valid_frames(network, extractor, [n])[0])
        return self

    def transform(self, X):
        """Embeddings of the clips.

        {{clips_parameters}}

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features) or (n_samples, n_frames_, hidden_size_)
            float32; the 3-D form with ``pooling="none"``.
        """
        check_is_fitted(self)
        torch, _ = _import_backend()
        sources = clip_sources(self, X, reset=False)
        network, extractor = self._network()
        out = self._empty_output(len(sources))
        batches = self._batches(sources)
        for batch in tqdm(batches, desc="embeddings", disable=not self.verbose, unit="batch"):
            waves = {i: self._waveform(sources[i], network, extractor) for i in batch}
            for group in self._equal_padding_groups(extractor, waves):
                with torch.inference_mode():
                    out[group] = self._embed(torch, network, extractor, [waves[i] for i in group])
        return out

    # -- clips -------------------------------------------------------------------------------

    def _estimated_length(self, source) -> float:
        """Seconds of a clip from its header or array, to order clips into batches."""
        if self.duration is not None:
            return self.duration
        if source.kind == "path":
            return audio_info(source.value, truncated=self.truncated).duration
        return max(np.shape(source.value)) / (self.input_sr or self.sampling_rate_)

    def _batches(self, sources) -> list[list[int]]:
        order = sorted(range(len(sources)), key=lambda i: self._estimated_length(sources[i]))
        return [order[k:k + self.batch_size] for k in range(0, len(order), self.batch_size)]

    def _waveform(self, source, network, extractor) -> np.ndarray:
        max_duration = None if self.duration is None else self.duration + READ_MARGIN
        y = decode_source(source, sr=self.sampling_rate_, input_sr=self.input_sr,
                          max_duration=max_duration, truncated=self.truncated)
        y = trim_silence(y, self.top_db)
        if self.duration is not None:
            y = fix_length(y, round(self.duration * self.sampling_rate_), self.pad_mode)
        limit = getattr(extractor, "n_samples", None)  # Whisper's 30 s window
        if limit is not None and y.size > limit:
            raise AudioInputError(
                f"{source.label} lasts {y.size / self.sampling_rate_:.1f} s; {self.model} reads "
                f"at most {limit / self.sampling_rate_:.0f} s. Set 'duration' to crop clips."
            )
        if self._valid_frames(network, extractor, [y.size])[0] < 1:
            raise AudioInputError(
                f"{source.label} ({y.size} samples at {self.sampling_rate_} Hz) is too short "
                f"for {self.model}: it gives no frame. Set a longer 'duration' to pad clips."
            )
        return y

    @staticmethod
    def _equal_padding_groups(extractor, waves: dict) -> list[list[int]]:
        """Sub-batches whose padding cannot change an embedding (see the class docstring)."""
        if getattr(extractor, "return_attention_mask", False) or hasattr(extractor, "n_samples"):
            return [list(waves)]
        groups: dict[int, list[int]] = {}
        for i, y in waves.items():
            groups.setdefault(y.size, []).append(i)
        return list(groups.values())

    # -- the model ---------------------------------------------------------------------------

    @staticmethod
    def _valid_frames(network, extractor, n_samples) -> list[int]:
        """Output frames of each clip that hold its audio, not padding."""
        if hasattr(extractor, "n_samples"):  # Whisper: 10 ms mel frames, halved by the encoder
            hop = extractor.hop_length
            return [min(math.ceil(math.ceil(n / hop) / 2), network.config.max_source_positions)
                    for n in n_samples]
        import torch

        lengths = network._get_feat_extract_output_lengths(torch.tensor(n_samples))
        return [int(v) for v in lengths]

    def _embed(self, torch, network, extractor, waves) -> np.ndarray:
        frames = self._valid_frames(network, extractor, [y.size for y in waves])
        # each clip prepared alone: the extractor's normalisation must not see the padding
        prepared = [extractor(y, sampling_rate=self.sampling_rate_, return_tensors="np")
                    [network.main_input_name][0] for y in waves]
        width = max(p.shape[-1] for p in prepared)
        inputs = np.zeros((len(prepared), *prepared[0].shape[:-1], width), dtype=np.float32)
        mask = np.zeros((len(prepared), width), dtype=np.int64)
        for k, p in enumerate(prepared):
            inputs[k, ..., : p.shape[-1]] = p
            mask[k, : p.shape[-1]] = 1
        kwargs = {network.main_input_name: torch.from_numpy(inputs).to(self.device_)}
        if getattr(extractor, "return_attention_mask", False):
            kwargs["attention_mask"] = torch.from_numpy(mask).to(self.device_)
        hidden = network(**kwargs, output_hidden_states=True).hidden_states
        states = (torch.stack(hidden[1:]).mean(0) if self.layer == "mean"
                  else hidden[self.layer]).float().cpu().numpy()
        return np.stack([self._pool(h[:n]) for h, n in zip(states, frames)])

