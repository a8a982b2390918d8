"""Voices of the synthetic corpus: emotion profiles, speakers and the settings of one clip.

An emotion is a :class:`_Profile` of vocal settings, a speaker a :class:`_Speaker` drawn once
from a seed, and :func:`clip_settings` combines the two with per-clip variation into the
physical settings that :mod:`._source_filter` renders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._base import EMOTIONS


@dataclass(frozen=True)
class _Profile:
    """Vocal settings of one emotion.

    Multiplicative quantities are stored as log2 factors so that scaling an emotion's strength
    is a linear interpolation from neutral for every field.
    """

    f0_shift: float  # semitones above the speaker's neutral f0
    f0_range: float  # log2 factor on the size of pitch accents
    rate: float  # log2 factor on the speaker's syllable rate
    loudness: float  # dB relative to neutral
    tilt: float  # dB gain above ~1 kHz on the voice source (> 0: flatter spectrum)
    effort: float  # vocal effort in [-1, 1]: pressed, abrupt glottal closure (+) vs lax (-)
    jitter: float  # relative standard deviation of the glottal period, cycle to cycle
    shimmer: float  # relative standard deviation of the glottal pulse amplitude
    breathiness: float  # aspiration noise relative to the voiced source
    articulation: float  # log2 factor on the vowel space (F1/F2 distance from schwa)
    final_move: float  # semitones of the utterance-final pitch movement (< 0: fall)
    pause_prob: float  # probability of a pause after each syllable
    tremor: float  # semitones of a 5-8 Hz f0 tremor


# Directions and rough sizes follow Banse & Scherer (1996), Juslin & Laukka (2003, Table 7)
# and Scherer (2003): hot anger and joy raise f0, range, loudness and rate and flatten the
# spectrum (high effort); sadness and boredom lower and narrow f0, slow down, soften and steepen
# the spectrum; fear is high-pitched, fast, irregular (jitter, tremor) and breathy; disgust is
# low and slow with a strong final fall; surprise is high with a final rise.
_PROFILES = {
    "neutral": _Profile(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.006, 0.04, 0.08, 0.0, -2.0, 0.08, 0.0),
    "calm": _Profile(-1.0, -0.4, -0.2, -3.0, -2.5, -0.3, 0.005, 0.035, 0.14, -0.1, -2.5, 0.12, 0.0),
    "happy": _Profile(3.5, 0.6, 0.15, 4.0, 3.0, 0.35, 0.008, 0.05, 0.06, 0.15, -1.0, 0.05, 0.0),
    "sad": _Profile(-2.0, -0.9, -0.45, -6.0, -6.0, -0.6, 0.014, 0.07, 0.35, -0.35, -1.5, 0.22, 0.2),
    "angry": _Profile(4.0, 0.7, 0.2, 8.0, 7.0, 0.85, 0.012, 0.06, 0.04, 0.25, -4.5, 0.04, 0.0),
    "fear": _Profile(6.0, 0.1, 0.3, 1.0, 1.0, 0.1, 0.028, 0.09, 0.3, -0.1, 0.5, 0.12, 0.6),
    "disgust": _Profile(-1.5, 0.2, -0.35, -1.0, -1.0, 0.2, 0.016, 0.07, 0.1, -0.1, -5.5, 0.15, 0.0),
    "surprise": _Profile(5.0, 0.8, 0.05, 3.0, 2.0, 0.3, 0.008, 0.05, 0.08, 0.2, 6.0, 0.05, 0.0),
    "boredom": _Profile(-2.5, -1.0, -0.3, -3.0, -3.0, -0.3, 0.006, 0.04, 0.12, -0.3, -1, 0.1, 0.0),
}


@dataclass(frozen=True)
class _Speaker:
    """Personal voice of one synthetic speaker (drawn once, shared by all their clips)."""

    speaker_id: str
    gender: str
    f0: float  # neutral mean f0 in Hz
    formant_scale: float  # inverse vocal-tract length factor
    rate: float  # neutral syllables per second
    loudness: float  # dB
    tilt: float  # dB
    effort: float
    breathiness: float
    f0_range: float  # log2 factor
    expressiveness: float  # how strongly this actor portrays emotions
    channel: float  # dB above ~1.2 kHz of the recording chain (microphone, room, session)
    quirks: dict  # emotion -> per-speaker offsets (actors portray emotions differently)


@dataclass(frozen=True)
class _ClipSettings:
    """Resolved synthesis settings of one clip, in physical units."""

    f0: float  # Hz
    accent: float  # semitones
    rate: float  # syllables per second
    level: float  # dBFS RMS of the speech
    tilt: float  # dB
    effort: float
    jitter: float
    shimmer: float
    breathiness: float
    vowel_space: float  # linear factor
    formant_scale: float
    channel: float  # dB
    final_move: float  # semitones
    pause_prob: float
    tremor: float  # semitones


def draw_speaker(entropy, index, width):
    rng = np.random.default_rng(np.random.SeedSequence([entropy, 0, index]))
    female = index % 2 == 0
    # Quirks are drawn for the whole vocabulary in canonical order, so that a speaker's voice
    # does not depend on which emotions are requested.
    quirk_draws = rng.normal(size=(len(EMOTIONS), 5))
    quirks = {
        emotion: {
            "f0_shift": 1.5 * draws[0],
            "f0_range": 0.25 * draws[1],
            "rate": 0.12 * draws[2],
            "loudness": 2.5 * draws[3],
            "tilt": 2.5 * draws[4],
        }
        for emotion, draws in zip(EMOTIONS, quirk_draws)
    }
    quirks["neutral"] = dict.fromkeys(quirks["neutral"], 0.0)  # neutral *is* the baseline
    return _Speaker(
        speaker_id=f"synth_spk{index + 1:0{width}d}",
        gender="female" if female else "male",
        f0=(210.0 if female else 115.0) * 2 ** (rng.normal(0, 1.5) / 12),
        formant_scale=(1.17 if female else 1.0) * np.exp(rng.normal(0, 0.04)),
        rate=4.6 * 2 ** rng.normal(0, 0.12),
        loudness=rng.normal(0, 2.5),
        tilt=rng.normal(0, 2.0),
        effort=rng.normal(0, 0.15),
        breathiness=(0.04 if female else 0.0) + abs(rng.normal(0, 0.03)),
        f0_range=rng.normal(0, 0.25),
        expressiveness=float(np.clip(np.exp(rng.normal(0, 0.25)), 0.5, 1.6)),
        channel=rng.normal(0, 2.5),
        quirks=quirks,
    )


def clip_settings(rng, speaker, emotion, strength):
    """Combine speaker voice, emotion portrayal and per-clip variation into clip settings."""
    neutral = _PROFILES["neutral"]
    target = _PROFILES[emotion]
    s = strength * speaker.expressiveness * np.exp(rng.normal(0, 0.2))
    quirk = speaker.quirks[emotion]
    p = {
        name: getattr(neutral, name) + s * (getattr(target, name) - getattr(neutral, name))
        for name in neutral.__dataclass_fields__
    }
    for name, offset in quirk.items():  # the speaker's own way of acting this emotion
        p[name] += strength * offset
    p = _Profile(**p)
    f0 = speaker.f0 * 2 ** ((p.f0_shift + rng.normal(0, 1.3)) / 12)
    return _ClipSettings(
        f0=float(np.clip(f0, 60.0, 500.0)),
        accent=3.0 * 2 ** (p.f0_range + speaker.f0_range + rng.normal(0, 0.25)),
        rate=float(np.clip(speaker.rate * 2 ** (p.rate + rng.normal(0, 0.08)), 2.0, 9.0)),
        level=-30.0 + speaker.loudness + p.loudness + rng.normal(0, 2.5),
        tilt=speaker.tilt + p.tilt + rng.normal(0, 2.0),
        effort=float(np.clip(speaker.effort + p.effort + rng.normal(0, 0.1), -1.0, 1.0)),
        jitter=max(p.jitter * np.exp(rng.normal(0, 0.2)), 0.0),
        shimmer=max(p.shimmer * np.exp(rng.normal(0, 0.2)), 0.0),
        breathiness=max(speaker.breathiness + p.breathiness * np.exp(rng.normal(0, 0.25)), 0.0),
        vowel_space=2 ** (p.articulation + rng.normal(0, 0.05)),
        formant_scale=speaker.formant_scale,
        channel=speaker.channel,
        final_move=p.final_move + rng.normal(0, 1.0),
        pause_prob=float(np.clip(p.pause_prob, 0.0, 0.6)),
        tremor=max(p.tremor, 0.0),
    )
