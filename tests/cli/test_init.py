"""`sagestep init`: a new user runs exactly the commands it prints, and they all succeed."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def shim(tmp_path: Path) -> dict[str, str]:
    """An environment where `sagestep` is this checkout's CLI (as `pip install` would put it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "sagestep"
    script.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m sagestep \"$@\"\n")
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "SAGESTEP_HOME"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return env


def printed_commands(output: str) -> list[str]:
    """The indented lines after `next`: the commands init tells the user to run."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("next"))
    return [line.strip() for line in lines[start + 1:] if line.startswith("  ")]


def test_init_then_exactly_the_printed_commands(tmp_path):
    env = shim(tmp_path)
    user = tmp_path / "home"
    user.mkdir()
    done = subprocess.run(["sagestep", "init", "churn model"], cwd=user, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    commands = printed_commands(done.stdout)
    assert commands[0] == "cd 'churn model'"
    assert any(c.startswith("sagestep upload ") for c in commands)
    assert commands[-1].startswith("sagestep endpoints delete ")
    # one shell, as a user types them; each must succeed
    script = " && ".join(commands)
    ran = subprocess.run(["bash", "-c", script], cwd=user, env=env, capture_output=True,
                         text=True, timeout=600)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "churn-model-" in ran.stdout and " SUCCEEDED" in ran.stdout
    assert "endpoint churn-model is running in the background" in ran.stdout
    assert "deleted endpoint churn-model" in ran.stdout
    # the invoke printed one probability per sample row
    number = r"[0-9.eE-]+"
    (prediction,) = [line for line in ran.stdout.splitlines()
                     if re.fullmatch(rf"{number}(,{number}){{4}}", line)]
    assert all(0 <= float(p) <= 1 for p in prediction.split(","))


def test_init_in_the_current_directory_prints_no_cd(tmp_path):
    env = shim(tmp_path)
    done = subprocess.run(["sagestep", "init", "."], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    commands = printed_commands(done.stdout)
    assert commands[0] == "sagestep validate pipeline.yaml"
    assert (tmp_path / "data" / "data.csv").read_text().startswith("target,")
    check = subprocess.run(["bash", "-c", commands[0]], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
