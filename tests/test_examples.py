"""Every gallery example runs to completion with quick settings and draws its figures.

The examples run in one subprocess, one after another and each in its own empty working
folder, the way sphinx-gallery executes them: importing TensorFlow once instead of once per
example saves seconds per example, which is most of an example's cost with quick settings.
The subprocess writes a JSON report; each example is then one test that shows its traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))
TIMEOUT = 900  # seconds for all examples together; a hang must fail, not block CI

# Failed fits inside cross-validation or a grid search only warn (the score becomes NaN);
# in an example that is a bug, so the runner turns the warning into an error.
_RUNNER = r"""
import json, os, runpy, sys, tempfile, time, traceback, warnings

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.exceptions import FitFailedWarning

report_path, paths = sys.argv[1], sys.argv[2:]
report = {}
for path in paths:
    plt.close("all")
    start, cpu_start = time.perf_counter(), time.process_time()
    entry = {}
    with tempfile.TemporaryDirectory() as workdir:
        os.chdir(workdir)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", FitFailedWarning)
                runpy.run_path(path, run_name="__main__")
            entry["error"] = None
        except BaseException:
            entry["error"] = traceback.format_exc()
        finally:
            os.chdir(os.path.dirname(path))
    entry["seconds"] = time.perf_counter() - start
    entry["cpu_seconds"] = time.process_time() - cpu_start
    entry["figures"] = len(plt.get_fignums())
    report[os.path.basename(path)] = entry
    with open(report_path, "w") as f:  # rewritten after each example: partial on a crash
        json.dump(report, f)
"""


def test_examples_exist():
    assert len(EXAMPLES) >= 7, f"expected the gallery examples in {EXAMPLES_DIR}"


@pytest.fixture(scope="module")
def example_report(tmp_path_factory):
    report_path = tmp_path_factory.mktemp("examples") / "report.json"
    env = {**os.environ, "SKLEARN_SER_QUICK": "1", "MPLBACKEND": "Agg",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(report_path), *map(str, EXAMPLES)],
        env=env, capture_output=True, text=True, timeout=TIMEOUT,
    )
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return report, proc


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(example, example_report):
    report, proc = example_report
    entry = report.get(example.name)
    assert entry is not None, (
        f"{example.name} did not run; the example runner exited with {proc.returncode}:\n"
        f"{proc.stderr[-4000:]}"
    )
    assert entry["error"] is None, f"{example.name} failed:\n{entry['error']}"
    # every example is a sphinx-gallery plot_ script: its figures are the gallery's images
    assert entry["figures"] >= 1, f"{example.name} drew no figure"


def test_examples_have_gallery_title_and_quick_switch():
    for path in EXAMPLES:
        source = path.read_text()
        assert source.startswith('"""\n='), f"{path.name}: no sphinx-gallery title block"
        assert "SKLEARN_SER_QUICK" in source, f"{path.name}: no quick settings"
