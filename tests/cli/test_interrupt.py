"""Interrupting `sagestep run` leaves a run the next worker resumes, and says which command
(issue 16): a real subprocess, SIGTERM (as `kill` sends) and SIGKILL, then `sagestep server`."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CONFIG = """\
name: slowly
defaults:
  bucket: sagestep-tests
stages:
  preprocessing:
    framework: sklearn
    script: step.py
    source_dir: scripts
    instance_type: ml.m5.large
"""


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}


def _sagestep(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sagestep", *args], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def _status(home: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "sagestep", "status", "--home", str(home)],
                          env=_env(), capture_output=True, text=True, timeout=60)
    return done.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_interrupted_run_is_resumed_by_the_next_worker(tmp_path, sig):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "step.py").write_text("import time\nprint('start', flush=True)\n"
                                                 "time.sleep(2)\nprint('done')\n")
    (tmp_path / "pipeline.yaml").write_text(CONFIG)
    home = tmp_path / "ws"
    run = _sagestep("run", str(tmp_path / "pipeline.yaml"), "--home", str(home))
    deadline = time.monotonic() + 60
    while not list((home / "jobs" / "processing-job").glob("*.run/output.log")):
        assert time.monotonic() < deadline and run.poll() is None, "the job never started"
        time.sleep(0.05)
    run.send_signal(sig)
    out, _ = run.communicate(timeout=30)
    if sig == signal.SIGTERM:
        assert ("stopped following; the runs are saved in the workspace and go on under the next "
                f"sagestep worker: resume them with `sagestep server --home {home}`") in out, out
    assert "RUNNING" in _status(home)
    server = _sagestep("server", "--no-watch", "--no-schedules", "--home", str(home))
    try:
        deadline = time.monotonic() + 90
        while "SUCCEEDED" not in _status(home):
            assert time.monotonic() < deadline, _status(home)
            time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
