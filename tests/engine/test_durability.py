"""Kill -9 the worker process at random moments; every execution must still end exactly as
an uninterrupted run does, and every .sync job must have been created once."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.engine.durability_app import MACHINES, inputs, service

REPO = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/durability"


def _start_all(svc, per_kind: int) -> dict[str, str]:
    arns = {}
    for kind, definition in MACHINES.items():
        machine, _ = svc.machines.create(kind, json.dumps(definition), ROLE, "STANDARD")
        for n in range(per_kind):
            arn = svc.start_execution(machine, f"{kind}-{n}", json.dumps(inputs(kind, n)))
            arns[f"{kind}-{n}"] = arn["executionArn"]
    return arns


def _answer_tokens(svc) -> None:
    from botocore.exceptions import ClientError

    from sagestep.engine import callbacks

    rows = svc.journal.query("SELECT token FROM sfn_task_tokens WHERE status = 'WAITING'")
    for row in rows:
        with contextlib.suppress(ClientError):
            callbacks.send_success(svc.journal, row[0], json.dumps({"approved": True}),
                                   svc.clock.now())


def _create_in_flight(jobs: str) -> bool:
    """A job was created but its reply not yet returned: the worst moment to die."""
    if not os.path.exists(jobs):
        return False
    conn = sqlite3.connect(jobs, timeout=30)
    try:
        if conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'inflight'").fetchone()[0] == 0:
            return False
        found = conn.execute("SELECT COUNT(*) FROM inflight").fetchone()[0] > 0
        conn.execute("DELETE FROM inflight")
        conn.commit()
        return bool(found)
    finally:
        conn.close()


def _outcomes(svc, arns: dict[str, str]) -> dict[str, tuple]:
    out = {}
    for key, arn in arns.items():
        row = svc.journal.one("SELECT status, output, error FROM sfn_executions WHERE arn = ?",
                              (arn,))
        out[key] = (row[0], json.loads(row[1]) if row[1] else None, row[2])
    return out


def _all_done(svc, arns) -> bool:
    return all(s != "RUNNING" for s, _, _ in _outcomes(svc, arns).values())


def _reference(tmp_path: Path, per_kind: int) -> dict[str, tuple]:
    svc = service(str(tmp_path / "ref"), str(tmp_path / "ref-jobs.db"), background=True)
    arns = _start_all(svc, per_kind)
    deadline = time.monotonic() + 60
    while not _all_done(svc, arns) and time.monotonic() < deadline:
        _answer_tokens(svc)
        time.sleep(0.1)
    svc.close()
    return _outcomes(svc, arns)


def test_kill_minus_nine_at_random_moments(tmp_path: Path) -> None:
    per_kind = 2
    expected = _reference(tmp_path, per_kind)
    assert all(s == "SUCCEEDED" for s, _, _ in expected.values()), expected

    home, jobs = str(tmp_path / "home"), str(tmp_path / "jobs.db")
    svc = service(home, jobs, background=False)  # this process never runs executions
    arns = _start_all(svc, per_kind)
    rng = random.Random(int(os.environ.get("SAGESTEP_DURABILITY_SEED", "7")))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    kills = 0
    deadline = time.monotonic() + 150
    while not _all_done(svc, arns) and time.monotonic() < deadline:
        proc = subprocess.Popen([sys.executable, "-m", "tests.engine.durability_app", home, jobs],
                                cwd=REPO, env=env)
        # Short lives first (often dying mid-import or mid-step), then longer and longer ones
        # so that a slow, loaded machine (slow imports) still makes progress.
        life = rng.uniform(0.3, 0.8) if kills < 12 else min(
            10.0, rng.uniform(1.0, 2.5) * 1.25 ** (kills - 12))
        end = time.monotonic() + life
        while time.monotonic() < end and not _create_in_flight(jobs):
            _answer_tokens(svc)
            time.sleep(0.05)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()

    assert _all_done(svc, arns), f"not finished after {kills} kills: {_outcomes(svc, arns)}"
    print(f"durability: {kills} kills")
    assert kills >= 5
    assert _outcomes(svc, arns) == expected
    conn = sqlite3.connect(jobs)
    creates = dict(conn.execute("SELECT name, COUNT(*) FROM creates GROUP BY name").fetchall())
    assert creates == {f"job-sync-{n}": 1 for n in range(per_kind)}
    # History ids are dense and every event chains to an earlier one.
    for arn in arns.values():
        ids = [e.id for e in svc.journal.events(arn)]
        assert ids == list(range(1, len(ids) + 1))
