"""Helpers shared by the training and inference benchmarks (not part of the package).

Imported by ``bench_training.py`` and ``bench_inference.py``, which Python runs with this
folder on ``sys.path``. Only the standard library and NumPy are imported at module level, so
importing these helpers costs nothing before the measurement starts.
"""

from __future__ import annotations

import gc
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMODB = ROOT / ".." / "shared" / "data" / "emodb" / "wav"
# EmoDB file names carry the emotion as their sixth character (see ../shared/data/README.md)
EMOTIONS = {"W": "anger", "L": "boredom", "E": "disgust", "A": "fear", "F": "happiness",
            "T": "sadness", "N": "neutral"}


# --- data ------------------------------------------------------------------------------------


def emodb_files() -> list[str]:
    """All EmoDB clips, sorted; exits with a clear message when the copy is absent."""
    files = sorted(str(p) for p in EMODB.glob("*.wav"))
    if not files:
        sys.exit(f"No EmoDB clips found in {EMODB.resolve()} (see ../shared/data/README.md)")
    return files


def cycled(files: list[str], n: int) -> list[str]:
    """``n`` paths, going through ``files`` again from the start when there are fewer."""
    return [files[i % len(files)] for i in range(n)]


def emotion(path: str) -> str:
    """Emotion label of an EmoDB clip, from its file name."""
    return EMOTIONS[Path(path).name[5]]


def balanced_subset(files: list[str], per_class: int) -> list[str]:
    """The first ``per_class`` clips of every emotion (a tiny training set for a smoke fit)."""
    chosen, counts = [], {}
    for path in files:
        label = emotion(path)
        if counts.get(label, 0) < per_class:
            chosen.append(path)
            counts[label] = counts.get(label, 0) + 1
    return chosen


# --- memory ----------------------------------------------------------------------------------


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    """Resident set size of this process now, in MiB (Linux)."""
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    """Peak resident set size of this process since the last :func:`reset_peak_rss`, MiB."""
    return _status_mb("VmHWM")


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux >= 4.0, ``clear_refs`` 5).

    ``getrusage`` only ever reports the peak of the whole process; resetting lets one process
    measure the peak of each step. Returns False where the kernel refuses.
    """
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def peak_growth(function, *args, **kwargs):
    """``function(*args, **kwargs)`` and the MiB its run added to the process's peak RSS.

    The growth is measured from the resident size just before the call (after a garbage
    collection, so the previous step's leftovers do not count); NaN where the kernel cannot
    reset its peak counter.
    """
    gc.collect()
    base = rss_mb()
    reset = reset_peak_rss()
    result = function(*args, **kwargs)
    return result, peak_rss_mb() - base if reset else float("nan")


# --- a shared machine --------------------------------------------------------------------------


def load_average() -> str:
    """``uptime``'s 1, 5 and 15-minute load averages."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def idle_fraction(seconds: float = 3.0) -> float:
    """Share of CPU time spent idle over the next ``seconds`` (Linux ``/proc/stat``)."""

    def sample():
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return values[3] + values[4], sum(values[:8])

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_for_idle(max_seconds: float, idle: float = 0.9) -> float:
    """Wait up to ``max_seconds`` for the cores to be ``idle`` idle; returns the seconds waited.

    The same idea as ``bench_extraction.py --wait-idle``: other sessions' jobs skew absolute
    figures, so a measurement can wait for them to finish. Ratios measured side by side
    (alternating contenders) need no waiting.
    """
    start = time.monotonic()
    while time.monotonic() - start < max_seconds and idle_fraction() < idle:
        pass
    return time.monotonic() - start


# --- report ----------------------------------------------------------------------------------


def _versions(packages) -> str:
    out = []
    for name in packages:
        try:
            out.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name} (absent)")
    return ", ".join(out)


def _git_revision() -> str:
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain",
                                "--untracked-files=no", "--", "sklearn_ser"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" + uncommitted changes in sklearn_ser/" if dirty else "")


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what the platform says."""
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return model


def machine_lines(packages=("numpy", "scikit-learn", "keras", "tensorflow", "scikeras")):
    """Date, CPU, memory, OS, Python, package versions, BLAS, revision and the command."""
    model = cpu_model()
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{p['internal_api']} {p['version']}" for p in threadpool_info()
                         if p["user_api"] == "blas") or "?"
    except ImportError:
        blas = "?"
    return [
        f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"machine: {model}, {cores} cores, {ram:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}",
        f"python {platform.python_version()}; {_versions(packages)}; BLAS: {blas}",
        f"sklearn-ser revision: {_git_revision()}",
        f"command: python {' '.join(sys.argv)}",
    ]


class MachineLoad:
    """The load averages at the start and at the end of a run, reported with the machine.

    On a shared machine absolute figures move with the load; every report says what it was.
    """

    def __init__(self):
        self.start, self.end = load_average(), None

    def stop(self) -> None:
        self.end = load_average()

    def lines(self, packages=("numpy", "scikit-learn", "keras", "tensorflow", "scikeras")):
        """:func:`machine_lines`, then the load at the start and at the end."""
        return [*machine_lines(packages),
                f"load average (1, 5, 15 min): at start {self.start}, at end {self.end}"]


def markdown_table(header, rows) -> str:
    """A GitHub markdown table (what benchmarks/README.md quotes)."""
    lines = ["| " + " | ".join(str(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def run_child(code: str, args, env: dict, what: str, cwd=None) -> dict:
    """Run ``python -c code *args`` and return the JSON of its last ``RESULT `` line.

    Measurements run in a child process so that each starts from a fresh interpreter; exits
    with the child's error output when it fails or prints no result.
    """
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, cwd=cwd,
                         capture_output=True, text=True, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode or not lines:
        sys.exit(f"{what} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])
