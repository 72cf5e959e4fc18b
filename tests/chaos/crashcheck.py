"""Checks after a crash trial: no row RUNNING under a dead owner, no process left behind."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from pathlib import Path

from sagestep.sagemaker.process import alive


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_dead(owner: str | None) -> bool:
    """An engine owner is host:pid:id; on this host, dead when its pid is gone."""
    parts = (owner or "").split(":")
    return len(parts) == 3 and parts[0] == socket.gethostname() and not _pid_alive(int(parts[1]))


def rows_running_under_dead_owners(db_path: Path) -> list[str]:
    """Every row that claims work is in progress for a process that is gone.

    Engine: pooled calls RUNNING and leases of RUNNING executions held by a dead worker.
    SageMaker: jobs InProgress/Stopping whose watching worker is gone (nobody would finish
    them). An empty list is the pass condition of every chaos trial.
    """
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    found: list[str] = []
    try:
        for key, owner in conn.execute("SELECT key, owner FROM sfn_calls WHERE status = 'RUNNING'"):
            if _owner_dead(owner):
                found.append(f"sfn_calls {key} RUNNING under dead {owner}")
        for arn, owner in conn.execute(
                "SELECT q.execution_arn, q.lease_owner FROM sfn_queue q JOIN sfn_executions e"
                " ON e.arn = q.execution_arn WHERE e.status = 'RUNNING'"
                " AND q.lease_owner IS NOT NULL"):
            if _owner_dead(owner):
                found.append(f"sfn_queue {arn} leased by dead {owner}")
        for kind, name, doc, pid, start in conn.execute(
                "SELECT r.kind, r.name, r.doc, s.owner_pid, s.owner_start FROM sm_records r"
                " JOIN sm_runs s ON s.kind = r.kind AND s.name = r.name"):
            status = next((v for k, v in json.loads(doc).items() if k.endswith("JobStatus")), None)
            if status in ("InProgress", "Stopping") and not alive(pid, start):
                found.append(f"{kind} {name} {status} under dead worker pid {pid}")
    finally:
        conn.close()
    return found


def orphan_processes(home: Path) -> list[int]:
    """Live processes that belong to workspace ``home`` (its path in their command line,
    working directory or environment), other than this one."""
    mine, needle = os.getpid(), str(Path(home).resolve())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == mine:
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                continue
            text = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            try:
                text += " " + os.readlink(entry / "cwd")
                text += " " + (entry / "environ").read_bytes().decode(errors="replace")
            except OSError:
                pass
        except (OSError, IndexError):
            continue
        if needle in text:
            found.append(int(entry.name))
    return found
