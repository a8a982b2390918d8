import librosa
import numpy as np
import pytest

from sklearn_ser.frontend.features import (
    FEATURES,
    VOICING_THRESHOLD,
    FeatureParams,
    SpectralContext,
    extract_features,
    feature_names,
    mel_filterbank,
    register_feature,
    stft,
)

PARAMS = FeatureParams(sr=16000, n_fft=512, hop_length=256, n_mels=40, n_mfcc=13)


@pytest.fixture
def signal(rng):
    return rng.standard_normal(16000).astype(np.float32) * 0.1


@pytest.mark.parametrize("name", sorted(FEATURES))
def test_each_feature_has_one_name_per_column(signal, name):
    out = extract_features(signal, [name], PARAMS)
    assert out.shape == (PARAMS.n_frames(signal.size), len(feature_names([name], PARAMS)))
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))


def test_required_features_are_registered():
    required = {"zcr", "rms", "mfcc", "delta", "delta2", "mel", "spectral_centroid", "chroma"}
    assert required <= set(FEATURES)


def test_mfcc_and_log_mel_match_librosa_reference(signal):
    out = extract_features(signal, ["mel", "mfcc"], PARAMS)
    mel_ref = librosa.power_to_db(
        librosa.feature.melspectrogram(y=signal, sr=16000, n_fft=512, hop_length=256, n_mels=40),
        ref=1.0,
        top_db=80.0,
    )
    mfcc_ref = librosa.feature.mfcc(S=mel_ref, n_mfcc=13)
    np.testing.assert_allclose(out[:, :40], mel_ref.T, atol=1e-3)
    np.testing.assert_allclose(out[:, 40:], mfcc_ref.T, atol=1e-2)


def test_zcr_rms_centroid_match_librosa(signal):
    out = extract_features(signal, ["zcr", "rms", "spectral_centroid"], PARAMS)
    zcr = librosa.feature.zero_crossing_rate(signal, frame_length=512, hop_length=256)[0]
    S = np.abs(librosa.stft(signal, n_fft=512, hop_length=256))
    rms = librosa.feature.rms(S=S, frame_length=512)[0]
    centroid = librosa.feature.spectral_centroid(S=S, sr=16000, n_fft=512)[0]
    np.testing.assert_allclose(out[:, 0], zcr, rtol=1e-5)
    np.testing.assert_allclose(out[:, 1], rms, rtol=1e-4)
    np.testing.assert_allclose(out[:, 2], centroid, rtol=1e-3)


def test_stft_is_computed_once_for_all_spectral_features(signal, monkeypatch):
    import sklearn_ser.frontend.features as features_module

    calls = []
    real_stft = features_module.stft
    monkeypatch.setattr(features_module, "stft",
                        lambda *a, **k: calls.append(1) or real_stft(*a, **k))
    monkeypatch.setattr(librosa, "stft", lambda *a, **k: calls.append("librosa"))
    extract_features(signal, ["rms", "mfcc", "delta", "mel", "spectral_centroid", "chroma"], PARAMS)
    assert calls == [1]


@pytest.mark.filterwarnings("ignore:n_fft=.*is too large")
@pytest.mark.parametrize(("n_samples", "n_fft", "hop"), [(16000, 512, 256), (1000, 511, 100),
                                                          (300, 512, 128), (48000, 2048, 512)])
def test_stft_matches_librosa(rng, n_samples, n_fft, hop):
    y = rng.standard_normal((2, n_samples)).astype(np.float32)
    D = stft(y, n_fft, hop)
    ref = librosa.stft(y, n_fft=n_fft, hop_length=hop, center=True, pad_mode="constant")
    assert D.dtype == np.complex64
    assert D.shape == np.swapaxes(ref, -1, -2).shape
    assert D.shape[-2] == FeatureParams(n_fft=n_fft, hop_length=hop).n_frames(n_samples)
    scale = np.abs(ref).max()
    np.testing.assert_allclose(np.swapaxes(D, -1, -2), ref, atol=1e-5 * scale)


@pytest.mark.parametrize(("sr", "n_fft", "n_mels", "fmin", "fmax"),
                         [(16000, 512, 40, 0.0, None), (16000, 2048, 128, 0.0, None),
                          (22050, 1024, 64, 50.0, 8000.0)])
def test_mel_filterbank_matches_librosa(sr, n_fft, n_mels, fmin, fmax):
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    ours = mel_filterbank(sr, n_fft, n_mels, fmin, fmax)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-9)


def test_mel_filterbank_warns_about_empty_bands():
    with pytest.warns(UserWarning, match=r"Empty filters.*n_fft=256, n_mels=128"):
        mel_filterbank(16000, 256, 128)


def test_zcr_counts_crossings_like_librosa(rng):
    y = rng.standard_normal((2, 5000)).astype(np.float32)
    y[0, 1000:1600] = 0.0  # exact zeros count as positive
    y[1, 2000:2600] = 1e-11 * rng.standard_normal(600)  # below librosa's 1e-10 threshold
    out = extract_features(y, ["zcr"], PARAMS)[..., 0]
    ref = librosa.feature.zero_crossing_rate(y, frame_length=512, hop_length=256)[:, 0]
    np.testing.assert_array_equal(out, ref.astype(np.float32))


@pytest.mark.parametrize("n_samples", [16000, 2000, 1024])  # 2000 and 1024: < 9 frames
def test_deltas_match_librosa(rng, n_samples):
    y = rng.standard_normal(n_samples).astype(np.float32)
    out = extract_features(y, ["mfcc", "delta", "delta2"], PARAMS)
    mfcc = out[:, :13].T
    mode = "interp" if mfcc.shape[1] >= 9 else "nearest"
    for k, order in [(1, 1), (2, 2)]:
        ref = librosa.feature.delta(mfcc, width=9, order=order, mode=mode)
        np.testing.assert_allclose(out[:, 13 * k : 13 * (k + 1)], ref.T, atol=1e-3)


@pytest.mark.parametrize("n_frames", [1, 4, 8, 9, 10, 94])
def test_delta_operator_is_librosas_savitzky_golay_filter(n_frames):
    from scipy.signal import savgol_filter

    from sklearn_ser.frontend.dsp import _delta_operator

    x = np.random.default_rng(n_frames).standard_normal((n_frames, 3))
    mode = "interp" if n_frames >= 9 else "nearest"
    for order in (1, 2):
        ref = savgol_filter(x, 9, polyorder=order, deriv=order, axis=0, mode=mode)
        np.testing.assert_allclose(_delta_operator(n_frames, order, 9) @ x, ref, atol=1e-6)


def test_spectral_centroid_and_rms_of_silent_frames_match_librosa(rng):
    y = np.zeros(8000, dtype=np.float32)
    y[3000:4000] = rng.standard_normal(1000)
    out = extract_features(y, ["spectral_centroid", "rms"], PARAMS)
    S = np.abs(librosa.stft(y, n_fft=512, hop_length=256))
    centroid = librosa.feature.spectral_centroid(S=S, sr=16000, n_fft=512)[0]
    assert centroid[0] == 0 and out[0, 0] == 0
    np.testing.assert_allclose(out[:, 0], centroid, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(out[:, 1], librosa.feature.rms(S=S, frame_length=512)[0],
                               rtol=1e-4, atol=1e-7)


def test_context_keeps_librosa_layout_for_custom_features(signal):
    ctx = SpectralContext(signal, PARAMS)
    n_frames = PARAMS.n_frames(signal.size)
    assert ctx.magnitude.shape == ctx.power.shape == (257, n_frames)
    assert ctx.log_mel.shape == (40, n_frames)
    assert ctx.mfcc.shape == ctx.delta(1).shape == (13, n_frames)
    np.testing.assert_allclose(ctx.power, ctx.magnitude**2, rtol=1e-5, atol=1e-9)


def test_batch_equals_one_by_one(rng):
    batch = rng.standard_normal((3, 8000)).astype(np.float32)
    batch[1] *= 0.01  # very different levels: the log-mel floor must be per signal
    features = ["zcr", "rms", "mfcc", "delta", "mel", "chroma"]
    together = extract_features(batch, features, PARAMS)
    for i in range(3):
        np.testing.assert_allclose(together[i], extract_features(batch[i], features, PARAMS),
                                   rtol=1e-4, atol=1e-3)


def test_unknown_or_repeated_features_are_rejected(signal):
    with pytest.raises(ValueError, match=r"unknown features \['pitchiness'\]"):
        extract_features(signal, ["mfcc", "pitchiness"], PARAMS)
    with pytest.raises(ValueError, match="repeats a feature"):
        extract_features(signal, ["mfcc", "mfcc"], PARAMS)
    with pytest.raises(ValueError, match="at least one feature"):
        extract_features(signal, [], PARAMS)


def test_register_feature_extends_the_registry(signal):
    def energy_db(ctx: SpectralContext):
        return 10 * np.log10(ctx.power.sum(axis=-2, keepdims=True) + 1e-10)

    register_feature("energy_db", energy_db, ["energy_db"])
    try:
        out = extract_features(signal, ["energy_db", "rms"], PARAMS)
        assert out.shape[1] == 2
        assert feature_names(["energy_db", "rms"], PARAMS) == ["energy_db", "rms"]
    finally:
        del FEATURES["energy_db"]


def _harmonic_glide(f_start, f_end, sr=16000, seconds=1.0):
    """A voice-like tone: ten harmonics with falling amplitudes, pitch gliding exponentially."""
    t = np.arange(int(sr * seconds)) / sr
    f0 = f_start * (f_end / f_start) ** (t / seconds)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, 11))
    return y.astype(np.float32) * 0.3, f0


@pytest.mark.parametrize("f_start, f_end", [(90.0, 180.0), (180.0, 420.0)])
def test_pitch_follows_a_gliding_voice(f_start, f_end):
    params = FeatureParams(sr=16000, n_fft=1024, hop_length=256)
    y, f0 = _harmonic_glide(f_start, f_end)
    out = extract_features(y, ["pitch"], params)
    assert feature_names(["pitch"], params) == ["pitch", "voicing"]
    # frames whose window lies inside the signal (centred frames at both ends see padding)
    inner = slice(3, -3)
    truth = np.log2(f0[np.arange(out.shape[0]) * 256] / 100.0)[inner]
    np.testing.assert_allclose(out[inner, 0], truth, atol=0.03)  # 2 % of the frequency
    assert np.all(out[inner, 1] > 0.9)
    assert np.all(np.diff(out[inner, 0]) > 0)  # the contour rises as the tone does


def test_pitch_is_the_voiced_level_where_there_is_no_voice(rng):
    params = FeatureParams(sr=16000, n_fft=1024, hop_length=256)
    voice, _ = _harmonic_glide(200.0, 200.0, seconds=0.5)
    noise = rng.standard_normal(8000).astype(np.float32) * 0.3
    silence = np.zeros(8000, dtype=np.float32)
    out = extract_features(np.concatenate([voice, noise, silence]), ["pitch"], params)
    pitch, voicing = out[:, 0], out[:, 1]
    voiced = voicing >= VOICING_THRESHOLD
    assert voiced[3:28].all() and not voiced[36:].any()
    # unvoiced frames hold the mean pitch of the voiced ones: log2(200 / 100) = 1 octave
    np.testing.assert_allclose(pitch[~voiced], pitch[voiced].mean(), rtol=1e-5)
    np.testing.assert_allclose(pitch[voiced].mean(), 1.0, atol=0.01)
    assert np.all(voicing[-20:] == 0)  # silence has no periodicity at all
    # a signal without a single voiced frame has a flat contour at 0 (100 Hz)
    flat = extract_features(noise, ["pitch"], params)
    assert np.all(flat[:, 0] == 0) and np.all(flat[:, 1] < VOICING_THRESHOLD)


def test_pitch_needs_an_fft_that_holds_the_lowest_period():
    with pytest.raises(ValueError, match=r"fmin=60.0 Hz .* n_fft=64"):
        extract_features(np.ones(4000, dtype=np.float32), ["pitch"],
                         FeatureParams(sr=16000, n_fft=64, hop_length=32))
