"""Admission of local jobs: a persisted first-in-first-out queue in front of the slots.

``sm_runs`` holds one row per job with its ``state``: ``queued`` (waiting for capacity),
``running`` (admitted: a worker runs or watches it) or ``done``. Every change happens in one
``BEGIN IMMEDIATE`` transaction over the shared workspace database, so two processes never
admit past the capacity, and the queue survives any process: whichever live worker next
submits, finishes or polls a job admits the head of the queue. Jobs start in queue order
(a big job at the head is not overtaken by small ones behind it).

A queued job is InProgress, as on AWS while instances are being found; its record carries
the reason (``SagestepLocal.WaitingFor``; training jobs also in the Starting transition's
StatusMessage).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sagestep.sagemaker.capacity import Capacity, rss_mb

MIGRATION = """
    ALTER TABLE sm_runs ADD COLUMN state TEXT NOT NULL DEFAULT 'running';
    ALTER TABLE sm_runs ADD COLUMN slots INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE sm_runs ADD COLUMN queued_seq INTEGER;
    CREATE INDEX sm_runs_state ON sm_runs (state, queued_seq)
"""
_ACTIVE_STATUS = """COALESCE(json_extract(d.doc, '$.TrainingJobStatus'),
    json_extract(d.doc, '$.ProcessingJobStatus'), json_extract(d.doc, '$.TransformJobStatus'))"""
STARTING_MESSAGE = "Preparing the instances for training"


@dataclass(frozen=True)
class Decision:
    """What one admission pass decided: jobs to start, and queued jobs stopped meanwhile."""

    start: tuple[tuple[str, str], ...] = ()
    stopped: tuple[tuple[str, str], ...] = ()


def used_slots(conn: sqlite3.Connection) -> int:
    """Slots held by admitted jobs that are still InProgress/Stopping."""
    row = conn.execute(
        f"SELECT COALESCE(SUM(r.slots), 0) FROM sm_runs r JOIN sm_records d"
        f" ON d.kind = r.kind AND d.name = r.name"
        f" WHERE r.state = 'running' AND {_ACTIVE_STATUS} IN ('InProgress', 'Stopping')"
    ).fetchone()
    return int(row[0])


def endpoint_memory_mb(conn: sqlite3.Connection) -> int:
    """Memory held by the workspace's live endpoint servers (they count against capacity)."""
    try:
        pids = [r[0] for r in conn.execute("SELECT pid FROM sm_endpoint_servers")]
    except sqlite3.OperationalError:  # no endpoint was ever created in this workspace
        return 0
    return sum(rss_mb(int(pid)) for pid in pids)


def admit(conn: sqlite3.Connection, capacity: Capacity, owner: tuple[int, str]) -> Decision:
    """Admit queued jobs in order while they fit (call inside a transaction)."""
    total = capacity.total(endpoint_memory_mb(conn))
    used = used_slots(conn)
    start: list[tuple[str, str]] = []
    stopped: list[tuple[str, str]] = []
    rows = conn.execute(
        f"SELECT r.kind, r.name, r.slots, {_ACTIVE_STATUS} AS status FROM sm_runs r"
        " JOIN sm_records d ON d.kind = r.kind AND d.name = r.name"
        " WHERE r.state = 'queued' ORDER BY r.queued_seq"
    ).fetchall()
    blocked = False
    for kind, name, slots, status in rows:
        if status != "InProgress":  # stopped (or deleted) while it waited: never starts
            _set_state(conn, kind, name, "done", owner)
            stopped.append((kind, name))
            continue
        if blocked or used + min(slots, total) > total:
            blocked = True  # first in, first out: nothing overtakes the head of the queue
            _note(conn, kind, name, _waiting(used, total, slots))
            continue
        used += min(slots, total)
        _set_state(conn, kind, name, "running", owner)
        _note(conn, kind, name, None)
        start.append((kind, name))
    return Decision(tuple(start), tuple(stopped))


def enqueue(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Insert (or replace) the job's row as the last of the queue (inside a transaction)."""
    seq = conn.execute("SELECT COALESCE(MAX(queued_seq), 0) + 1 FROM sm_runs").fetchone()[0]
    conn.execute(
        "INSERT OR REPLACE INTO sm_runs (kind, name, owner_pid, owner_start, sandbox, workdir,"
        " log_stream, state, slots, queued_seq) VALUES (?,?,?,?,?,?,?, 'queued', ?, ?)",
        (row["kind"], row["name"], row["owner_pid"], row["owner_start"], row["sandbox"],
         row["workdir"], row["log_stream"], row["slots"], seq),
    )


def has_queued(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sm_runs WHERE state = 'queued' LIMIT 1").fetchone() is not None


def release(conn: sqlite3.Connection, kind: str, name: str) -> None:
    """The job's process ended and its record is final: its slots are free."""
    conn.execute("UPDATE sm_runs SET state = 'done' WHERE kind = ? AND name = ?", (kind, name))


def _set_state(conn: sqlite3.Connection, kind: str, name: str, state: str,
               owner: tuple[int, str]) -> None:
    # Admission hands the job to this worker: it runs the job from here on.
    conn.execute("UPDATE sm_runs SET state = ?, owner_pid = ?, owner_start = ? WHERE kind = ?"
                 " AND name = ?", (state, owner[0], owner[1], kind, name))


def _waiting(used: int, total: int, slots: int) -> str:
    return (f"Waiting for local capacity: {used} of {total} slots in use, this job needs "
            f"{min(slots, total)} (sagestep capacity shows and sets the slots)")


def _note(conn: sqlite3.Connection, kind: str, name: str, message: str | None) -> None:
    """Write (or clear) the waiting message into the job record, in the caller's transaction."""
    row = conn.execute("SELECT doc FROM sm_records WHERE kind = ? AND name = ?",
                       (kind, name)).fetchone()
    if row is None:
        return
    doc: dict[str, Any] = json.loads(row[0])
    local = doc.setdefault("SagestepLocal", {})
    if local.get("WaitingFor") == message:
        return
    if message is None:
        local.pop("WaitingFor", None)
    else:
        local["WaitingFor"] = message
    transitions = doc.get("SecondaryStatusTransitions") or []
    if transitions and transitions[-1].get("Status") == "Starting":
        transitions[-1]["StatusMessage"] = message or STARTING_MESSAGE
    conn.execute("UPDATE sm_records SET doc = ? WHERE kind = ? AND name = ?",
                 (json.dumps(doc), kind, name))


def waiting_for(records: Any, job: str) -> str | None:
    """The message of job ``job`` queued for local capacity (None if it is not queued)."""
    for kind in ("training-job", "processing-job", "transform-job"):
        doc = records.get(kind, job)
        if doc is not None:
            found = (doc.get("SagestepLocal") or {}).get("WaitingFor")
            return str(found) if found else None
    return None


Resolver = Callable[[str, str], Any]
"""(kind, name) -> the runner's JobDefinition of a stored job, or None."""
