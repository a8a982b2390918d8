"""Extract frame-level features (clean clip + augmented views) once per configuration.

Research helper for issue 7: the views of every clip are extracted once and cached as .npz;
the training script then uses only training-fold views in training and the clean view
(view 0, identical to ``transform``) for validation and test, which is what a Pipeline does.

    python benchmarks/accuracy/extract.py --name base --hop 256 --n-mels 64 --duration 2.0
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np

from sklearn_ser import AudioFeatureTransformer

ROOT = Path(__file__).resolve().parents[2]
EMODB = ROOT / ".." / "shared" / "data" / "emodb" / "wav"
CACHE = Path(os.environ.get("SER_ACC_CACHE", "/tmp/ser_acc"))
# one STFT gives every column; the training script slices the feature set it wants
ALL_FEATURES = ("zcr", "rms", "mfcc", "delta", "delta2", "mel", "spectral_contrast")
AUGMENT = ("noise", "stretch_pitch", "shift", "echo", "reverb")


def emodb():
    paths = sorted(str(p) for p in EMODB.glob("*.wav"))
    names = [os.path.basename(p) for p in paths]
    return paths, np.array([n[5] for n in names]), np.array([n[:2] for n in names])


def synthetic(seed=0):
    from sklearn_ser.datasets import make_emotional_speech

    data = make_emotional_speech(random_state=seed)
    return list(data.X), np.asarray(data.y), np.asarray(data.groups), data.sr


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--name", required=True)
    p.add_argument("--corpus", choices=["emodb", "synthetic"], default="emodb")
    p.add_argument("--sr", type=int, default=16000)
    p.add_argument("--duration", type=float, default=2.0)
    p.add_argument("--n-fft", type=int, default=512)
    p.add_argument("--hop", type=int, default=256)
    p.add_argument("--n-mels", type=int, default=64)
    p.add_argument("--n-mfcc", type=int, default=40)
    p.add_argument("--augment", nargs="*", default=list(AUGMENT))
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--pad-mode", choices=["wrap", "constant"], default="constant")
    a = p.parse_args()

    input_sr = None
    if a.corpus == "emodb":
        X, y, groups = emodb()
    else:
        X, y, groups, input_sr = synthetic()
    aft = AudioFeatureTransformer(
        sr=a.sr, input_sr=input_sr, duration=a.duration, features=ALL_FEATURES,
        n_fft=a.n_fft, hop_length=a.hop, n_mels=a.n_mels, n_mfcc=a.n_mfcc,
        augment=a.augment or None, n_jobs=a.n_jobs, random_state=0, pad_mode=a.pad_mode,
    )
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    views = aft.fit_transform(X)
    wall = time.perf_counter() - t0
    if views.ndim == 3:
        views = views[:, None]
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE / f"{a.corpus}_{a.name}.npz", views=views, y=y.astype(str),
             groups=groups.astype(str),
             names=aft.get_feature_names_out().astype(str), wall=wall)
    print(f"{a.corpus}_{a.name}: views {views.shape} in {wall:.1f}s wall "
          f"(main-process cpu {time.process_time() - cpu0:.1f}s)")


if __name__ == "__main__":
    main()
