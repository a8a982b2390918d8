"""SpeechEmbeddingTransformer reads safetensors weights only (issue 30, item 6).

A ``pytorch_model.bin`` is a pickle: ``torch.load`` of a crafted one can run code, which is why
the checkpoint loader asks transformers for ``model.safetensors`` and nothing else.
"""

import numpy as np
import pytest

from sklearn_ser import SpeechEmbeddingTransformer

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TINY = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
            conv_dim=(8, 8), conv_kernel=(10, 3), conv_stride=(5, 2),
            num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)


def _checkpoint(folder, safe):
    torch.manual_seed(0)
    transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(**TINY)).save_pretrained(
        folder, safe_serialization=safe)
    transformers.Wav2Vec2FeatureExtractor().save_pretrained(folder)
    return str(folder)


def test_a_pickled_checkpoint_is_refused_and_safetensors_load(tmp_path):
    waves = [np.random.default_rng(0).standard_normal(4000).astype(np.float32) * 0.1] * 2
    pickled = _checkpoint(tmp_path / "bin", safe=False)
    assert (tmp_path / "bin" / "pytorch_model.bin").is_file()
    with pytest.raises(OSError, match=r"safetensors"):
        SpeechEmbeddingTransformer(pickled, local_files_only=True).fit(waves)
    safe = _checkpoint(tmp_path / "safe", safe=True)
    out = SpeechEmbeddingTransformer(safe, local_files_only=True).fit_transform(waves)
    assert out.shape == (2, 16)
