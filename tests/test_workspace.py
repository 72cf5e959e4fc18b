"""Workspace discovery like git: nearest .sagestep upward, else $SAGESTEP_HOME, else ./.sagestep."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sagestep.workspace import FOUND, FROM_ENV, GIVEN, NEW, discover


def sagestep(cwd: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SAGESTEP_HOME"}
    if home is not None:
        env["SAGESTEP_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "sagestep", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_discover_order(tmp_path, monkeypatch):
    monkeypatch.delenv("SAGESTEP_HOME", raising=False)
    deep = tmp_path / "project" / "a" / "b"
    deep.mkdir(parents=True)
    assert discover(cwd=deep) == (discover(cwd=deep)[0], NEW)
    assert discover(cwd=deep)[0].root == deep / ".sagestep"
    monkeypatch.setenv("SAGESTEP_HOME", str(tmp_path / "global"))
    assert discover(cwd=deep)[1] == FROM_ENV
    (tmp_path / "project" / ".sagestep").mkdir()
    ws, how = discover(cwd=deep)
    assert (ws.root, how) == (tmp_path / "project" / ".sagestep", FOUND)
    assert discover(tmp_path / "x", cwd=deep)[1] == GIVEN
    assert not (deep / ".sagestep").exists()  # discovery creates nothing


def test_cli_says_which_workspace_it_used(tmp_path):
    project = tmp_path / "project"
    sub = project / "scripts"
    sub.mkdir(parents=True)
    first = sagestep(project, "status")
    assert first.returncode == 0, first.stderr
    assert f"created workspace {project / '.sagestep'}" in first.stderr
    again = sagestep(project, "status")
    assert again.stderr == ""  # the current directory's workspace: nothing to say
    below = sagestep(sub, "status")
    assert below.returncode == 0, below.stderr
    assert f"workspace: {project / '.sagestep'} (found above the current directory)" in below.stderr
    assert not (sub / ".sagestep").exists()
    shown = sagestep(sub, "workspace")
    assert shown.stdout.startswith(str(project / ".sagestep"))


def test_sagestep_home_outside_any_project(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = sagestep(elsewhere, "status", home=tmp_path / "global")
    assert done.returncode == 0, done.stderr
    assert f"workspace: {tmp_path / 'global'} (from $SAGESTEP_HOME)" in done.stderr
    assert (tmp_path / "global" / "sagestep.db").exists()
    assert not (elsewhere / ".sagestep").exists()
    shown = sagestep(elsewhere, "workspace", home=tmp_path / "global")
    assert "from $SAGESTEP_HOME" in shown.stdout
