import librosa
import numpy as np
import pytest
import soundfile as sf

from sklearn_ser.frontend.augment import (
    AUGMENTATIONS,
    echo,
    noise,
    resolve_augmentations,
    reverb,
    shift,
    stretch_pitch,
    time_stretch,
)

SR = 16000


def _snr_db(clean, noisy):
    return 10 * np.log10(np.mean(clean**2) / np.mean((noisy - clean) ** 2))


def _median_f0(y, sr=SR):
    f0 = librosa.yin(y, fmin=60, fmax=600, sr=sr, frame_length=1024)
    return float(np.median(f0))


@pytest.mark.parametrize("snr", [5.0, 10.0, 20.0])
def test_noise_reaches_requested_snr(tone, snr):
    y = tone(220, 1.0)
    noisy = noise(y, SR, np.random.default_rng(0), snr_db=(snr, snr))
    assert _snr_db(y, noisy) == pytest.approx(snr, abs=0.1)


def test_noise_snr_drawn_within_range(tone):
    y = tone(220, 1.0)
    snrs = [_snr_db(y, noise(y, SR, np.random.default_rng(s), snr_db=(10, 20))) for s in range(20)]
    assert min(snrs) >= 10 - 0.1 and max(snrs) <= 20 + 0.1
    assert np.std(snrs) > 1  # really drawn, not a constant


def test_noise_from_background_files(tmp_path, tone):
    babble = tone(1000, 0.3, sr=8000)  # shorter than the clip: it must be looped
    path = tmp_path / "babble.wav"
    sf.write(path, babble, 8000, subtype="FLOAT")
    y = tone(220, 1.0)

    noisy = noise(y, SR, np.random.default_rng(0), snr_db=12, noise_files=[path])

    assert _snr_db(y, noisy) == pytest.approx(12, abs=0.1)
    residual = noisy - y
    freqs = np.fft.rfftfreq(y.size, 1 / SR)
    assert freqs[np.argmax(np.abs(np.fft.rfft(residual)))] == pytest.approx(1000, abs=5)


def test_noise_rejects_silent_background_file(tmp_path, tone):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(800), 8000)
    with pytest.raises(ValueError, match=r"silence\.wav.*silent"):
        noise(tone(220, 0.5), SR, np.random.default_rng(0), noise_files=[path])


def test_shift_preserves_energy_and_moves_signal(tone):
    y = tone(220, 1.0) * np.hanning(SR).astype(np.float32)
    out = shift(y, SR, np.random.default_rng(0), seconds=(0.1, 0.1))
    assert np.sum(out**2) == pytest.approx(np.sum(y**2), rel=1e-6)
    np.testing.assert_array_equal(out[1600:], y[:-1600])


@pytest.mark.parametrize("steps", [-3.0, 2.0, 4.0])
def test_pitch_shift_moves_f0_by_requested_semitones(tone, steps):
    y = tone(200, 1.0)
    out = stretch_pitch(y, SR, np.random.default_rng(0), rate=1.0, n_steps=steps)
    measured = 12 * np.log2(_median_f0(out) / _median_f0(y))
    assert measured == pytest.approx(steps, abs=0.3)
    assert out.size == pytest.approx(y.size, abs=2)


def test_time_stretch_changes_duration_not_pitch(tone):
    y = tone(200, 1.0)
    out = stretch_pitch(y, SR, np.random.default_rng(0), rate=1.25, n_steps=0)
    assert out.size == pytest.approx(y.size / 1.25, abs=2)
    assert _median_f0(out) == pytest.approx(200, rel=0.02)


@pytest.mark.parametrize("rate", [0.8, 1.0, 1.15])
def test_time_stretch_equals_librosa_phase_vocoder(rng, tone, rate):
    # exact silence at both ends: zero STFT bins, whose phase librosa takes as 0
    y = np.concatenate([np.zeros(3000), tone(200, 0.5) + 0.05 * rng.standard_normal(SR // 2),
                        np.zeros(5000)]).astype(np.float32)
    out = time_stretch(y, rate)
    # librosa in float64: in float32 it accumulates phases with a drift of its own
    ref = librosa.effects.time_stretch(y.astype(np.float64), rate=rate)
    assert out.dtype == np.float32
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, atol=1e-4 * np.abs(ref).max())


def test_echo_adds_delayed_copy_at_requested_delay(rng):
    y = rng.standard_normal(SR).astype(np.float32)
    out = echo(y, SR, np.random.default_rng(0), delay=0.125, decay=0.5)
    residual = out - y
    lag = 2000
    np.testing.assert_allclose(residual[lag:], 0.5 * y[:-lag], atol=1e-6)
    np.testing.assert_array_equal(residual[:lag], 0)


def test_reverb_adds_a_decaying_tail(rng):
    y = np.zeros(SR, dtype=np.float32)
    y[:800] = rng.standard_normal(800)
    out = reverb(y, SR, np.random.default_rng(0), delay=0.05, decay=0.3, rt60=0.4, wet=0.3)
    tail = out[800 + 1600 :]  # after the burst and its echo
    assert np.sum(tail**2) > 1e-3
    # energy decays over the tail, as in a room
    first, last = np.sum(tail[:1600] ** 2), np.sum(tail[4000:5600] ** 2)
    assert last < first


def test_default_selection_names_registered_augmentations():
    # defaults.py names the selection without importing the registry (it imports nothing)
    from sklearn_ser import defaults

    assert set(defaults.AUGMENTATIONS) <= set(AUGMENTATIONS)
    assert len(set(defaults.AUGMENTATIONS)) == len(defaults.AUGMENTATIONS)


@pytest.mark.parametrize("name", sorted(AUGMENTATIONS))
def test_augmentations_are_deterministic_given_rng(tone, name):
    y = tone(220, 0.5)
    func = AUGMENTATIONS[name]
    a = func(y, SR, np.random.default_rng(7))
    b = func(y, SR, np.random.default_rng(7))
    c = func(y, SR, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_bad_ranges_name_the_parameter(tone):
    with pytest.raises(ValueError, match="'snr_db' has low > high"):
        noise(tone(220, 0.2), SR, np.random.default_rng(0), snr_db=(20, 10))
    with pytest.raises(ValueError, match="'delay' must be a number or a"):
        echo(tone(220, 0.2), SR, np.random.default_rng(0), delay="long")
    with pytest.raises(ValueError, match="'rate' must be > 0"):
        stretch_pitch(tone(220, 0.2), SR, np.random.default_rng(0), rate=(0, 0))


def test_resolve_augmentations_forms_and_errors():
    def mine(y, sr, rng):
        return y

    resolved = resolve_augmentations(["noise", ("shift", {"seconds": 0.1}), mine])
    assert [name for name, _, _ in resolved] == ["noise", "shift", "mine"]
    assert resolved[1][2] == {"seconds": 0.1}
    assert resolve_augmentations(None) == []
    assert [n for n, _, _ in resolve_augmentations("echo")] == ["echo"]
    with pytest.raises(ValueError, match="'augment' names an unknown augmentation 'wobble'"):
        resolve_augmentations(["wobble"])
    with pytest.raises(ValueError, match="'augment' holds 3"):
        resolve_augmentations([3])
