"""Generation time and MFCC-statistics + SVC baseline of the synthetic demo corpus.

Run from the project root::

    python benchmarks/bench_synthetic_baseline.py              # default corpus, seed 0
    python benchmarks/bench_synthetic_baseline.py --seeds 0 1 2 --emotions all

Prints, per seed, the wall-clock (and CPU) time to generate the corpus and the cross-validated
accuracy and balanced accuracy of mean/std of 13 MFCCs -> StandardScaler -> SVC,
speaker-independent (GroupKFold(5) by speaker) and, for comparison, speaker-dependent
(StratifiedKFold(5)).
"""

import argparse
import time

import librosa
import numpy as np
from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_ser.datasets.synthetic import DEFAULT_EMOTIONS, EMOTIONS, make_emotional_speech


def mfcc_stats(waveforms, sr):
    """Mean and standard deviation over time of 13 MFCCs, one row per clip."""
    rows = []
    for wave in waveforms:
        mfcc = librosa.feature.mfcc(y=wave, sr=sr, n_mfcc=13)
        rows.append(np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]))
    return np.array(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--emotions", choices=["default", "all"], default="default")
    parser.add_argument("--n-speakers", type=int, default=8)
    parser.add_argument("--n-clips", type=int, default=6, help="clips per speaker and emotion")
    parser.add_argument("--strength", type=float, default=1.0, help="emotion_strength")
    args = parser.parse_args()
    emotions = EMOTIONS if args.emotions == "all" else DEFAULT_EMOTIONS

    clf = make_pipeline(StandardScaler(), SVC())
    for seed in args.seeds:
        start, cpu_start = time.perf_counter(), time.process_time()
        data = make_emotional_speech(
            n_speakers=args.n_speakers,
            n_clips_per_emotion=args.n_clips,
            emotions=emotions,
            emotion_strength=args.strength,
            random_state=seed,
        )
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        features = mfcc_stats(data.X, data.sr)
        scoring = ["accuracy", "balanced_accuracy"]
        independent = cross_validate(
            clf, features, data.y, groups=data.groups, cv=GroupKFold(5), scoring=scoring
        )
        dependent = cross_validate(
            clf,
            features,
            data.y,
            cv=StratifiedKFold(5, shuffle=True, random_state=0),
            scoring=scoring,
        )
        print(
            f"seed={seed} clips={len(data.X)} emotions={len(emotions)} "
            f"chance={1 / len(emotions):.3f} generation={seconds:.2f}s (cpu {cpu_seconds:.2f}s) | "
            f"speaker-independent acc={independent['test_accuracy'].mean():.3f} "
            f"bal_acc={independent['test_balanced_accuracy'].mean():.3f} | "
            f"speaker-dependent acc={dependent['test_accuracy'].mean():.3f}"
        )


if __name__ == "__main__":
    main()
