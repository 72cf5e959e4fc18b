"""Shared SQLite access: one WAL database per workspace, per-component migrations.

Each component (engine, sagemaker, registry, ...) owns its tables and declares them as an
ordered list of migration scripts; :func:`migrate` applies the ones not yet applied,
recorded in ``schema_migrations``. Components never touch each other's tables.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

_BUSY_TIMEOUT_MS = 30_000


def connect(path: Path | str, *, check_same_thread: bool = False) -> sqlite3.Connection:
    """Open the workspace database in WAL mode with a generous busy timeout."""
    conn = sqlite3.connect(
        str(path), timeout=_BUSY_TIMEOUT_MS / 1000, check_same_thread=check_same_thread,
        isolation_level=None,  # explicit BEGIN/COMMIT via transaction()
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the
    # last commits), which is the failure the engine must survive: kill -9 of the worker.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


_migrate_lock = threading.Lock()


def migrate(conn: sqlite3.Connection, component: str, scripts: Sequence[str]) -> None:
    """Apply, in order, the scripts of ``component`` not applied yet (idempotent)."""
    with _migrate_lock, transaction(conn):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " component TEXT NOT NULL, version INTEGER NOT NULL,"
            " PRIMARY KEY (component, version))"
        )
        row = conn.execute(
            "SELECT MAX(version) FROM schema_migrations WHERE component = ?", (component,)
        ).fetchone()
        done = row[0] or 0
        for version, script in enumerate(scripts, start=1):
            if version <= done:
                continue
            for statement in _split(script):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (component, version) VALUES (?, ?)",
                (component, version),
            )


def _split(script: str) -> list[str]:
    # sqlite3.executescript would COMMIT our transaction; split on ';' instead (the
    # migration scripts contain no triggers or string literals with semicolons).
    return [s.strip() for s in script.split(";") if s.strip()]
