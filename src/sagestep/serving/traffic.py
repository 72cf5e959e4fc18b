"""Per-generation traffic counters: requests, errors (5xx / model errors) and latency.

Counted only while an endpoint routes two generations (a blue/green rollout) and forgotten
when its next rollout begins, so the table holds one rollout's counts per endpoint.

Every runtime client counts its invocations in memory per (endpoint, generation) and
appends one row per generation to ``sm_endpoint_traffic`` at most every FLUSH_SECONDS (or
FLUSH_REQUESTS requests). Why batches in SQLite rather than one write per request: the
deployment that reads them (serving.rollout) may run in another process (the server cycle,
a DescribeEndpoint), so the counts must be shared, but a write per invocation would cost
the hot path a transaction; a batch row costs one insert per flush and the rollout sums
rows since its step began (each row carries the batch's p99, the rollout takes the max).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from sagestep.stores.sqlite import connect, migrate, transaction

COMPONENT = "sagemaker-traffic"
MIGRATIONS = [
    """
    CREATE TABLE sm_endpoint_traffic (
        endpoint TEXT NOT NULL, generation INTEGER NOT NULL, at REAL NOT NULL,
        requests INTEGER NOT NULL, errors INTEGER NOT NULL, p99_ms REAL NOT NULL);
    CREATE INDEX sm_endpoint_traffic_gen ON sm_endpoint_traffic (endpoint, generation, at)
    """,
]
FLUSH_SECONDS = 0.2
FLUSH_REQUESTS = 200


def _p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


class TrafficTable:
    """The persisted counters of one workspace database."""

    def __init__(self, db_path: Path) -> None:
        self._conn = connect(db_path)
        self._lock = threading.Lock()
        migrate(self._conn, COMPONENT, MIGRATIONS)

    def append(self, rows: list[tuple[str, int, float, int, int, float]]) -> None:
        with self._lock, transaction(self._conn):
            self._conn.executemany("INSERT INTO sm_endpoint_traffic VALUES (?, ?, ?, ?, ?, ?)",
                                   rows)

    def metrics(self, endpoint: str, generation: int, since: float) -> dict[str, float]:
        """requests, errors and p99_ms of ``generation`` counted since ``since``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(errors), 0), MAX(p99_ms)"
                " FROM sm_endpoint_traffic WHERE endpoint=? AND generation=? AND at>=?",
                (endpoint, generation, since)).fetchone()
        out = {"requests": float(row[0]), "errors": float(row[1])}
        if row[2] is not None:
            out["p99_ms"] = float(row[2])
        return out

    def forget(self, endpoint: str) -> None:
        with self._lock, transaction(self._conn):
            self._conn.execute("DELETE FROM sm_endpoint_traffic WHERE endpoint=?", (endpoint,))


class Meter:
    """In-memory counts of one process, flushed to a :class:`TrafficTable` in batches."""

    def __init__(self, table: Callable[[], TrafficTable], now: Callable[[], float]) -> None:
        self._make, self._now = table, now
        self._table: TrafficTable | None = None
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], list[float]] = {}  # requests, errors, latencies...
        self._pending = 0
        self._flushed = time.monotonic()

    @property
    def pending(self) -> int:
        """Requests counted and not yet flushed."""
        return self._pending

    def record(self, endpoint: str, generation: int, error: bool, seconds: float) -> None:
        with self._lock:
            entry = self._counts.setdefault((endpoint, generation), [0, 0])
            entry[0] += 1
            entry[1] += error
            entry.append(seconds * 1000)
            self._pending += 1
            due = (self._pending >= FLUSH_REQUESTS
                   or time.monotonic() - self._flushed > FLUSH_SECONDS)
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the counts gathered so far (one row per generation)."""
        with self._lock:
            counts, self._counts, self._pending = self._counts, {}, 0
            self._flushed = time.monotonic()
        if not counts:
            return
        at = self._now()
        if self._table is None:
            self._table = self._make()
        self._table.append([(e, g, at, int(c[0]), int(c[1]), _p99(c[2:]))
                              for (e, g), c in counts.items()])
