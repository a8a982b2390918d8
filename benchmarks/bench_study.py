"""Wall time of ``sklearn-ser compare`` on a CREMA-D subset: this code against another revision.

The same command (the five architectures and their ensemble, ``--cv K`` speaker-independent
folds, the given options) runs once per code base, one after the other in child processes,
on the clips of the first ``--actors`` CREMA-D actors (symbolic links in a temporary folder,
so both read identical files). The other revision runs from a git worktree through
``PYTHONPATH``, with this checkout's virtual environment::

    git worktree add /tmp/ser_main 2f58248
    python benchmarks/bench_study.py --other /tmp/ser_main --actors 20 --cv 3 -- --epochs 5

Every run appends a JSON line to ``bench_study.jsonl`` (command, wall time, load average,
per-model UAR and fit time from the run's ``results_summary.csv``), and the script prints
the table and the wall-time ratio. Options after ``--`` go to both commands; ``--new-args``
only to this code (e.g. ``--features whisper``, which the other revision may not have) and
``--other-args`` only to the other (e.g. fewer ``--epochs`` than its default, to keep the
run short)::

    git worktree add /tmp/ser_main32 d52a8c9
    python benchmarks/bench_study.py --other /tmp/ser_main32 --actors 20 --cv 3 \
        --other-args "--epochs 5"
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CREMA_D = ROOT / ".." / "shared" / "data" / "crema_d" / "AudioOpus"
RESULTS = Path(__file__).with_name("bench_study.jsonl")


def subset(folder: Path, n_actors: int) -> Path:
    """A folder of links to every clip of the first ``n_actors`` actors (names ``AAAA_...``)."""
    clips = sorted(CREMA_D.glob("*.opus"))
    if not clips:
        sys.exit(f"No CREMA-D clips in {CREMA_D.resolve()} (see ../shared/data/README.md)")
    actors = sorted({p.name[:4] for p in clips})[:n_actors]
    target = folder / "AudioOpus"
    target.mkdir(parents=True)
    for clip in clips:
        if clip.name[:4] in actors:
            (target / clip.name).symlink_to(clip.resolve())
    return folder


def revision(code: Path) -> str:
    found = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True)
    return found.stdout.strip() or "unknown"


def run_compare(code: Path, data: Path, out: Path, args: list[str]) -> dict:
    """Run ``compare`` of the code base in ``code``; wall time and its summary table."""
    command = [sys.executable, "-m", "sklearn_ser", "compare", "--corpus", "crema_d",
               "--data-dir", str(data), "--out", str(out), *args]
    env = {**os.environ, "PYTHONPATH": str(code), "TF_CPP_MIN_LOG_LEVEL": "2"}
    load = os.getloadavg()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=code, capture_output=True, text=True)
    wall = time.perf_counter() - start
    # kept after the temporary folder is gone: the progress lines and the phase times
    log = Path(tempfile.gettempdir()) / f"bench_study_{revision(code)}_{os.getpid()}.log"
    log.write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        sys.exit(f"{code}: compare failed ({done.returncode}); see {log}")
    summary = {}
    with open(out / "results_summary.csv") as f:
        header = f.readline().strip().split(",")
        for line in f:
            row = dict(zip(header, line.strip().split(",")))
            summary[row["model"]] = {"uar": float(row["uar_mean"]),
                                     "fit_time": float(row["fit_time_mean"])}
    document = json.loads((out / "results.json").read_text())
    phases = {k: round(v, 1) for k, v in (document.get("phase_times") or {}).items()}
    extraction = document.get("extraction_time") or []
    return {"code": str(code), "revision": revision(code), "wall_s": round(wall, 1),
            "extraction_s": round(sum(extraction), 1), "phase_times": phases, "log": str(log),
            "load_before": [round(x, 2) for x in load],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "command": shlex.join(["sklearn-ser", *command[3:]]), "summary": summary}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--other", type=Path, required=True,
                        help="checkout of the revision to compare with (a git worktree)")
    parser.add_argument("--actors", type=int, default=20, help="CREMA-D actors (default 20)")
    parser.add_argument("--cv", default="3", help="--cv of both commands (default 3)")
    parser.add_argument("--new-args", default="", help="options for this code only")
    parser.add_argument("--other-args", default="", help="options for the other code only")
    parser.add_argument("--only", choices=("new", "other"), help="run one side only")
    parser.add_argument("common", nargs="*", help="options of both commands (after --)")
    options = parser.parse_args(argv)
    common = ["--cv", options.cv, "--n-jobs", "2", *options.common]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_study_") as tmp:
        data = subset(Path(tmp) / "crema_d", options.actors)
        sides = [("other", options.other, [*common, *shlex.split(options.other_args)]),
                 ("new", ROOT, [*common, *shlex.split(options.new_args)])]
        for name, code, args in sides:
            if options.only not in (None, name):
                continue
            print(f"{name}: {code} ...", flush=True)
            row = {"side": name, "actors": options.actors,
                   "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   **run_compare(code, data, Path(tmp) / f"out_{name}", args)}
            with open(RESULTS, "a") as f:
                f.write(json.dumps(row) + "\n")
            rows.append(row)
            print(f"  {row['revision']}: {row['wall_s']:.0f} s wall; " + ", ".join(
                f"{m} {v['uar']:.3f}" for m, v in row["summary"].items()), flush=True)
    if len(rows) == 2:
        print(f"wall-time ratio {rows[0]['revision']} / {rows[1]['revision']}: "
              f"{rows[0]['wall_s'] / rows[1]['wall_s']:.2f}")


if __name__ == "__main__":
    main()
