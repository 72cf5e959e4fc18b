"""kill -9 of a real `sagestep` worker while it creates, then updates, an endpoint (issue 16).

The worker is `sagestep example run` (a real CLI process running the engine, real jobs and
real model servers). It is killed once a model server of the new generation has started
but before that generation serves; `sagestep server` then takes over. Pass: the run
SUCCEEDED, the endpoint serves from exactly one server per variant, and no orphan server
process is left (the dead worker's half-started generation was stopped).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sagestep.backends.local import LocalBackend
from tests.serving.processes import server_processes

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT = "xgboost-breast-cancer"
pytestmark = pytest.mark.slow


def _sagestep(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-m", "sagestep", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _query(home: Path, sql: str) -> list[tuple]:
    if not (home / "sagestep.db").exists():
        return []
    conn = sqlite3.connect(home / "sagestep.db", timeout=30)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # table not created yet
        return []
    finally:
        conn.close()


def _endpoint_status(home: Path) -> str | None:
    rows = _query(home, "SELECT doc FROM sm_records WHERE kind='endpoint'")
    return json.loads(rows[0][0])["EndpointStatus"] if rows else None


def _kill_while_deploying(home: Path, settling: str, servers_before: int) -> None:
    """Run the example; SIGKILL the worker once a new server started while ``settling``."""
    worker = _sagestep("example", "run", ENDPOINT, "--home", str(home), "--timeout", "240")
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                pytest.fail(f"the run ended before the deploy: {worker.stderr.read()}")
            if (_endpoint_status(home) == settling
                    and len(server_processes(home)) > servers_before):
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the endpoint was never {settling} with a new server")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()


def _resume(home: Path) -> None:
    """`sagestep server` until every run ended; then stop it (Ctrl-C)."""
    server = _sagestep("server", "--home", str(home), "--no-watch", "--no-schedules",
                       "--poll", "0.2")
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if not _query(home, "SELECT 1 FROM sfn_executions WHERE status='RUNNING'"):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the run did not end after the restart")
        time.sleep(2.5)  # a server cycle sweeps what the dead worker left
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)


def _check(home: Path, runs: int) -> None:
    statuses = [r[0] for r in _query(home, "SELECT status FROM sfn_executions")]
    assert statuses == ["SUCCEEDED"] * runs
    assert _endpoint_status(home) == "InService"
    backend = LocalBackend(home)
    servers = backend.endpoint_servers()
    assert [(s["VariantName"], s["Routed"], s["Running"]) for s in servers] == [
        ("AllTraffic", True, True)], servers
    assert server_processes(home) == [servers[0]["Pid"]]  # no orphan generation
    assert backend.invoke(ENDPOINT, b"0," * 29 + b"0").strip()  # it serves


def test_kill_9_while_creating_then_while_updating_the_endpoint(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    try:
        _kill_while_deploying(home, "Creating", 0)
        _resume(home)
        _check(home, 1)
        _kill_while_deploying(home, "Updating", 1)
        _resume(home)
        _check(home, 2)
    finally:
        for pid in server_processes(home):
            os.kill(pid, signal.SIGTERM)
        LocalBackend(home).delete_endpoint(ENDPOINT) if _endpoint_status(home) else None
    deadline = time.monotonic() + 10
    while server_processes(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server_processes(home) == []
