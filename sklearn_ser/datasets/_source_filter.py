"""The source-filter synthesiser behind :func:`~sklearn_ser.datasets.make_emotional_speech`.

:func:`synthesise` renders one clip from the settings that :mod:`._voices` resolves (speaker
voice, emotion profile, per-clip variation): Rosenberg glottal pulses with jitter, shimmer and
aspiration noise along an f0 contour, syllable envelopes with plosive and fricative onsets,
vowel formant filters, a recording channel. Emotions act on the acoustic correlates reported
in the vocal-affect literature.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage, signal

_TABLE_SIZE = 2048  # samples of the glottal-pulse wave table


# F1-F5 (Hz) of an adult male vocal tract (F1-F3 after Peterson & Barney 1952 / Hillenbrand
# et al. 1995); female tracts are obtained by scaling.
_VOWEL_FORMANTS = {
    "a": (730.0, 1090.0, 2440.0, 3400.0, 4500.0),
    "e": (530.0, 1840.0, 2480.0, 3500.0, 4500.0),
    "i": (270.0, 2290.0, 3010.0, 3600.0, 4600.0),
    "o": (570.0, 840.0, 2410.0, 3400.0, 4400.0),
    "u": (300.0, 870.0, 2240.0, 3300.0, 4400.0),
    "@": (500.0, 1500.0, 2500.0, 3500.0, 4500.0),
}
_FORMANT_BANDWIDTHS = np.array([80.0, 100.0, 150.0, 220.0, 300.0])

# A fixed set of nonsense "sentences", like the fixed texts of acted corpora (EmoDB uses ten):
# every speaker says every text in every emotion, so lexical content carries no emotion.
# Syllables are consonant + vowel; an upper-case vowel is stressed.
TEXTS = (
    "ko-MA-ni-te-SU-la-po-RE-di-n@",
    "ta-LI-mo-ke-FA-ru-si-TO-n@",
    "mi-RA-to-be-SO-nu-ka-LE-fi-d@",
    "so-TE-ma-lo-KI-fu-ne-RA-t@",
    "be-NU-ri-ta-MO-se-ki-LA-pu",
    "fa-RO-ti-me-LU-ka-so-NE-bi-r@",
    "di-MA-su-lo-TE-ni-fa-KO-m@",
    "ra-SE-ko-mi-TA-lu-de-NO-s@",
    "nu-KA-le-ti-RO-ma-fe-SI-l@",
    "pe-LO-na-ri-SU-te-mo-KA-d@",
)
_PLOSIVES = frozenset("ptkbdg")
_FRICATIVES = frozenset("fsvzh")


def _parse_text(text):
    """Split a text into (onset kind, vowel, stressed) syllables."""
    syllables = []
    for syllable in text.split("-"):
        onset, vowel = syllable[:-1].lower(), syllable[-1]
        kind = (
            "plosive"
            if onset and onset[0] in _PLOSIVES
            else "fricative"
            if onset and onset[0] in _FRICATIVES
            else "sonorant"
        )
        syllables.append((kind, vowel.lower(), vowel.isupper()))
    return syllables


def _timeline(rng, syllables, c, duration):
    """Place syllables in time: start, vowel onset and end of each, in seconds."""
    stressed = np.array([st for _, _, st in syllables])
    n = len(syllables)
    lengths = np.exp(rng.normal(0, 0.18, n)) * np.where(stressed, 1.25, 0.9) / c.rate
    pauses = np.where(rng.random(n) < c.pause_prob, rng.uniform(0.08, 0.3, n), 0.0)
    pauses[-1] = 0.0
    edge = min(0.1, 0.1 * duration)
    available = duration - 2 * edge
    ends = np.cumsum(lengths + pauses) - pauses
    n_fit = max(1, int(np.searchsorted(ends, available, side="right")))
    lengths, pauses = lengths[:n_fit], pauses[:n_fit]
    pauses[-1] = 0.0
    total = lengths.sum() + pauses.sum()
    if total > available:  # a single syllable longer than a very short clip
        lengths *= available / total
        total = available
    start = edge + (available - total) * rng.uniform(0.15, 0.6)
    starts = start + np.concatenate([[0.0], np.cumsum(lengths + pauses)[:-1]])
    onset_frac = np.array(
        [{"plosive": 0.25, "fricative": 0.35, "sonorant": 0.2}[k] for k, _, _ in syllables[:n_fit]]
    )
    return starts, starts + onset_frac * lengths, starts + lengths


def synthesise(rng, c, text, sr, n_samples):
    """Synthesise one clip from its settings; returns float32 samples in [-1, 1]."""
    syllables = _parse_text(text)
    starts, vowel_on, ends = _timeline(rng, syllables, c, n_samples / sr)
    syllables = syllables[: len(starts)]
    # Work on the speech span only (plus room for filter ringing): silence costs nothing.
    first = max(0, int((starts[0] - 0.02) * sr))
    last = min(n_samples, int((ends[-1] + 0.05) * sr))
    n_span = last - first
    t = (first + np.arange(n_span)) / sr

    def index(seconds):
        return np.clip((np.asarray(seconds) * sr).astype(int) - first, 0, n_span)

    # Envelope shapes as tables, stretched to each segment: sin() per sample is costly.
    grid = (np.arange(_TABLE_SIZE) + 0.5) / _TABLE_SIZE
    arch = np.sin(np.pi * grid)
    # Pressed voices attack and release syllables abruptly (flat-topped envelopes).
    nucleus = arch ** float(np.clip(0.7 - 0.4 * c.effort, 0.25, 1.2))
    stress_gain = 10 ** ((4.0 + 2.0 * c.effort) / 20)
    voiced_env = np.zeros(n_span)
    noise_env = np.zeros(n_span)
    for (kind, _, stressed), a, b, e in zip(syllables, index(starts), index(vowel_on), index(ends)):
        gain = (stress_gain if stressed else 1.0) * np.exp(rng.normal(0, 0.1))
        if e > b:
            voiced_env[b:e] = gain * nucleus[np.arange(e - b) * _TABLE_SIZE // (e - b)]
        if b > a:
            onset = gain * arch[np.arange(b - a) * _TABLE_SIZE // (b - a)]
            if kind == "sonorant":
                voiced_env[a:b] = 0.3 * onset
            elif kind == "fricative":
                noise_env[a:b] = 0.25 * onset
            else:  # closure, then a short release burst
                burst = a + int(0.7 * (b - a))
                noise_env[burst:b] = 0.5 * gain * np.exp(-np.arange(b - burst) / (0.004 * sr))
    # Two passes of a 5 ms box filter (a triangle): onsets without broadband clicks.
    for _ in range(2):
        voiced_env = ndimage.uniform_filter1d(voiced_env, max(1, int(0.005 * sr)))

    f0 = _f0_contour(rng, c, syllables, starts, vowel_on, ends, t)
    source, open_phase = _glottal_source(rng, c, f0, sr)
    # Aspiration noise is pulsed with the glottal opening and falls off gently with frequency.
    aspiration = _one_pole(_white_noise(rng, n_span), 3000.0, sr) * (0.4 + 0.6 * open_phase)
    excitation = voiced_env * (source + c.breathiness * aspiration)
    # Tilt last: filters commute, and this way it also shapes the wideband by-products of the
    # time-varying envelope and formants, as the glottal spectrum would.
    speech = _tilt(_vowel_filter(excitation, syllables, index(starts), c, sr), c.tilt, sr)

    voiced = (voiced_env > 0.05).astype(float)
    active = np.maximum(voiced, noise_env > 0.05)
    if noise_env.any():
        frication = _band_noise(rng, n_span, round(2500.0 * c.formant_scale), sr) * noise_env
        speech += frication * np.sqrt(np.sum(speech**2 * voiced) / voiced.sum())
    speech = _tilt(speech, c.channel, sr)
    speech *= 10 ** (c.level / 20) / np.sqrt(np.sum(speech**2 * active) / active.sum())
    clip = _white_noise(rng, n_samples, np.float32) * 10 ** (rng.uniform(-80, -68) / 20)
    clip[first:last] += speech
    peak = np.max(np.abs(clip))
    if peak > 0.95:  # a recording engineer would have lowered the gain
        clip *= 0.95 / peak
    return clip


def _white_noise(rng, n_samples, dtype=np.float64):
    """Unit-variance white noise; uniform rather than Gaussian because it is much cheaper to
    draw and the difference is inaudible once filtered or mixed."""
    noise = rng.random(n_samples, dtype=dtype)
    noise -= 0.5
    noise *= np.sqrt(12.0)
    return noise


def _f0_contour(rng, c, syllables, starts, vowel_on, ends, t):
    """f0 in Hz per sample: accents on stressed syllables, declination, final movement.

    The contour is built at a 1 kHz control rate (intonation is slow) and interpolated to ``t``.
    """
    stressed = np.array([st for _, _, st in syllables])
    n = len(syllables)
    accents = np.where(
        stressed, c.accent * rng.uniform(0.5, 1.1, n), c.accent * rng.normal(0, 0.25, n)
    )
    mid = (vowel_on + ends) / 2
    # Declination: the pitch of a declarative sentence drifts down, more so in a lively voice.
    values = accents - 0.4 * c.accent * (mid - starts[0])
    anchors_t = np.concatenate([[starts[0]], mid, [ends[-1]]])
    anchors_v = np.concatenate([[values[0] - 0.5 * c.accent], values, [values[-1] + c.final_move]])
    control_t = np.arange(t[0], t[-1] + 0.001, 0.001)
    semitones = np.interp(control_t, anchors_t, anchors_v)
    semitones = ndimage.uniform_filter1d(semitones, 60, mode="nearest")
    speaking = (control_t >= starts[0]) & (control_t <= ends[-1])
    semitones -= semitones[speaking].mean()  # keep the mean f0 of the utterance at c.f0
    if c.tremor > 0:
        rate, offset = rng.uniform(5, 8), rng.uniform(0, 2 * np.pi)
        semitones += c.tremor * np.sin(2 * np.pi * rate * control_t + offset)
    # Jitter perturbs each glottal period independently.
    period_index = ((control_t - control_t[0]) * c.f0).astype(int)
    jitter = c.jitter * rng.standard_normal(period_index[-1] + 1)[period_index]
    f0 = c.f0 * np.exp(semitones * (np.log(2) / 12)) * (1 + jitter)
    return np.interp(t, control_t, np.clip(f0, 40.0, 500.0))


def _glottal_source(rng, c, f0, sr):
    """Rosenberg glottal flow derivative with shimmer; also returns the open-phase mask."""
    open_quotient = float(np.clip(0.6 - 0.2 * c.effort + 0.5 * c.breathiness, 0.35, 0.9))
    # High effort closes the glottis abruptly, which is what flattens the spectrum.
    closing = open_quotient * float(np.clip(0.3 - 0.17 * c.effort, 0.08, 0.5))
    opening = open_quotient - closing
    # One period as a wave table, read at the instantaneous phase (cheaper than per-sample math).
    u = (np.arange(_TABLE_SIZE) + 0.5) / _TABLE_SIZE
    pulse = np.where(
        u < opening,
        np.sin(np.pi * u / opening) * np.pi / (2 * opening),
        -np.sin(np.pi * (u - opening) / (2 * closing)) * np.pi / (2 * closing),
    )
    pulse[u >= open_quotient] = 0.0
    pulse /= np.sqrt(np.mean(pulse**2))
    is_open = (u < open_quotient).astype(float)

    phase = np.cumsum(f0 / sr) + rng.random()
    cycle = phase.astype(np.int64)
    position = ((phase - cycle) * _TABLE_SIZE).astype(np.int64)
    amplitude = np.clip(1 + c.shimmer * rng.standard_normal(cycle[-1] + 1), 0.3, None)
    return pulse[position] * amplitude[cycle], is_open[position]


def _one_pole(x, cutoff_hz, sr):
    """First-order low-pass with unit DC gain."""
    pole = np.exp(-2 * np.pi * cutoff_hz / sr)
    return signal.lfilter([1 - pole], [1, -pole], x)


def _tilt(x, gain_db, sr, corner_hz=1200.0):
    """High shelf of ``gain_db`` above ``corner_hz`` (RBJ audio-EQ cookbook, slope 1).

    Models spectral tilt: the balance of energy above and below ~1 kHz, leaving the F1 region
    alone, which is what measures such as the alpha ratio or Hammarberg index pick up.
    """
    gain = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * corner_hz / sr
    cos_w0, alpha = np.cos(w0), np.sin(w0) / np.sqrt(2)
    root = 2 * np.sqrt(gain) * alpha
    b = gain * np.array(
        [
            (gain + 1) + (gain - 1) * cos_w0 + root,
            -2 * ((gain - 1) + (gain + 1) * cos_w0),
            (gain + 1) + (gain - 1) * cos_w0 - root,
        ]
    )
    a = np.array(
        [
            (gain + 1) - (gain - 1) * cos_w0 + root,
            2 * ((gain - 1) - (gain + 1) * cos_w0),
            (gain + 1) - (gain - 1) * cos_w0 - root,
        ]
    )
    return signal.lfilter(b, a, x)


def _formant_filter(formants, bandwidths, sr):
    """Cascade of unit-DC-gain two-pole resonators (formants near Nyquist are skipped).

    Returns a function filtering a signal. The cascade is merged into one transfer function,
    which scipy applies several times faster than second-order sections; in double precision
    that is accurate (relative error < 1e-8) up to 48 kHz, above which sections are kept.
    """
    sections = []
    for freq, bw in zip(formants, bandwidths):
        if freq >= 0.45 * sr:
            continue
        r = np.exp(-np.pi * bw / sr)
        a1, a2 = -2 * r * np.cos(2 * np.pi * freq / sr), r * r
        sections.append([1 + a1 + a2, 0.0, 0.0, 1.0, a1, a2])
    sos = np.array(sections)
    if sr > 48000:
        return lambda x: signal.sosfilt(sos, x)
    a = functools.reduce(np.convolve, sos[:, 3:])
    b = np.prod(sos[:, 0])
    return lambda x: signal.lfilter([b], a, x)


def _vowel_filter(excitation, syllables, starts, c, sr):
    """Filter each syllable through its vowel's formants, cross-fading the excitation.

    ``starts`` are sample indices into ``excitation``. Each syllable owns the excitation from its
    start to the next syllable's start; 20 ms raised-cosine cross-fades make the formants glide,
    and the resonators' ringing runs on into the next syllable as it would in a vocal tract.
    """
    n_span = excitation.size
    half = max(1, int(0.01 * sr))
    tail = int(0.03 * sr)
    schwa = np.array(_VOWEL_FORMANTS["@"])
    bandwidths = _FORMANT_BANDWIDTHS * (1 + c.breathiness)
    filter_of = {}
    bounds = np.append(starts, n_span)
    out = np.zeros(n_span)
    for k, (_, vowel, _) in enumerate(syllables):
        if vowel not in filter_of:
            formants = np.array(_VOWEL_FORMANTS[vowel])
            formants[:2] = schwa[:2] + c.vowel_space * (formants[:2] - schwa[:2])
            formants[0] *= 1 + 0.08 * c.effort  # a wider jaw opening raises F1
            filter_of[vowel] = _formant_filter(formants * c.formant_scale, bandwidths, sr)
        a = 0 if k == 0 else max(0, bounds[k] - half)
        b = n_span if k == len(syllables) - 1 else min(n_span, bounds[k + 1] + half)
        if b <= a:
            continue
        pos = np.arange(a, b)
        weight = np.ones(b - a)
        # Raised-cosine cross-fades (sin^2 + cos^2 = 1): smooth, so no wideband splatter.
        if k > 0:
            rise = np.clip((pos - (bounds[k] - half)) / (2 * half), 0, 1)
            weight *= np.sin(0.5 * np.pi * rise) ** 2
        if k < len(syllables) - 1:
            fall = np.clip(((bounds[k + 1] + half) - pos) / (2 * half), 0, 1)
            weight *= np.sin(0.5 * np.pi * fall) ** 2
        stop = min(n_span, b + tail)
        segment = np.zeros(stop - a)
        segment[: b - a] = excitation[a:b] * weight
        out[a:stop] += filter_of[vowel](segment)
    return out


@functools.lru_cache(maxsize=64)
def _band_filter(low_hz, sr):
    low = min(low_hz, 0.35 * sr) / (sr / 2)
    high = min(2.6 * low_hz, 0.45 * sr) / (sr / 2)
    return signal.butter(2, [low, high], btype="bandpass")


def _band_noise(rng, n_samples, low_hz, sr):
    """Unit-variance noise from ``low_hz`` upwards (frication), kept below Nyquist."""
    noise = signal.lfilter(*_band_filter(low_hz, sr), _white_noise(rng, n_samples))
    return noise / np.sqrt(np.mean(noise**2))
