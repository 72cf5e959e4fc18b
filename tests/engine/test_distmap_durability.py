"""Kill -9 the worker in the middle of a distributed Map over 1,000 S3 objects: the run must
end with every item's result written exactly once (one record per object in the result file,
the manifest listing it) and every item processed (a Lambda call cut by the kill may run again:
Lambda delivery is at-least-once, so the repeats are bounded by the calls in flight per kill)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sagestep.stores.objectstore import LocalObjectStore
from sagestep.workspace import Workspace
from tests.engine.distmap_app import MACHINE, OBJECTS, service

REPO = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/durability"


def _status(svc, arn: str) -> str:
    row = svc.journal.one("SELECT status FROM sfn_executions WHERE arn = ?", (arn,))
    return str(row[0])


def test_kill_minus_nine_in_a_distributed_map(tmp_path: Path) -> None:
    home, processed = str(tmp_path / "home"), str(tmp_path / "processed.db")
    store = LocalObjectStore(Workspace.resolve(home).s3_root)
    for i in range(OBJECTS):
        store.put_bytes("inputs", f"files/{i:04d}.txt", b"x" * (i % 7 + 1))
    svc = service(home, processed, background=False)  # this process never runs executions
    machine, _ = svc.machines.create("files", json.dumps(MACHINE), ROLE, "STANDARD")
    arn = svc.start_execution(machine, "run", "{}")["executionArn"]
    rng = random.Random(int(os.environ.get("SAGESTEP_DURABILITY_SEED", "11")))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}
    kills = mid = 0  # mid: kills that landed while the items were being processed
    deadline = time.monotonic() + 240
    while _status(svc, arn) == "RUNNING" and time.monotonic() < deadline:
        proc = subprocess.Popen([sys.executable, "-m", "tests.engine.distmap_app", home,
                                 processed], cwd=REPO, env=env)
        # The first six lives die at a random point of the map's progress (a random number of
        # further items processed), so kills land mid-map however fast the machine is; later
        # lives run longer and longer until the map completes.
        early = kills < 6
        life = 60.0 if early else min(30.0, 2.5 * 1.5 ** (kills - 6))
        target = min(_processed(processed) + rng.randint(20, 200), OBJECTS - 1)
        end = time.monotonic() + life
        while time.monotonic() < end and proc.poll() is None:
            if early and _processed(processed) >= target:
                break
            time.sleep(0.02)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
            mid += 0 < _processed(processed) < OBJECTS
        proc.wait()
        if kills >= 12 and _status(svc, arn) == "RUNNING" and _processed(processed) == 0:
            break  # no progress at all: fail below with the status
    assert _status(svc, arn) == "SUCCEEDED", (kills, _status(svc, arn))
    assert mid >= 2, f"only {mid} of {kills} kills landed in the middle of the map"
    out = json.loads(svc.journal.one("SELECT output FROM sfn_executions WHERE arn = ?",
                                     (arn,))[0])
    manifest = json.loads(store.get_bytes("outputs", out["ResultWriterDetails"]["Key"]))
    assert manifest["ResultFiles"]["FAILED"] == [] and manifest["ResultFiles"]["PENDING"] == []
    [result_file] = manifest["ResultFiles"]["SUCCEEDED"]
    records = json.loads(store.get_bytes("outputs", result_file["Key"]))
    keys = [json.loads(r["Output"])["key"] for r in records]
    assert sorted(keys) == [f"files/{i:04d}.txt" for i in range(OBJECTS)]  # each exactly once
    assert all(json.loads(r["Output"])["doubled"] == 2 * json.loads(r["Input"])["size"]
               for r in records)
    conn = sqlite3.connect(processed)
    distinct, total = conn.execute("SELECT COUNT(DISTINCT key), COUNT(*) FROM processed").fetchone()
    assert distinct == OBJECTS
    assert total <= OBJECTS + kills * MACHINE["States"]["M"]["MaxConcurrency"]
    print(f"distributed map durability: {kills} kills ({mid} mid-map), "
          f"{total - OBJECTS} repeated calls")
    svc.close()


def _processed(path: str) -> int:
    if not os.path.exists(path):
        return 0
    conn = sqlite3.connect(path, timeout=30)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM processed").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()
