"""A new workspace is private to its owner: directories 0700, database (and WAL) 0600."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from sagestep.workspace import private_file

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cli_creates_a_private_workspace_under_a_permissive_umask(tmp_path: Path) -> None:
    home = tmp_path / "nested" / "ws"
    script = ("import os; os.umask(0o022)\n"
              "from sagestep.local import LocalRuntime\nfrom sagestep.workspace import Workspace\n"
              "rt = LocalRuntime(Workspace.resolve(os.environ['SAGESTEP_HOME']))\n"
              "rt.client('s3').create_bucket(Bucket='bkt')\n"
              "rt.client('sagemaker').list_training_jobs()\n"
              "conn = __import__('sqlite3').connect(rt.workspace.db_path)\n"
              "conn.execute('PRAGMA journal_mode=WAL'); conn.execute('CREATE TABLE t (x)')\n"
              "print(sorted(os.listdir(rt.workspace.root)))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "SAGESTEP_HOME": str(home),
                                           "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 0, done.stderr
    for path in (tmp_path / "nested", home, home / "s3", home / "jobs", home / "endpoints"):
        assert _mode(path) == 0o700, (path, oct(_mode(path)))
    for name in ("sagestep.db", "sagestep.db-wal", "sagestep.db-shm"):
        if (home / name).exists():
            assert _mode(home / name) == 0o600, (name, oct(_mode(home / name)))
    assert (home / "sagestep.db").exists()


def test_private_file_never_loosens_and_rewrites_at_0600(tmp_path: Path) -> None:
    secret = tmp_path / "credentials"
    old = os.umask(0)
    try:
        private_file(secret, b"key=1")
    finally:
        os.umask(old)
    assert _mode(secret) == 0o600 and secret.read_bytes() == b"key=1"
    secret.chmod(0o644)
    private_file(secret, b"key=2")
    assert _mode(secret) == 0o600 and secret.read_bytes() == b"key=2"
