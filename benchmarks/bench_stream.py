"""Long recordings: peak memory and speed of the streamed window analysis vs the whole file.

Run from the project root::

    python benchmarks/bench_stream.py                  # 10- and 60-minute recordings: ~10 min
    python benchmarks/bench_stream.py --minutes 10     # ~3 min
    python benchmarks/bench_stream.py --quick          # smoke run: 1- and 3-minute recordings

A small pipeline is trained first, what ``sklearn-ser train`` saves in miniature: the
default ``AudioFeatureTransformer`` (2-s clips, log-mel) and ``SERClassifier`` with its
default architecture, one epoch on the synthetic demo corpus (accuracy is irrelevant here),
saved with ``sklearn_ser.persistence.save`` and loaded by every contender with ``load``.
Then a synthetic 16 kHz 16-bit mono WAV of each length is written, block by block, to a
temporary folder: harmonic tones of varying pitch and loudness, pauses and low noise. Every
contender runs in a fresh subprocess, so each peak RSS (``getrusage`` of that child, read by
``os.wait4``) is its own:

- **model only**: imports, ``joblib.load`` of the pipeline, nothing analysed. The floor every
  contender stands on (TensorFlow alone is most of it).
- **whole file**: the path of the previous release, written out as it was: ``load_audio``
  of the whole file, every window of ``window_bounds`` sliced from it, one
  ``predict_proba`` call on all the windows.
- **streamed**: ``analyse_recording(model, path)``, the library's path (blocks, one soxr
  stream, batches of windows).
- **streamed, numpy runtime**: the same, with the model loaded by ``load(path,
  runtime="numpy")``: the network runs in NumPy and TensorFlow is never imported.
- **sklearn-ser predict**: the command line on the same file (streams through
  ``analyse_recording``; its default ``--runtime auto`` is the NumPy runtime for this
  model); its time includes its own start-up and printing.
- **sklearn-ser predict --runtime keras**: the command line with TensorFlow running the
  network, as before the NumPy runtime.

"peak RSS" is the child's whole life, model loading included (what a user of
``sklearn-ser predict`` sees). Inside the Python children the kernel's peak counter is reset
after the model is loaded (``/proc/self/clear_refs``), so "peak during analysis" is the
largest RSS while the recording is analysed, next to "RSS after load". "analysis s" is the
wall time of the analysis alone (decode, windows, features, network) and "analysis CPU
s" its CPU time (``time.process_time``: all threads of the child); "x real time (CPU)" is
recording seconds per CPU second of analysis. On a shared machine wall times follow the
other sessions' load; CPU times much less, so they are what compares throughput. The
command line's figures are its whole process (start-up, model loading, printing). The
streamed probabilities are compared with the whole-file ones (largest absolute difference).
The machine's load average is printed with each row: other sessions' jobs slow the figures
down; memory does not depend on them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from _common import load_average, machine_lines, markdown_table, peak_rss_mb, reset_peak_rss, rss_mb

SR = 16000
CONTENDERS = ("model only", "whole file", "streamed", "streamed, numpy runtime",
              "sklearn-ser predict", "sklearn-ser predict --runtime keras")


def write_recording(path: Path, minutes: float, seed: int = 0) -> None:
    """A synthetic recording, written a minute at a time (the writer never holds it whole)."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    n, done = round(minutes * 60 * SR), 0
    with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as out:
        while done < n:
            # 3-s voiced segments of random pitch and loudness, each followed by a 0.5-s pause
            t = np.arange(3 * SR) / SR
            f0, gain = rng.uniform(90, 260), rng.uniform(0.1, 0.8)
            voiced = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
            segment = np.concatenate([gain * voiced / 2.3, np.zeros(SR // 2)])
            segment += 0.003 * rng.standard_normal(segment.size)
            segment = segment[: n - done]
            out.write(segment.astype(np.float32))
            done += segment.size


def train_model(path: Path) -> str:
    """Fit the small pipeline and save it in the library's own format (what the CLI loads)."""
    from sklearn.pipeline import Pipeline

    from sklearn_ser import AudioFeatureTransformer, SERClassifier
    from sklearn_ser.datasets import make_emotional_speech
    from sklearn_ser.persistence import save

    data = make_emotional_speech(n_speakers=2, n_clips_per_emotion=3, random_state=0)
    clf = SERClassifier(epochs=1, random_state=0)
    pipe = Pipeline([("features", AudioFeatureTransformer()), ("clf", clf)]).fit(data.X, data.y)
    save(pipe, path)
    return f"{clf.arch}, {pipe[0].duration:g}-s clips, features {list(pipe[0].features)}"


# --- the child process: one contender ---------------------------------------------------------


def child(mode: str, model_path: str, wav: str, out: str) -> None:
    from sklearn_ser.persistence import load

    model = load(model_path, runtime="numpy" if mode.endswith("numpy runtime") else "keras")
    loaded = rss_mb()
    reset_peak_rss()  # from here VmHWM is the peak of the analysis alone
    start, cpu = time.perf_counter(), time.process_time()
    if mode == "whole file":
        from sklearn_ser.frontend.decode import load_audio
        from sklearn_ser.inference import window_bounds

        y = load_audio(wav, SR)
        clip = round(model[0].duration * SR)
        bounds = window_bounds(y.size, clip, clip // 2)
        proba = model.predict_proba([y[a:b] for a, b in bounds])
        n_windows = len(bounds)
    elif mode.startswith("streamed"):
        from sklearn_ser.inference import analyse_recording

        timeline = analyse_recording(model, wav).timeline
        proba = timeline[[str(c) for c in model.classes_]].to_numpy()
        n_windows = len(timeline)
    else:
        proba, n_windows = np.zeros((0, 0)), 0
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    np.save(out, proba)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "windows": n_windows, "loaded": loaded,
                      "analysis_peak": peak_rss_mb()}))


def run(mode, model_path, wav, tmp):
    """One contender in a fresh process: its figures (a dict) and probabilities, or None.

    ``os.wait4`` returns the rusage of that one child (``RUSAGE_CHILDREN`` would be the
    largest of all children so far).
    """
    out = str(Path(tmp) / f"{mode.replace(' ', '_').replace(',', '')}.npy")
    if mode.startswith("sklearn-ser predict"):
        cmd = [sys.executable, "-m", "sklearn_ser", "predict", model_path, wav, "--format", "csv",
               *mode.split()[2:]]
    else:
        cmd = [sys.executable, __file__, "--child", mode, model_path, wav, out]
    stdout, stderr = Path(tmp) / "stdout.txt", Path(tmp) / "stderr.txt"
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    start = time.perf_counter()
    pid = os.posix_spawn(sys.executable, cmd, os.environ, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, str(stdout), flags, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, str(stderr), flags, 0o644)])
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        print(f"{mode} failed:\n{stderr.read_text()[-3000:]}", file=sys.stderr)
        return None
    figures, text = {"peak": usage.ru_maxrss / 1024, "wall": wall}, stdout.read_text()
    if mode.startswith("sklearn-ser predict"):
        cpu = usage.ru_utime + usage.ru_stime
        return {**figures, "seconds": wall, "cpu": cpu, "windows": text.count(",window,")}, None
    return {**figures, **json.loads(text.strip().splitlines()[-1])}, np.load(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10, 60])
    parser.add_argument("--quick", action="store_true", help="1- and 3-minute recordings")
    parser.add_argument("--skip", nargs="*", default=[], choices=CONTENDERS,
                        help="contenders not to run")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--train", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    if args.train:
        return print(train_model(Path(args.train)))
    minutes = [1, 3] if args.quick else args.minutes
    print("\n".join(machine_lines(("numpy", "soundfile", "soxr", "keras", "tensorflow"))))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        model_path = str(Path(tmp) / "model.skser")
        # trained in its own process: a child spawned by this one inherits its peak RSS (Linux
        # keeps the peak of the memory a vfork child shares until exec), so this process
        # must stay small for the children's figures to be their own
        trained = subprocess.run([sys.executable, __file__, "--train", model_path],
                                 capture_output=True, text=True, check=True)
        print("model:", trained.stdout.strip().splitlines()[-1])
        for length in minutes:
            wav = str(Path(tmp) / f"recording_{length:g}min.wav")
            write_recording(Path(wav), length)
            results = {}
            for mode in CONTENDERS:
                # the floor does not depend on the recording: measured with the first one
                if mode in args.skip or (mode == "model only" and length != minutes[0]):
                    continue
                measured = run(mode, model_path, wav, tmp)
                if measured is None:
                    rows.append([f"{length:g} min", mode, "failed", *["-"] * (len(HEADER) - 3)])
                    continue
                fig, results[mode] = measured
                diff = "-"
                if mode.startswith("streamed") and results.get("whole file") is not None:
                    diff = f"{np.max(np.abs(results[mode] - results['whole file'])):.1e}"
                analysed = fig["windows"] > 0
                rows.append([
                    f"{length:g} min", mode, f"{fig['peak']:.0f}",
                    f"{fig['loaded']:.0f}" if "loaded" in fig else "-",
                    f"{fig['analysis_peak']:.0f}" if analysed and "loaded" in fig else "-",
                    fig["windows"] or "-", f"{fig['seconds']:.1f}" if analysed else "-",
                    f"{fig['cpu']:.1f}" if analysed else "-",
                    f"{length * 60 / fig['cpu']:.0f}" if analysed else "-",
                    f"{fig['wall']:.1f}", diff, load_average().split()[0]])
                print(markdown_table(HEADER, rows[-1:]).splitlines()[-1], flush=True)
    print()
    print(markdown_table(HEADER, rows))


HEADER = ["recording", "contender", "peak RSS MiB", "RSS after load MiB",
          "peak during analysis MiB", "windows", "analysis s", "analysis CPU s",
          "x real time (CPU)", "process wall s",
          "max abs(streamed - whole)", "load (1 min)"]

if __name__ == "__main__":
    main()
