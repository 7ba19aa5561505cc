"""`graphgrad train` never loses a good run: diverging steps, odd seeds, resumes, file modes, output on a pipe."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

SRC = str(Path(__file__).resolve().parent.parent / "src")
SMALL = ["--limit", "200", "--seed", "1"]


def _lrs(out_dir):
    with open(Path(out_dir) / "metrics.csv", newline="") as f:
        return [float(row["lr"]) for row in csv.DictReader(f)]


def test_a_diverging_run_stops_and_keeps_the_last_good_checkpoint(cli, tmp_path):
    good = cli("train", *SMALL, "--epochs", "1", "--quiet", "--out", "run")
    assert good.returncode == 0, good.stderr
    ckpt = tmp_path / "run" / "checkpoint.safetensors"
    before = ckpt.read_bytes()
    bad = cli("train", "--out", "run", "--resume", "--epochs", "3", "--lr", "1e30", "--optimizer", "sgd", "--quiet")
    assert bad.returncode == 1
    assert "training stopped in epoch 2" in bad.stderr and "is nan" in bad.stderr
    assert "still holds epoch 1, the last good one" in bad.stderr
    assert ckpt.read_bytes() == before
    fresh = cli("train", *SMALL, "--epochs", "1", "--lr", "1e30", "--optimizer", "sgd", "--quiet", "--out", "new")
    assert fresh.returncode == 1 and "no checkpoint was written" in fresh.stderr
    assert not (tmp_path / "new" / "checkpoint.safetensors").exists()


@pytest.mark.parametrize("lr", ["inf", "nan", "-1", "0"])
def test_non_finite_learning_rates_are_refused(cli, lr):
    proc = cli("train", "--lr", lr)
    assert proc.returncode == 2 and "--lr" in proc.stderr and "must be above 0 and finite" in proc.stderr


def test_negative_seed_works_as_manual_seed(cli):
    proc = cli("train", "--limit", "100", "--seed", "-1", "--epochs", "1", "--quiet", "--out", "neg")
    assert proc.returncode == 0, proc.stderr


def test_resume_with_another_limit_names_the_right_one(cli):
    assert cli("train", "--limit", "100", "--epochs", "1", "--quiet", "--out", "a").returncode == 0
    proc = cli("train", "--out", "a", "--resume", "--limit", "150")
    assert proc.returncode == 2 and "trained with --limit 100, not --limit 150" in proc.stderr
    assert cli("train", "--epochs", "1", "--quiet", "--out", "b", "--limit", "100").returncode == 0


def test_resume_with_more_epochs_continues_the_cosine(cli, tmp_path):
    assert cli("train", *SMALL, "--epochs", "2", "--quiet", "--out", "run").returncode == 0
    assert cli("train", "--out", "run", "--resume", "--epochs", "4", "--quiet").returncode == 0
    lrs = _lrs(tmp_path / "run")
    assert len(lrs) == 4 and all(a > b for a, b in zip(lrs, lrs[1:])), lrs  # never jumps back up
    assert lrs[-1] < 0.01 * lrs[0]  # and still decays to (about) 0 at the new last epoch


def test_files_take_the_umask(cli, tmp_path):
    old = os.umask(0o027)
    try:
        assert cli("train", "--limit", "100", "--epochs", "1", "--quiet", "--out", "run").returncode == 0
    finally:
        os.umask(old)
    for name in ("checkpoint.safetensors", "metrics.csv", "graph.dot"):
        assert (tmp_path / "run" / name).stat().st_mode & 0o777 == 0o640, name


def test_no_progress_bar_on_a_pipe_and_version(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))
    run = subprocess.run([sys.executable, "-m", "graphgrad", "train", "--limit", "100", "--epochs", "1", "--out",
                          "run"], cwd=tmp_path, capture_output=True, text=True, timeout=240, env=env)
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr and "batch/s" not in run.stderr and "it/s" not in run.stderr
    version = subprocess.run([sys.executable, "-m", "graphgrad", "--version"], capture_output=True, text=True,
                             timeout=60, env=env)
    import graphgrad

    assert version.returncode == 0 and version.stdout.strip() == f"graphgrad {graphgrad.__version__}"


def test_progress_bar_on_a_terminal(tmp_path):
    pty = pytest.importorskip("pty")
    pytest.importorskip("tqdm")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))
    leader, follower = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    try:
        proc = subprocess.run([sys.executable, "-m", "graphgrad", "train", "--limit", "100", "--epochs", "1",
                               "--out", "run"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=follower, timeout=240,
                              env=env)
        os.close(follower)
        follower = None
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower is not None:
            os.close(follower)
        os.close(leader)
    assert proc.returncode == 0
    bar = b"".join(chunks).decode(errors="replace")
    assert "epoch 1/1:" in bar and "acc=" in bar and "loss=" in bar  # the tqdm bar, with running loss/accuracy


def test_missing_dot_is_said(tmp_path, monkeypatch, capsys):
    from graphgrad.cli import report

    monkeypatch.setattr(report.shutil, "which", lambda name: None)
    written = report.write_graph(str(tmp_path), "digraph { a -> b }", "a -> b")
    assert written == ["graph.dot", "graph.txt"]
    assert "graph.svg not written: Graphviz's `dot` program is not installed" in capsys.readouterr().err
