"""The suite's own contract: data tests skip on a user's machine and fail in CI without data."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py").read_text()
TESTS = """
import pytest

@pytest.mark.data
def test_marked(tmp_path):
    pytest.skip("no corpus here")

def test_uses_the_fixture(shared_data):
    shared_data("no_such_corpus_folder")

def test_other_skip():
    pytest.skip("optional thing missing")
"""


@pytest.mark.parametrize("required, failed, skipped", [(False, 0, 3), (True, 2, 1)])
def test_missing_shared_data_skips_or_fails(pytester, monkeypatch, required, failed, skipped):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner=TESTS)
    pytester.makeini("[pytest]\nmarkers =\n    data: needs ../shared/data\n    slow: slow\n")
    if required:
        monkeypatch.setenv("SKLEARN_SER_REQUIRE_DATA", "1")
    else:
        monkeypatch.delenv("SKLEARN_SER_REQUIRE_DATA", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=failed, skipped=skipped)
    if required:
        result.stdout.fnmatch_lines(["*SKLEARN_SER_REQUIRE_DATA=1*"])
