"""The README's two newcomer commands stay true: CI runs the test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    commands = []
    for block in blocks[:2]:
        lines = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
        commands.append(lines[0].strip())
    return commands


def test_readme_opens_with_install_and_run_then_install_and_test():
    main, tests = _readme_commands()
    assert main.startswith("python -m pip install -e .")
    assert "sklearn-ser compare" in main
    assert tests.startswith('python -m pip install -e ".[test]"')
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    _, tests = _readme_commands()
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci
