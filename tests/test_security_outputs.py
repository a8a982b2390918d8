"""Where outputs go (issue 30, items 3, 7 and 8): links, FIFOs, devices, full disks, quiet start.

``save()``, ``train --out`` and the study's ``--out`` folder refuse anything at the path that is
not a regular file (a folder for the study), never follow a symbolic link, and find out that
a file cannot be created by creating one beside the target before any work.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_ser import save
from sklearn_ser.cli import main
from sklearn_ser.cli.errors import CommandError
from sklearn_ser.cli.output import check_output_folder, check_output_target
from sklearn_ser.persistence import OutputPathError


@pytest.fixture
def estimator():
    rng = np.random.default_rng(0)
    return LogisticRegression().fit(rng.normal(size=(6, 3)), [0, 1] * 3)


def _fifo(path):
    os.mkfifo(path)
    return path


def test_save_refuses_a_symlink_and_leaves_its_target(tmp_path, estimator):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "model.skser"
    link.symlink_to(target)
    with pytest.raises(OutputPathError, match=r"model\.skser.*symbolic link.*precious\.txt"):
        save(estimator, link)
    assert target.read_text() == "keep me" and link.is_symlink()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_save_refuses_a_fifo(tmp_path, estimator):
    fifo = _fifo(tmp_path / "model.skser")
    with pytest.raises(OutputPathError, match=r"model\.skser.*FIFO"):
        save(estimator, fifo)
    assert fifo.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skser"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_save_refuses_a_device(estimator):
    with pytest.raises(OutputPathError, match=r"/dev/full.*character device"):
        save(estimator, "/dev/full")


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, estimator, monkeypatch):
    path = save(estimator, tmp_path / "model.skser")
    before = path.read_bytes()

    def full(fd):  # a full disk often shows only when the data is flushed
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match=r"Cannot save to '.*model\.skser': the disk is full") \
            as info:
        save(estimator, path)
    assert info.value.errno == errno.ENOSPC
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skser"]


def test_a_saved_file_gets_normal_permissions(tmp_path, estimator):
    old = os.umask(0o022)
    try:
        path = save(estimator, tmp_path / "model.skser")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder_link", "parent_is_file"])
def test_train_out_is_refused_before_any_work(capsys, tmp_path, kind):
    if kind == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    out = tmp_path / "model.skser"
    if kind == "symlink":
        out.symlink_to(blocker)
    elif kind == "fifo":
        _fifo(out)
    elif kind == "folder_link":
        (tmp_path / "real").mkdir()
        out.symlink_to(tmp_path / "real")
    else:
        out = blocker / "model.skser"
    code = main(["train", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert "Generating" not in captured.err and "Loading" not in captured.err
    assert "--out" in captured.err and str(out) in captured.err
    assert blocker.read_text() == "a file"


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.isdir("/proc/self"),
                    reason="only root passes os.access on /proc")
def test_a_folder_where_no_file_can_be_created_is_refused():
    with pytest.raises(CommandError, match=r"--out.*/proc/self/model.skser"):
        check_output_target("/proc/self/model.skser", "--out")
    with pytest.raises(CommandError, match=r"--out.*/sys/study"):
        check_output_folder("/sys/study", "--out")


def test_the_study_out_folder_check(tmp_path):
    assert check_output_folder(tmp_path / "new" / "study", "--out") == tmp_path / "new" / "study"
    assert not (tmp_path / "new").exists()  # nothing is created before the work
    assert check_output_folder(tmp_path, "--out") == tmp_path
    assert list(tmp_path.iterdir()) == []  # the probe file is gone
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(CommandError, match=r"--out.*symbolic link"):
        check_output_folder(tmp_path / "link", "--out")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CommandError, match=r"--out.*not a folder"):
        check_output_folder(tmp_path / "file", "--out")


def _start(env_level, announce=True):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    if env_level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = env_level
    code = ("import os; from sklearn_ser.cli import output; "
            + ("output.announce_device(output.Console(False)); " if announce else "")
            + "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300)


def test_the_command_line_starts_quiet_and_names_its_device():
    result = _start(None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Training on "), result.stderr
    assert "cuInit" not in result.stderr and "E0000" not in result.stderr


def test_a_log_level_of_the_user_is_respected():
    result = _start("1", announce=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
