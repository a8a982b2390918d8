"""Feature-extraction throughput and memory: the seed's per-clip recipe vs AudioFeatureTransformer.

Run from the project root (needs the EmoDB copy in ../shared/data/emodb/wav)::

    python benchmarks/bench_extraction.py             # full run: ~12 min on 2 idle cores
    python benchmarks/bench_extraction.py --quick     # smoke run: ~1 min
    python benchmarks/bench_extraction.py --n-clips 100 --sizes 100 500 2000

Every figure comes from a fresh subprocess, so imports, caches and memory of one measurement do
not pollute another; all of them are taken side by side in one run. Printed:

1. Head to head on ``--n-clips`` clips (default: all 535 of EmoDB) with the five augmentations
   (six views per clip) at the seed's settings (16 kHz, 3 s, librosa's default 2048-point FFT
   and 512 hop, 13 MFCC + delta + delta2 + 128 log-mel + spectral centroid): the seed recipe
   (with the machine's default BLAS threads and with one BLAS thread; the faster is the
   baseline), the transformer with ``n_jobs=1`` and with ``n_jobs=2`` (cold: the first call,
   worker start-up included; warm: a second call on the reused workers, as every later call of
   a pipeline gets), and the transformer at its own default settings.
2. Growth with corpus size (``--sizes``; EmoDB has 535 clips, so larger corpora cycle through
   the same files again).
3. Growth with the number of views (0 to 5 augmentations).

Peak memory is the resident set size (``getrusage``) of the measuring process and, for
``n_jobs=2``, of the largest worker; "growth" is the peak minus the RSS after imports, to be
compared with the size of the output array.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from _common import wait_for_idle

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "emodb" / "wav"

# the seed's settings: librosa's defaults for the STFT, 13 MFCCs, 128 mel bands
SR, DURATION, TOP_DB = 16000, 3.0, 30.0
N_FFT, HOP, N_MFCC, N_MELS = 2048, 512, 13, 128
AUGMENT = ("noise", "stretch_pitch", "shift", "echo", "reverb")
FEATURES = ("mfcc", "delta", "delta2", "mel", "spectral_centroid")
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                               "NUMBA_NUM_THREADS")}


# --- the seed's per-clip recipe, as written with librosa ---------------------------------------


def seed_features(y, sr):
    """Frame-level features of one view, each computed by its own librosa call (own STFT)."""
    import librosa

    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=N_MFCC)
    delta = librosa.feature.delta(mfcc)
    delta2 = librosa.feature.delta(mfcc, order=2)
    mel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=N_MELS))
    centroid = librosa.feature.spectral_centroid(y=y, sr=sr)
    return np.vstack([mfcc, delta, delta2, mel, centroid]).T


def seed_augment(kind, y, sr, rng):
    """The seed's augmentations, with the parameter ranges the transformer's defaults follow."""
    import librosa
    from scipy.signal import fftconvolve

    if kind == "noise":
        snr = rng.uniform(15, 30)
        noise = rng.normal(size=y.size)
        noise *= np.sqrt(np.mean(y**2) / (np.mean(noise**2) * 10 ** (snr / 10)))
        return y + noise
    if kind == "stretch_pitch":
        stretched = librosa.effects.time_stretch(y, rate=rng.uniform(0.8, 1.2))
        shifted = librosa.effects.pitch_shift(stretched, sr=sr, n_steps=rng.uniform(-2, 2))
        return librosa.util.fix_length(shifted, size=y.size)
    if kind == "shift":
        return np.roll(y, int(rng.uniform(-0.3, 0.3) * sr))

    def echo(x, delay, decay):
        out = x.copy()
        d = int(delay * sr)
        out[d:] += decay * x[:-d]
        return out

    if kind == "echo":
        return echo(y, rng.uniform(0.1, 0.3), rng.uniform(0.3, 0.6))
    if kind == "reverb":
        wet_in = echo(y, rng.uniform(0.05, 0.15), rng.uniform(0.2, 0.4))
        rt60, wet = rng.uniform(0.2, 0.6), rng.uniform(0.2, 0.4)
        t = np.arange(int(rt60 * sr)) / sr
        ir = rng.normal(size=t.size) * np.exp(-6.9 * t / rt60)
        ir /= np.linalg.norm(ir)
        return (1 - wet) * wet_in + wet * fftconvolve(wet_in, ir)[: wet_in.size]
    raise ValueError(kind)


def seed_clip(path, rng, n_aug):
    """``librosa.load`` at 16 kHz, trim, normalise, pad/crop to 3 s, then features of each view."""
    import librosa

    y, sr = librosa.load(path, sr=SR)
    y, _ = librosa.effects.trim(y, top_db=TOP_DB)
    y = y / np.max(np.abs(y))
    y = librosa.util.fix_length(y, size=int(DURATION * sr))
    views = [y] + [seed_augment(kind, y, sr, rng) for kind in AUGMENT[:n_aug]]
    return np.stack([seed_features(v.astype(np.float32), sr) for v in views])


# --- one measurement, in its own process ----------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _worker_pids(executor) -> list[int]:
    return list(getattr(executor, "_processes", {}) or {})


def _cpu_seconds(pids) -> float:
    """User + system CPU time of processes, from /proc (Linux)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")
    return total


def _paths(n_clips):
    files = sorted(str(p) for p in DATA.glob("*.wav"))
    if not files:
        sys.exit(f"No EmoDB clips found in {DATA.resolve()}")
    return [files[i % len(files)] for i in range(n_clips)]


def measure(spec: dict) -> dict:
    """Run one measurement described by ``spec`` and return its figures."""
    import librosa  # noqa: F401  (imported before the baseline RSS, for both contenders)

    from sklearn_ser import AudioFeatureTransformer

    paths = _paths(spec["n_clips"])
    n_aug = spec["n_aug"]
    result = {}
    if spec["kind"] == "seed":
        rng = np.random.default_rng(0)
        seed_clip(paths[0], rng, n_aug)  # warm-up: librosa's lazy imports and numba caches
        base = _rss_mb()
        start, cpu = time.perf_counter(), time.process_time()
        rows = [seed_clip(p, rng, n_aug) for p in paths]
        out = np.asarray(rows, dtype=np.float32)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    else:
        if spec.get("defaults"):  # the transformer's own defaults, not the seed's settings
            aft = AudioFeatureTransformer(augment=AUGMENT[:n_aug] or None,
                                          n_jobs=spec["n_jobs"], random_state=0)
        else:
            aft = AudioFeatureTransformer(
                sr=SR, duration=DURATION, top_db=TOP_DB, features=FEATURES, n_fft=N_FFT,
                hop_length=HOP, n_mels=N_MELS, n_mfcc=N_MFCC, augment=AUGMENT[:n_aug] or None,
                n_jobs=spec["n_jobs"], random_state=0,
            )
        if spec["n_jobs"] == 1:
            aft.fit_transform(paths[:2])  # warm-up, as for the seed
        base = _rss_mb()
        start, cpu = time.perf_counter(), time.process_time()
        out = aft.fit_transform(paths)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        if spec["n_jobs"] != 1:
            from joblib.externals.loky import get_reusable_executor, reusable_executor

            result["cold_wall_s"] = wall
            del out
            # the executor joblib is using, read without reconfiguring it
            workers = _worker_pids(reusable_executor._executor)
            busy = _cpu_seconds(workers)
            start, cpu = time.perf_counter(), time.process_time()
            out = aft.fit_transform(paths)  # the workers are reused: no start-up
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            # CPU the workers spent on this call: with other sessions busy, the scheduler
            # shares the cores between sessions, and only this shows the parallel overhead
            result["worker_cpu_s"] = _cpu_seconds(workers) - busy
            get_reusable_executor().shutdown(wait=True)  # reaped workers report their peak RSS
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result.update(
        wall_s=wall, cpu_s=cpu, clips_per_s=len(paths) / wall, shape=list(out.shape),
        output_mb=out.nbytes / 2**20, base_rss_mb=base, peak_rss_mb=self_peak,
        worker_peak_rss_mb=children_peak if spec["kind"] != "seed" and spec["n_jobs"] != 1
        else None,
    )
    return result


WAIT_IDLE = 0.0  # seconds a measurement may wait for idle cores (--wait-idle)


def run(spec: dict, env_extra: dict | None = None) -> dict:
    if WAIT_IDLE:
        wait_for_idle(WAIT_IDLE)
    env = {**os.environ, **(env_extra or {})}
    cmd = [sys.executable, __file__, "--_measure", json.dumps(spec)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"Measurement {spec} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = os.getloadavg()[0]
    print(f"  {_label(spec, env_extra)}: {result['clips_per_s']:.2f} clips/s "
          f"(load {result['load']:.2f})", file=sys.stderr, flush=True)
    return result


def _label(spec, env_extra=None):
    if spec["kind"] == "seed":
        threads = "1 BLAS thread" if env_extra else "default BLAS threads"
        return f"seed recipe, {spec['n_aug']} augmentations, {threads}"
    settings = "own defaults" if spec.get("defaults") else "seed settings"
    return (f"AudioFeatureTransformer ({settings}), {spec['n_clips']} clips, "
            f"{spec['n_aug']} augmentations, n_jobs={spec['n_jobs']}")


def check_same_features(n=5) -> dict:
    """Per feature, the largest difference between the seed's and the transformer's values on
    clean clips, relative to the largest value of that feature."""
    from sklearn_ser import AudioFeatureTransformer
    from sklearn_ser.frontend.condition import condition
    from sklearn_ser.frontend.decode import load_audio

    aft = AudioFeatureTransformer(sr=SR, duration=DURATION, top_db=None, features=FEATURES,
                                  n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, n_mfcc=N_MFCC)
    clips = [condition(load_audio(p, SR), SR, duration=DURATION, top_db=TOP_DB)
             for p in _paths(n)]
    ours = aft.fit_transform(clips)
    theirs = np.stack([seed_features(y, SR) for y in clips])
    widths = {"mfcc": N_MFCC, "delta": N_MFCC, "delta2": N_MFCC, "mel": N_MELS,
              "spectral_centroid": 1}
    errors, start = {}, 0
    for name in FEATURES:
        cols = slice(start, start + widths[name])
        scale = np.abs(theirs[..., cols]).max()
        errors[name] = float(np.abs(ours[..., cols] - theirs[..., cols]).max() / scale)
        start += widths[name]
    return errors


# --- report ----------------------------------------------------------------------------------


def machine() -> list[str]:
    import joblib
    import librosa
    import scipy
    import sklearn
    import soundfile
    import soxr
    from _common import cpu_model
    from threadpoolctl import threadpool_info

    model = cpu_model()
    blas = ", ".join(f"{p['internal_api']} {p['version']} ({p.get('architecture', '?')})"
                     for p in threadpool_info() if p["user_api"] == "blas")
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"machine: {model}, {cores} cores, {ram:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}",
        f"python {platform.python_version()}; numpy {np.__version__}, scipy {scipy.__version__}, "
        f"librosa {librosa.__version__}, scikit-learn {sklearn.__version__}, joblib "
        f"{joblib.__version__}, soxr {soxr.__version__}, soundfile {soundfile.__version__}; "
        f"BLAS: {blas}",
        f"command: python {' '.join(sys.argv)}",
    ]


def _autogroup() -> str:
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as flag:
            return " (sched_autogroup_enabled=1)" if flag.read().strip() == "1" else ""
    except OSError:
        return ""


def table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _mb(value):
    return "-" if value is None else f"{value:.0f}"


def own_defaults() -> str:
    """The transformer's default settings, read from the class (they change with releases)."""
    from sklearn_ser import AudioFeatureTransformer

    p = AudioFeatureTransformer().get_params()
    return (f"{'+'.join(p['features'])}, n_fft={p['n_fft']}, hop {p['hop_length']}, "
            f"n_mels {p['n_mels']}, {p['sr'] / 1000:g} kHz, {p['duration']:g} s, "
            f"pad_mode {p['pad_mode']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-clips", type=int, default=None,
                        help="clips of the head-to-head and view measurements (default: all "
                             "EmoDB clips, 535)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000],
                        help="corpus sizes of the growth measurement (default 100 500 2000)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 20 clips, sizes 20 and 60, views 0 and 5")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help="before each measurement, wait up to SECONDS for the cores to be "
                             "90%% idle (other people's jobs skew the figures, n_jobs=2 most)")
    parser.add_argument("--_measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global WAIT_IDLE
    WAIT_IDLE = args.wait_idle
    if args._measure:
        print(json.dumps(measure(json.loads(args._measure))))
        return
    n_files = len(list(DATA.glob("*.wav")))
    if not n_files:
        sys.exit(f"No EmoDB clips found in {DATA.resolve()}")
    n_clips, sizes, view_counts = args.n_clips or n_files, args.sizes, range(len(AUGMENT) + 1)
    if args.quick:
        n_clips, sizes, view_counts = 20, [20, 60], [0, len(AUGMENT)]
    load_before = os.getloadavg()
    print(f"Measuring on {DATA.resolve()} ({n_files} clips) ...", file=sys.stderr)

    full = len(AUGMENT)
    seed = {"kind": "seed", "n_clips": n_clips, "n_aug": full, "n_jobs": 1}
    seed_default = run(seed)
    seed_single = run(seed, ONE_THREAD)
    baseline = max(seed_default["clips_per_s"], seed_single["clips_per_s"])
    one = run({"kind": "aft", "n_clips": n_clips, "n_aug": full, "n_jobs": 1})
    two = run({"kind": "aft", "n_clips": n_clips, "n_aug": full, "n_jobs": 2})
    own_one = run({"kind": "aft", "n_clips": n_clips, "n_aug": full, "n_jobs": 1,
                   "defaults": True})
    own_two = run({"kind": "aft", "n_clips": n_clips, "n_aug": full, "n_jobs": 2,
                   "defaults": True})

    growth = []
    for size in sizes:
        for jobs in (1, 2):
            spec = {"kind": "aft", "n_clips": size, "n_aug": full, "n_jobs": jobs}
            growth.append((size, jobs, one if (size, jobs) == (n_clips, 1) else
                           two if (size, jobs) == (n_clips, 2) else run(spec)))
    views = []
    for n_aug in view_counts:
        spec = {"kind": "aft", "n_clips": n_clips, "n_aug": n_aug, "n_jobs": 1}
        ours = one if n_aug == full else run(spec)
        theirs = (seed_default if seed_default["clips_per_s"] >= seed_single["clips_per_s"]
                  else seed_single) if n_aug == full else None
        if n_aug == 0:
            faster_env = None if seed_default["clips_per_s"] >= seed_single["clips_per_s"] \
                else ONE_THREAD
            theirs = run({**seed, "n_aug": 0}, faster_env)
        views.append((n_aug, ours, theirs))
    load_after = os.getloadavg()
    agreement = check_same_features()

    print("\n".join(machine()))
    print(f"load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} "
          f"{load_after[2]:.2f}")
    if WAIT_IDLE:
        print(f"each measurement waited (up to {WAIT_IDLE:.0f} s) for the cores to be 90% idle "
              "before it started; the load column includes the measurement's own processes")
    elif load_before[0] > 0.5:
        print(f"WARNING: the machine was busy (load {load_before[0]:.1f}) before the run. With "
              f"other sessions running, the kernel shares the cores between sessions{_autogroup()}"
              ", so n_jobs=2 cannot get two cores and its wall-clock figures understate it.")
    print(f"settings: sr={SR}, duration={DURATION} s, n_fft={N_FFT}, hop={HOP}, features="
          f"{'+'.join(FEATURES)} (n_mfcc={N_MFCC}, n_mels={N_MELS}), augment={'+'.join(AUGMENT)}")

    print("same features: on 5 clean clips, largest |transformer - seed| / largest |seed| per "
          "feature: " + ", ".join(f"{k} {v:.1e}" for k, v in agreement.items()))

    print(f"\nHead to head: {n_clips} EmoDB clips x {1 + full} views")
    rows = []
    for label, r, extra in [
        ("seed recipe, default BLAS threads", seed_default, ""),
        ("seed recipe, 1 BLAS thread", seed_single, ""),
        ("AudioFeatureTransformer n_jobs=1", one, ""),
        ("AudioFeatureTransformer n_jobs=2, warm", two,
         f"cold (start-up included): {n_clips / two['cold_wall_s']:.1f} clips/s"),
        ("own defaults*, n_jobs=1", own_one, "not the seed's feature set"),
        ("own defaults*, n_jobs=2, warm", own_two,
         f"cold: {n_clips / own_two['cold_wall_s']:.1f} clips/s"),
    ]:
        cpu = r.get("worker_cpu_s", r["cpu_s"])
        rows.append([label, f"{r['clips_per_s']:.2f}", f"{cpu * 1000 / n_clips:.0f}",
                     "-" if r is own_one or r is own_two else f"{r['clips_per_s'] / baseline:.1f}x",
                     _mb(r["peak_rss_mb"]),
                     _mb(r["worker_peak_rss_mb"]), f"{r['load']:.1f}", extra])
    print(table(["contender", "clips/s", "CPU ms/clip", "vs seed", "peak RSS MB",
                 "worker peak RSS MB", "load", "note"], rows))
    print(f"* AudioFeatureTransformer(augment=<the five>) with its defaults: {own_defaults()}.")
    print("CPU ms/clip: of the measuring process; for n_jobs=2, of both workers together (warm "
          "call), so the parallel overhead shows even when the wall clock cannot.")
    for name, a, b in [("seed settings", one, two), ("own defaults", own_one, own_two)]:
        print(f"n_jobs=2 over n_jobs=1 ({name}): warm {b['clips_per_s'] / a['clips_per_s']:.2f}x,"
              f" cold {n_clips / b['cold_wall_s'] / a['clips_per_s']:.2f}x")

    print(f"\nGrowth with corpus size ({1 + full} views; beyond {n_files} clips the EmoDB files "
          "are cycled)")
    rows = []
    for size, jobs, r in growth:
        cold = f"{size / r['cold_wall_s']:.1f}" if "cold_wall_s" in r else "-"
        rows.append([size, jobs, f"{r['wall_s']:.1f}", f"{r['clips_per_s']:.1f}", cold,
                     _mb(r["output_mb"]), _mb(r["base_rss_mb"]), _mb(r["peak_rss_mb"]),
                     _mb(r["peak_rss_mb"] - r["base_rss_mb"]), _mb(r["worker_peak_rss_mb"])])
    print(table(["clips", "n_jobs", "seconds", "clips/s (warm)", "clips/s (cold)",
                 "output MB", "RSS after imports MB", "peak RSS MB", "growth MB",
                 "worker peak RSS MB"], rows))

    print(f"\nGrowth with the number of views ({n_clips} clips, n_jobs=1)")
    rows = []
    for n_aug, ours, theirs in views:
        seed_rate = f"{theirs['clips_per_s']:.2f}" if theirs else "-"
        ratio = f"{ours['clips_per_s'] / theirs['clips_per_s']:.1f}x" if theirs else "-"
        rows.append([n_aug, 1 + n_aug, "+".join(AUGMENT[:n_aug]) or "(none)",
                     f"{ours['clips_per_s']:.1f}", f"{1000 / ours['clips_per_s']:.0f}",
                     seed_rate, ratio])
    print(table(["augmentations", "views", "kinds", "clips/s", "ms/clip", "seed clips/s",
                 "vs seed"], rows))


if __name__ == "__main__":
    main()
