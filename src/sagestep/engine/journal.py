"""The engine's durable journal: state machines, executions, history, queue, tokens (SQLite).

Every write that moves an execution forward goes through :meth:`Journal.commit`, one
transaction holding the new history events, the rows of the threads that changed, the
execution's snapshot header and its next due time,
so a crash leaves either all of a step or none of it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagestep.engine import schema
from sagestep.engine.history import Event, dumps_details, loads_details
from sagestep.engine.threads import ThreadChanges
from sagestep.stores.sqlite import connect, migrate, transaction

LEASE_SECONDS = 60.0


@dataclass(frozen=True)
class Ending:
    """How an execution closed."""

    status: str
    output: str | None = None
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True)
class NewToken:
    token: str
    execution_arn: str


class Journal:
    """Typed access to the engine tables; thread-safe (one connection, one lock)."""

    def __init__(self, path: Path | str) -> None:
        self._conn = connect(path)
        self._lock = threading.RLock()
        migrate(self._conn, schema.COMPONENT, schema.SCRIPTS)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction under the journal's lock."""
        with self._lock, transaction(self._conn) as conn:
            yield conn

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    # -- history ---------------------------------------------------------------------------

    def events(self, execution_arn: str, after: int = 0, limit: int = -1,
               reverse: bool = False) -> list[Event]:
        order = "DESC" if reverse else "ASC"
        cmp = "<" if reverse else ">"
        rows = self.query(
            f"SELECT id, type, ts, previous, details FROM sfn_events WHERE execution_arn = ?"
            f" AND id {cmp} ? ORDER BY id {order} LIMIT ?",
            (execution_arn, after, limit),
        )
        return [Event(r[0], r[1], r[2], r[3], loads_details(r[4])) for r in rows]

    @staticmethod
    def insert_events(conn: sqlite3.Connection, execution_arn: str,
                      events: Sequence[Event]) -> None:
        conn.executemany(
            "INSERT INTO sfn_events (execution_arn, id, type, ts, previous, details)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(execution_arn, e.id, e.type, e.timestamp, e.previous, dumps_details(e.details))
             for e in events],
        )

    # -- threads -----------------------------------------------------------------------------

    def load_threads(self, arn: str) -> tuple[list[tuple[int, str]],
                                              list[tuple[int, int, str | None, str | None, int]]]:
        """The thread rows (by id) and slot rows of ``arn``."""
        rows = self.query("SELECT id, data FROM sfn_threads WHERE execution_arn = ? ORDER BY id",
                          (arn,))
        slots = self.query("SELECT thread_id, idx, item, result, ok FROM sfn_slots"
                           " WHERE execution_arn = ?", (arn,))
        return ([(r[0], r[1]) for r in rows], [(r[0], r[1], r[2], r[3], r[4]) for r in slots])

    @staticmethod
    def write_threads(conn: sqlite3.Connection, arn: str, changes: ThreadChanges) -> None:
        conn.executemany("DELETE FROM sfn_threads WHERE execution_arn = ? AND id = ?",
                         [(arn, tid) for tid in changes.deletes])
        conn.executemany("INSERT OR REPLACE INTO sfn_threads (execution_arn, id, data)"
                         " VALUES (?, ?, ?)", [(arn, tid, text) for tid, text in changes.upserts])
        conn.executemany("DELETE FROM sfn_slots WHERE execution_arn = ? AND thread_id = ?",
                         [(arn, tid) for tid in changes.slot_clears])
        conn.executemany("INSERT OR REPLACE INTO sfn_slots (execution_arn, thread_id, idx, item,"
                         " result, ok) VALUES (?, ?, ?, ?, ?, ?)",
                         [(arn, *row) for row in changes.slot_rows])
        conn.executemany("UPDATE sfn_slots SET result = ?, ok = ? WHERE execution_arn = ?"
                         " AND thread_id = ? AND idx = ?",
                         [(text, ok, arn, tid, idx) for text, ok, tid, idx in changes.results])

    # -- progress ----------------------------------------------------------------------------

    def commit(self, arn: str, owner: str, events: Sequence[Event], snapshot: str | None,
               next_event: int, due: float | None, ending: Ending | None, now: float,
               tokens: Sequence[NewToken] = (), token_updates: Sequence[tuple[str, str]] = (),
               force: bool = False, changes: ThreadChanges | None = None) -> str:
        """Persist one step of ``arn``.

        Returns ``"ok"``, ``"lost"`` (nothing written: ``owner`` no longer holds the lease) or
        ``"stop"`` (written, but StopExecution was requested meanwhile).
        """
        with self.tx() as conn:
            held = conn.execute(
                "SELECT stop_requested FROM sfn_queue WHERE execution_arn = ? AND lease_owner = ?",
                (arn, owner),
            ).fetchone()
            if held is None:
                return "lost"
            # Each step renews the lease, so a long pass keeps its execution.
            conn.execute("UPDATE sfn_queue SET lease_expires = ? WHERE execution_arn = ?",
                         (now + LEASE_SECONDS, arn))
            self.insert_events(conn, arn, events)
            for tok in tokens:
                conn.execute(
                    "INSERT OR IGNORE INTO sfn_task_tokens (token, execution_arn, status, created)"
                    " VALUES (?, ?, 'WAITING', ?)", (tok.token, tok.execution_arn, now))
            conn.executemany("UPDATE sfn_task_tokens SET status = ? WHERE token = ?",
                             [(status, token) for token, status in token_updates])
            if ending is None:
                if changes is not None:
                    self.write_threads(conn, arn, changes)
                conn.execute(
                    "UPDATE sfn_executions SET snapshot = ?, next_event = ? WHERE arn = ?",
                    (snapshot, next_event, arn))
                # A wake-up (callback, stop, pooled call) that arrived during this pass must
                # not be lost: it stays set, for every commit of the pass, until the next claim.
                conn.execute(
                    "UPDATE sfn_queue SET due = CASE WHEN woken IS NULL THEN ?"
                    " ELSE MIN(COALESCE(?, woken), woken) END"
                    " WHERE execution_arn = ?", (due, due, arn))
            else:
                self.close_execution(conn, arn, ending, now, snapshot, next_event)
            return "stop" if held[0] and not force and ending is None else "ok"

    def stop_request(self, arn: str) -> tuple[bool, str | None, str | None]:
        """(requested, error, cause) of a StopExecution waiting to be applied to ``arn``."""
        row = self.one("SELECT stop_requested, stop_error, stop_cause FROM sfn_queue"
                       " WHERE execution_arn = ?", (arn,))
        return (False, None, None) if row is None else (bool(row[0]), row[1], row[2])

    @staticmethod
    def close_execution(conn: sqlite3.Connection, arn: str, ending: Ending, now: float,
                        snapshot: str | None, next_event: int) -> None:
        conn.execute(
            "UPDATE sfn_executions SET status = ?, output = ?, error = ?, cause = ?,"
            " stopped = ?, snapshot = ?, next_event = ? WHERE arn = ?",
            (ending.status, ending.output, ending.error, ending.cause, now, snapshot,
             next_event, arn))
        conn.execute("DELETE FROM sfn_queue WHERE execution_arn = ?", (arn,))
        # A closed execution keeps only its header (failed_at, for redrive).
        conn.execute("DELETE FROM sfn_threads WHERE execution_arn = ?", (arn,))
        conn.execute("DELETE FROM sfn_slots WHERE execution_arn = ?", (arn,))
        conn.execute("DELETE FROM sfn_calls WHERE execution_arn = ?", (arn,))
        conn.execute(
            "UPDATE sfn_task_tokens SET status = 'CLOSED' WHERE execution_arn = ?"
            " AND status IN ('WAITING', 'SUCCEEDED', 'FAILED')", (arn,))

    def fail_internal(self, arn: str, owner: str, exc: BaseException, now: float) -> None:
        """Close ``arn`` as FAILED after an engine bug, so it does not loop forever."""
        with self.tx() as conn:
            row = conn.execute("SELECT next_event, snapshot FROM sfn_executions WHERE arn = ?"
                               " AND status = 'RUNNING'", (arn,)).fetchone()
            if row is None:
                return
            cause = f"Internal error in the local engine: {type(exc).__name__}: {exc}"
            event = Event(row[0], "ExecutionFailed", now, row[0] - 1,
                          {"error": "States.Runtime", "cause": cause})
            self.insert_events(conn, arn, [event])
            self.close_execution(conn, arn, Ending("FAILED", None, "States.Runtime", cause), now,
                                 row[1], row[0] + 1)

    # -- queue and leases ----------------------------------------------------------------------

    def claim(self, owner: str, now: float, lease_s: float, limit: int,
              dead_owners: Sequence[str] = ()) -> list[str]:
        """Lease up to ``limit`` due executions not leased by a live worker."""
        with self.tx() as conn:
            marks = ",".join("?" * len(dead_owners)) or "''"
            rows = conn.execute(
                "SELECT execution_arn FROM sfn_queue WHERE due <= ? AND (lease_owner IS NULL"
                f" OR lease_expires < ? OR lease_owner = ? OR lease_owner IN ({marks}))"
                " ORDER BY due LIMIT ?",
                (now, now, owner, *dead_owners, limit),
            ).fetchall()
            arns = [r[0] for r in rows]
            # The pass about to run reads every wake-up that came before this claim.
            conn.executemany(
                "UPDATE sfn_queue SET lease_owner = ?, lease_expires = ?, woken = NULL"
                " WHERE execution_arn = ?",
                [(owner, now + lease_s, a) for a in arns])
            return arns

    def call_owners(self) -> list[str]:
        """Owners of pooled calls still RUNNING (to find those whose process died)."""
        rows = self.query("SELECT DISTINCT owner FROM sfn_calls WHERE status = 'RUNNING'")
        return [r[0] for r in rows]

    def wake_orphaned_calls(self, dead_owners: Sequence[str], now: float) -> None:
        """Make due now every execution with a call RUNNING under a dead owner.

        Such a call waits with no timer (a Lambda without TimeoutSeconds), so nothing else
        would ever look at it again; the pass re-submits it (at-least-once, as on AWS).
        """
        if not dead_owners:
            return
        marks = ",".join("?" * len(dead_owners))
        with self.tx() as conn:
            arns = [r[0] for r in conn.execute(
                f"SELECT DISTINCT execution_arn FROM sfn_calls WHERE status = 'RUNNING'"
                f" AND owner IN ({marks})", tuple(dead_owners)).fetchall()]
            for arn in arns:
                self.wake(conn, arn, now)

    def lease_holders(self) -> list[str]:
        rows = self.query("SELECT DISTINCT lease_owner FROM sfn_queue WHERE lease_owner IS NOT NULL")
        return [r[0] for r in rows]

    def release(self, arn: str, owner: str) -> None:
        with self.tx() as conn:
            conn.execute(
                "UPDATE sfn_queue SET lease_owner = NULL, lease_expires = NULL"
                " WHERE execution_arn = ? AND lease_owner = ?", (arn, owner))

    def next_due(self) -> float | None:
        row = self.one("SELECT MIN(due) FROM sfn_queue WHERE lease_owner IS NULL")
        return None if row is None or row[0] is None else float(row[0])

    def wake(self, conn: sqlite3.Connection, arn: str, now: float) -> None:
        """Make ``arn`` due now (a callback or a stop request arrived)."""
        conn.execute(
            "UPDATE sfn_queue SET woken = ?, due = CASE WHEN due IS NULL OR due > ? THEN ?"
            " ELSE due END WHERE execution_arn = ?", (now, now, now, arn))

    # -- tokens --------------------------------------------------------------------------------

    def token(self, token: str) -> sqlite3.Row | None:
        return self.one(
            "SELECT token, execution_arn, status, output, error, cause, heartbeat"
            " FROM sfn_task_tokens WHERE token = ?", (token,))

    # -- map runs ------------------------------------------------------------------------------

    def put_map_run(self, arn: str, execution_arn: str, data: str) -> None:
        with self.tx() as conn:
            conn.execute("INSERT INTO sfn_map_runs (arn, execution_arn, data) VALUES (?, ?, ?)"
                         " ON CONFLICT (arn) DO UPDATE SET data = excluded.data",
                         (arn, execution_arn, data))

    def map_runs(self, execution_arn: str | None = None,
                 arn: str | None = None) -> list[sqlite3.Row]:
        if arn is not None:
            return self.query("SELECT data FROM sfn_map_runs WHERE arn = ?", (arn,))
        return self.query("SELECT data FROM sfn_map_runs WHERE execution_arn = ?"
                          " ORDER BY rowid", (execution_arn,))

    # -- outbox / lambdas ---------------------------------------------------------------------

    def add_outbox(self, resource: str, execution_arn: str | None, payload: str,
                   now: float) -> int:
        with self.tx() as conn:
            cur = conn.execute(
                "INSERT INTO sfn_outbox (resource, execution_arn, payload, created)"
                " VALUES (?, ?, ?, ?)", (resource, execution_arn, payload, now))
            return int(cur.lastrowid or 0)
