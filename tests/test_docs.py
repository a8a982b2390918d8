"""The documentation builds offline with warnings as errors (needs the ``docs`` extra)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS_PACKAGES = ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme")
_missing = [name for name in DOCS_PACKAGES if importlib.util.find_spec(name) is None]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(_missing), reason=f"docs extra not installed: {_missing}"),
]


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    """Build a copy of docs/ and examples/, so the checkout gets no generated files."""
    work = tmp_path_factory.mktemp("docs")
    generated = shutil.ignore_patterns("_build", "generated", "auto_examples",
                                       "sg_execution_times.rst", "__pycache__")
    shutil.copytree(ROOT / "docs", work / "docs", ignore=generated)
    shutil.copytree(ROOT / "examples", work / "examples", ignore=generated)
    out = work / "html"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}
    env.pop("SKLEARN_SER_GALLERY", None)  # the test builds without running the examples
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
         str(work / "docs"), str(out)],
        env=env, capture_output=True, text=True, timeout=900,
    )
    return proc, out


def test_docs_build_without_warnings(built_docs):
    proc, _ = built_docs
    # Sphinx and docutils report "<where>: WARNING: <what>"; TensorFlow's own C++ log lines
    # on stderr (no GPU found) are not documentation problems
    warnings = [line for line in proc.stderr.splitlines()
                if re.search(r"(^|: )(WARNING|ERROR|SEVERE|CRITICAL):", line)
                and "absl::" not in line]
    assert proc.returncode == 0 and not warnings, (
        f"sphinx-build exited with {proc.returncode}:\n" + "\n".join(warnings or
                                                                    [proc.stderr[-4000:]])
    )


def test_docs_contain_measured_tables_gallery_and_api(built_docs):
    proc, out = built_docs
    assert proc.returncode == 0, proc.stderr[-4000:]
    architectures = (out / "architectures.html").read_text()
    # the parameter table is measured at build time: one row per registered architecture
    from sklearn_ser.models import ARCHITECTURES

    for name in ARCHITECTURES:
        row = re.search(rf"<code[^>]*><span[^>]*>{name}</span></code></p></td>\s*"
                        r"<td><p>([\d,]+)</p></td>", architectures)
        assert row, f"no parameter count for {name}"
        assert int(row.group(1).replace(",", "")) > 1000
    cli = (out / "cli.html").read_text()
    for command in ("compare", "train", "predict", "evaluate"):
        assert f"usage: sklearn-ser {command}" in cli
    examples = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))
    for stem in examples:
        assert (out / "auto_examples" / f"{stem}.html").exists(), stem
    for page in ("sklearn_ser.AudioFeatureTransformer", "sklearn_ser.SERClassifier",
                 "sklearn_ser.model_selection.LeaveOneCorpusOut",
                 "sklearn_ser.datasets.make_emotional_speech",
                 "sklearn_ser.frontend.decode.load_audio", "sklearn_ser.frontend.augment.noise",
                 "sklearn_ser.frontend.features.extract_features",
                 "sklearn_ser.frontend.views.make_views"):
        assert (out / "generated" / f"{page}.html").exists(), page
    assert (out / "corpora.html").exists()
