"""SpeechEmbeddingTransformer on tiny random checkpoints built from configs (no download)."""

import math
import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from sklearn_ser import AudioFeatureTransformer, SpeechEmbeddingTransformer
from sklearn_ser.frontend.decode import AudioInputError

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from sklearn_ser.transformers import embeddings as embeddings_module  # noqa: E402

SR = 16000
TINY_CONV = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                 conv_dim=(8, 8), conv_kernel=(10, 3), conv_stride=(5, 2),
                 num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)


def _save(folder, model, extractor):
    torch.manual_seed(0)
    model.save_pretrained(folder)
    extractor.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Folders of tiny random checkpoints, as save_pretrained writes them."""
    root = tmp_path_factory.mktemp("checkpoints")
    torch.manual_seed(0)
    unmasked = transformers.Wav2Vec2FeatureExtractor(return_attention_mask=False)
    masked = transformers.Wav2Vec2FeatureExtractor(return_attention_mask=True)
    whisper = transformers.WhisperConfig(
        d_model=16, encoder_layers=2, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, num_mel_bins=80,
        vocab_size=64, pad_token_id=0, bos_token_id=1, eos_token_id=2,
        decoder_start_token_id=1, max_target_positions=8)
    return {
        # group normalisation, no attention mask: wav2vec2-base and HuBERT-base style
        "wav2vec2": _save(root / "wav2vec2", transformers.Wav2Vec2Model(
            transformers.Wav2Vec2Config(**TINY_CONV)), unmasked),
        "hubert": _save(root / "hubert", transformers.HubertModel(
            transformers.HubertConfig(**TINY_CONV)), unmasked),
        # layer normalisation and an attention mask: the large checkpoints' style
        "wavlm": _save(root / "wavlm", transformers.WavLMModel(transformers.WavLMConfig(
            **TINY_CONV, feat_extract_norm="layer", do_stable_layer_norm=True, num_buckets=8,
            max_bucket_distance=20)), masked),
        "whisper": _save(root / "whisper", transformers.WhisperModel(whisper),
                         transformers.WhisperFeatureExtractor(feature_size=80)),
    }


@pytest.fixture
def waves(rng):
    return [(0.1 * rng.standard_normal(n)).astype(np.float32) for n in (8000, 5000, 8000, 12000)]


def hidden_states(folder, y):
    """The model's hidden states of one clip run alone, without padding."""
    model = transformers.AutoModel.from_pretrained(folder)
    extractor = transformers.AutoFeatureExtractor.from_pretrained(folder)
    if model.config.is_encoder_decoder:
        model = model.get_encoder()
    inputs = extractor(y, sampling_rate=SR, return_tensors="pt")[model.main_input_name]
    with torch.no_grad():
        return [h[0].numpy() for h in model.eval()(inputs, output_hidden_states=True).hidden_states]


def embed(folder, **params):
    return SpeechEmbeddingTransformer(folder, local_files_only=True, **params)


@pytest.mark.parametrize("name", ["wav2vec2", "hubert", "wavlm"])
def test_pooled_embedding_is_the_models_hidden_states_pooled(checkpoints, waves, name):
    folder = checkpoints[name]
    X = embed(folder, layer=1).fit_transform(waves)
    assert X.shape == (4, 16) and X.dtype == np.float32
    states = hidden_states(folder, waves[1])
    np.testing.assert_allclose(X[1], states[1].mean(axis=0), rtol=1e-4, atol=1e-5)
    averaged = embed(folder).fit_transform(waves)  # layer="mean": transformer layers 1 and 2
    np.testing.assert_allclose(averaged[1], np.mean(states[1:], axis=0).mean(axis=0),
                               rtol=1e-4, atol=1e-5)
    last = embed(folder, layer=-1, pooling="mean_std").fit_transform(waves)
    np.testing.assert_allclose(last[1], np.concatenate([states[-1].mean(0), states[-1].std(0)]),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["wav2vec2", "wavlm"])
def test_embedding_of_a_clip_does_not_depend_on_its_batch(checkpoints, waves, name):
    alone = embed(checkpoints[name], batch_size=1).fit_transform(waves)
    batched = embed(checkpoints[name], batch_size=4).fit_transform(waves)
    np.testing.assert_allclose(batched, alone, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(embed(checkpoints[name]).fit_transform(waves[1:2])[0], alone[1],
                               rtol=1e-4, atol=1e-5)


def test_sequences_for_serclassifier(checkpoints, waves):
    seq = embed(checkpoints["wav2vec2"], pooling="none", duration=0.5, layer=2)
    X = seq.fit_transform(waves)
    assert seq.n_frames_ == 799  # (8000 - 10) // 5 + 1 = 1599 frames, then (1599 - 3) // 2 + 1
    assert X.shape == (4, 799, 16)
    states = hidden_states(checkpoints["wav2vec2"], waves[0][:8000])
    np.testing.assert_allclose(X[0], states[2], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"'pooling'='none'.*set 'duration'"):
        embed(checkpoints["wav2vec2"], pooling="none").fit(waves)


def test_whisper_encoder_pools_only_the_frames_of_the_clip(checkpoints, waves):
    folder = checkpoints["whisper"]
    whisper = embed(folder, layer=-1)
    X = whisper.fit_transform(waves)
    assert X.shape == (4, 16) and whisper.n_layers_ == 2 and whisper.sampling_rate_ == SR
    states = hidden_states(folder, waves[1])  # 1500 frames for the padded 30 s window
    valid = math.ceil(math.ceil(5000 / 160) / 2)
    np.testing.assert_allclose(X[1], states[-1][:valid].mean(axis=0), rtol=1e-4, atol=1e-5)
    assert not np.allclose(X[1], states[-1].mean(axis=0), rtol=1e-3)
    long = np.zeros(31 * SR, dtype=np.float32)
    with pytest.raises(AudioInputError, match=r"X\[0\] lasts 31\.0 s.*at most 30 s.*'duration'"):
        whisper.transform([long])
    assert embed(folder, duration=2.0).fit_transform([long]).shape == (1, 16)


def test_files_are_resampled_to_the_models_rate(checkpoints, wav_dir):
    # wav_dir holds 22.05 kHz files; input_sr resamples waveforms the same way
    import soundfile as sf

    y, sr = sf.read(wav_dir[0], dtype="float32")
    from_file = embed(checkpoints["wavlm"]).fit_transform(wav_dir[:1])
    from_wave = embed(checkpoints["wavlm"], input_sr=sr).fit_transform([y])
    np.testing.assert_allclose(from_file, from_wave, rtol=1e-5, atol=1e-6)


def test_layer_out_of_range_names_the_layers(checkpoints, waves):
    with pytest.raises(ValueError, match=r"'layer'=3 is out of range.*2 layers.*0 to 2"):
        embed(checkpoints["wav2vec2"], layer=3).fit(waves)
    with pytest.raises(ValueError, match=r"'layer' parameter"):
        embed(checkpoints["wav2vec2"], layer="last").fit(waves)


def test_offline_without_a_checkpoint_names_the_model(tmp_path, waves):
    missing = "no-such-org/no-such-speech-model"
    with pytest.raises(OSError, match=r"'model'='no-such-org/no-such-speech-model'.*folder"):
        SpeechEmbeddingTransformer(missing, local_files_only=True).fit(waves)
    with pytest.raises(OSError, match="'model'="):
        SpeechEmbeddingTransformer(str(tmp_path), local_files_only=True).fit(waves)


def test_clip_too_short_for_the_conv_stack_is_named(checkpoints, waves):
    with pytest.raises(AudioInputError, match=r"X\[1\] \(12 samples.*too short.*'duration'"):
        embed(checkpoints["wav2vec2"]).fit_transform([waves[0], np.ones(12)])


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        ("clip.wav", AudioInputError, "not a single path"),
        (np.zeros(100), AudioInputError, "1-D numeric array"),
        (["/nonexistent/gone.wav"], FileNotFoundError, r"gone\.wav.*X\[0\].*does not exist"),
    ],
)
def test_input_errors_are_those_of_audio_feature_transformer(checkpoints, X, error, message):
    for estimator in (embed(checkpoints["wav2vec2"]), AudioFeatureTransformer()):
        with pytest.raises(error, match=message):
            estimator.fit(X)


def test_pickles_without_the_weights_and_predicts_the_same(checkpoints, waves):
    fitted = embed(checkpoints["wav2vec2"]).fit(waves)
    blob = pickle.dumps(fitted)
    assert len(blob) < 5000  # parameters and names only: the model is reloaded from its folder
    np.testing.assert_array_equal(pickle.loads(blob).transform(waves), fitted.transform(waves))


def test_missing_extra_gives_the_install_command(monkeypatch, waves):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install sklearn-ser\[embeddings\]"):
        SpeechEmbeddingTransformer().fit(waves)


def test_importing_the_package_does_not_import_torch():
    code = ("import sys, sklearn_ser; sklearn_ser.SpeechEmbeddingTransformer(); "
            "print('torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_in_a_speaker_independent_pipeline(checkpoints, tone):
    # two classes told apart by pitch and loudness: even random weights separate them
    X, y, groups = [], [], []
    for speaker in range(3):
        for label, f0, gain in (("low", 110, 0.2), ("high", 330, 0.9)):
            for k in range(2):
                X.append(gain * tone(f0 + 7 * k + 3 * speaker, 0.3))
                y.append(label)
                groups.append(speaker)
    pipe = make_pipeline(embed(checkpoints["wav2vec2"], pooling="mean_std"), StandardScaler(),
                         LogisticRegression(C=1.0))
    assert cross_val_score(pipe, X, y, groups=groups, cv=GroupKFold(3)).mean() == 1.0


ROUND_OFF = ("PyTorch's batched float32 matrix products round differently with the batch's "
             "size and order (differences of ~2e-7); the embeddings agree to 1e-5, as "
             "test_embedding_of_a_clip_does_not_depend_on_its_batch checks")
EXPECTED_FAILED_CHECKS = {
    "check_methods_subset_invariance": ROUND_OFF,
    "check_methods_sample_order_invariance": ROUND_OFF,
}


def test_sklearn_common_checks(checkpoints):
    # the checks' tables are rows of a few "samples": padded to 10 ms, longer than the conv stack
    estimator = embed(checkpoints["wav2vec2"], duration=0.01, input_sr=SR)
    check_estimator(estimator, expected_failed_checks=EXPECTED_FAILED_CHECKS)


def test_model_cache_loads_weights_once(checkpoints, waves, monkeypatch):
    embeddings_module._load.cache_clear()
    calls = []
    real = transformers.AutoModel.from_pretrained
    monkeypatch.setattr(transformers.AutoModel, "from_pretrained",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    fitted = embed(checkpoints["hubert"]).fit(waves)
    fitted.transform(waves)
    fitted.transform(waves)
    assert len(calls) == 1
