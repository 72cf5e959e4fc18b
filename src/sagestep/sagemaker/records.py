"""SQLite record store of the local SageMaker service: one JSON document per resource.

A document is the resource's Describe* response as stored: timestamps are epoch floats (keys
ending in ``Time`` or named ``Timestamp``), turned into datetimes by :func:`response`. Runtime
bookkeeping (pid, sandbox) lives in a separate table so documents stay AWS-shaped.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sagestep.clock import utc
from sagestep.errors import client_error
from sagestep.sagemaker.admission import MIGRATION as ADMISSION_MIGRATION
from sagestep.stores.sqlite import connect, migrate, transaction

T = TypeVar("T")

COMPONENT = "sagemaker"
MIGRATIONS = [
    """
    CREATE TABLE sm_records (
        kind TEXT NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL,
        doc TEXT NOT NULL, PRIMARY KEY (kind, name));
    CREATE INDEX sm_records_seq ON sm_records (kind, seq);
    CREATE TABLE sm_runs (
        kind TEXT NOT NULL, name TEXT NOT NULL, owner_pid INTEGER, owner_start TEXT,
        pid INTEGER, pid_start TEXT, sandbox TEXT, workdir TEXT, log_stream TEXT,
        PRIMARY KEY (kind, name));
    CREATE TABLE sm_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, detail_type TEXT NOT NULL,
        resources TEXT NOT NULL, detail TEXT NOT NULL)
    """,
    ADMISSION_MIGRATION,
]


class RecordStore:
    """Resource documents keyed by (kind, name), shared by every process of a workspace."""

    def __init__(self, db_path: Path) -> None:
        self._conn = connect(db_path)
        self._lock = threading.RLock()
        migrate(self._conn, COMPONENT, MIGRATIONS)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """The shared connection, serialised across this process's threads."""
        with self._lock:
            yield self._conn

    def insert(self, kind: str, name: str, doc: dict[str, Any], operation: str,
               run: dict[str, Any] | None = None,
               then: Callable[[sqlite3.Connection], T] | None = None) -> T | None:
        """Store a new resource; an existing name is AWS's ResourceInUse. ``run`` (a job's
        ``sm_runs`` row) is written in the same transaction, so no job record ever exists
        without the row that says which worker runs it."""
        with self._lock, transaction(self._conn):
            if self._conn.execute(
                "SELECT 1 FROM sm_records WHERE kind=? AND name=?", (kind, name)
            ).fetchone():
                raise client_error(
                    "ResourceInUse", f"{_label(kind)} with name {name} already exists.", operation
                )
            seq = self._conn.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM sm_records WHERE kind=?", (kind,)
            ).fetchone()[0]
            self._conn.execute(
                "INSERT INTO sm_records (kind, name, seq, doc) VALUES (?, ?, ?, ?)",
                (kind, name, seq, json.dumps(doc)),
            )
            if run is not None:
                cols = ", ".join(["kind", "name", *run])
                self._conn.execute(
                    f"INSERT OR REPLACE INTO sm_runs ({cols}) VALUES ({', '.join('?' * (len(run) + 2))})",
                    (kind, name, *run.values()))
            # ``then`` runs in the same transaction (a job's queue row and admission).
            return then(self._conn) if then is not None else None

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc FROM sm_records WHERE kind=? AND name=?", (kind, name)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def update(self, kind: str, name: str, fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Read-modify-write ``fn(doc)`` in one transaction; returns the new document."""
        with self._lock, transaction(self._conn):
            row = self._conn.execute(
                "SELECT doc FROM sm_records WHERE kind=? AND name=?", (kind, name)
            ).fetchone()
            if row is None:
                raise KeyError(f"{kind} {name}")
            doc: dict[str, Any] = json.loads(row[0])
            fn(doc)
            self._conn.execute(
                "UPDATE sm_records SET doc=? WHERE kind=? AND name=?",
                (json.dumps(doc), kind, name),
            )
            return doc

    def replace(self, kind: str, name: str, doc: dict[str, Any]) -> None:
        def swap(d: dict[str, Any]) -> None:
            d.clear()
            d.update(doc)

        self.update(kind, name, swap)

    def delete(self, kind: str, name: str) -> bool:
        with self._lock, transaction(self._conn):
            cur = self._conn.execute(
                "DELETE FROM sm_records WHERE kind=? AND name=?", (kind, name)
            )
            self._conn.execute("DELETE FROM sm_runs WHERE kind=? AND name=?", (kind, name))
        return cur.rowcount > 0

    def list(self, kind: str) -> list[dict[str, Any]]:
        """All documents of ``kind`` in creation order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc FROM sm_records WHERE kind=? ORDER BY seq", (kind,)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]


def _label(kind: str) -> str:
    words = kind.replace("-", " ").split()
    return " ".join(w.capitalize() for w in words)


def to_boto(value: Any, key: str = "") -> Any:
    """Stored JSON -> boto3 shapes: epoch numbers under *Time/Timestamp keys become datetimes."""
    if isinstance(value, dict):
        return {k: to_boto(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [to_boto(v, key) for v in value]
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and (key.endswith("Time") or key in ("Timestamp", "TimeAfter", "TimeBefore"))
    ):
        return utc(float(value))
    return value


def response(doc: dict[str, Any], status: int = 200) -> dict[str, Any]:
    """A stored document as boto3 returns it, with ResponseMetadata."""
    out = to_boto(doc)
    out["ResponseMetadata"] = {"HTTPStatusCode": status, "RetryAttempts": 0}
    return dict(out)
