"""Where each endpoint's variants listen: the routing table every process of a workspace reads.

One row per (endpoint, variant, generation) naming the model server's port and pid. An update swaps
all rows of an endpoint in one transaction, so an invocation sees either the old fleet or
the new one, never a mix; a blue/green rollout (serving.rollout) routes both generations
with weights that :meth:`RouteTable.reweigh` moves in one transaction. Rows exist only while the endpoint can be invoked.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sagestep.stores.sqlite import connect, migrate, transaction

COMPONENT = "sagemaker-serving"
MIGRATIONS = [
    """
    CREATE TABLE sm_endpoint_routes (
        endpoint TEXT NOT NULL, variant TEXT NOT NULL, generation INTEGER NOT NULL,
        port INTEGER NOT NULL, pid INTEGER NOT NULL, pid_start TEXT NOT NULL,
        weight REAL NOT NULL, workdir TEXT NOT NULL, PRIMARY KEY (endpoint, variant));
    CREATE TABLE sm_endpoint_deploys (
        endpoint TEXT PRIMARY KEY, generation INTEGER NOT NULL, config TEXT NOT NULL,
        owner_pid INTEGER NOT NULL, owner_start TEXT NOT NULL)
    """,
    # Every started model server, routed or not, so that any process can find and stop the
    # ones a dead worker started but never routed (issue 16: one live generation per variant).
    """
    CREATE TABLE sm_endpoint_servers (
        endpoint TEXT NOT NULL, variant TEXT NOT NULL, generation INTEGER NOT NULL,
        port INTEGER NOT NULL, pid INTEGER NOT NULL, pid_start TEXT NOT NULL,
        workdir TEXT NOT NULL, PRIMARY KEY (endpoint, variant, generation))
    """,
    # Blue/green traffic shifting (issue 10): a variant may be routed to two generations at
    # once, each with its share of the variant's weight. Same columns, wider key.
    """
    CREATE TABLE sm_endpoint_routes_v2 (
        endpoint TEXT NOT NULL, variant TEXT NOT NULL, generation INTEGER NOT NULL,
        port INTEGER NOT NULL, pid INTEGER NOT NULL, pid_start TEXT NOT NULL,
        weight REAL NOT NULL, workdir TEXT NOT NULL, PRIMARY KEY (endpoint, variant, generation));
    INSERT INTO sm_endpoint_routes_v2 SELECT * FROM sm_endpoint_routes;
    DROP TABLE sm_endpoint_routes;
    ALTER TABLE sm_endpoint_routes_v2 RENAME TO sm_endpoint_routes
    """,
]


@dataclass(frozen=True)
class Route:
    """One variant's live model server."""

    endpoint: str
    variant: str
    generation: int
    port: int
    pid: int
    pid_start: str
    weight: float
    workdir: str


class RouteTable:
    """The routes and deployment owners of one workspace database."""

    def __init__(self, db_path: Path) -> None:
        self._conn = connect(db_path)
        self._lock = threading.Lock()
        migrate(self._conn, COMPONENT, MIGRATIONS)

    def routes(self, endpoint: str) -> list[Route]:
        """The live variants of ``endpoint`` (empty when it cannot be invoked)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT endpoint, variant, generation, port, pid, pid_start, weight, workdir"
                " FROM sm_endpoint_routes WHERE endpoint=? ORDER BY variant", (endpoint,)
            ).fetchall()
        return [Route(*row) for row in rows]

    def switch(self, endpoint: str, routes: Sequence[Route]) -> None:
        """Replace every route of ``endpoint`` atomically."""
        with self._lock, transaction(self._conn):
            self._conn.execute("DELETE FROM sm_endpoint_routes WHERE endpoint=?", (endpoint,))
            self._conn.executemany(
                "INSERT INTO sm_endpoint_routes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(r.endpoint, r.variant, r.generation, r.port, r.pid, r.pid_start, r.weight,
                  r.workdir) for r in routes],
            )

    def add(self, routes: Sequence[Route]) -> None:
        """Route ``routes`` next to the live ones (a new generation's share)."""
        with self._lock, transaction(self._conn):
            self._conn.executemany(
                "INSERT OR REPLACE INTO sm_endpoint_routes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(r.endpoint, r.variant, r.generation, r.port, r.pid, r.pid_start, r.weight,
                  r.workdir) for r in routes],
            )

    def reweigh(self, endpoint: str, weights: dict[tuple[str, int], float]) -> None:
        """Set the weight of each (variant, generation) route of ``endpoint`` atomically."""
        with self._lock, transaction(self._conn):
            self._conn.executemany(
                "UPDATE sm_endpoint_routes SET weight=? WHERE endpoint=? AND variant=?"
                " AND generation=?",
                [(w, endpoint, v, g) for (v, g), w in weights.items()])

    def set_config(self, endpoint: str, config: str) -> None:
        """Record ``config`` as the endpoint's deployed config (after a rollback)."""
        with self._lock, transaction(self._conn):
            self._conn.execute("UPDATE sm_endpoint_deploys SET config=? WHERE endpoint=?",
                               (config, endpoint))

    def claim(self, endpoint: str, config: str, owner: tuple[int, str]) -> int:
        """Record ``owner`` (pid, start) as deploying ``config``; returns a new generation."""
        with self._lock, transaction(self._conn):
            row = self._conn.execute(
                "SELECT generation FROM sm_endpoint_deploys WHERE endpoint=?", (endpoint,)
            ).fetchone()
            generation = (row[0] if row else 0) + 1
            self._conn.execute(
                "INSERT OR REPLACE INTO sm_endpoint_deploys VALUES (?, ?, ?, ?, ?)",
                (endpoint, generation, config, owner[0], owner[1]),
            )
        return generation

    def deployment(self, endpoint: str) -> tuple[str, int, str] | None:
        """(config, owner pid, owner start) of the last deployment of ``endpoint``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT config, owner_pid, owner_start FROM sm_endpoint_deploys WHERE endpoint=?",
                (endpoint,),
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def add_server(self, route: Route) -> None:
        """Record a started server (routed or not yet)."""
        with self._lock, transaction(self._conn):
            self._conn.execute(
                "INSERT OR REPLACE INTO sm_endpoint_servers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (route.endpoint, route.variant, route.generation, route.port, route.pid,
                 route.pid_start, route.workdir))

    def servers(self, endpoint: str | None = None) -> list[Route]:
        """Recorded servers (of ``endpoint``, or all), weight 0 as they may be unrouted."""
        query = ("SELECT endpoint, variant, generation, port, pid, pid_start, 0.0, workdir"
                 " FROM sm_endpoint_servers")
        args: tuple[str, ...] = ()
        if endpoint is not None:
            query, args = query + " WHERE endpoint=?", (endpoint,)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY endpoint, variant, generation",
                                      args).fetchall()
        return [Route(*row) for row in rows]

    def drop_server(self, route: Route) -> None:
        """Forget a stopped server."""
        with self._lock, transaction(self._conn):
            self._conn.execute(
                "DELETE FROM sm_endpoint_servers WHERE endpoint=? AND variant=? AND generation=?",
                (route.endpoint, route.variant, route.generation))

    def generation(self, endpoint: str) -> int | None:
        """The generation of the last deployment of ``endpoint``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT generation FROM sm_endpoint_deploys WHERE endpoint=?", (endpoint,)
            ).fetchone()
        return None if row is None else int(row[0])

    def forget(self, endpoint: str) -> None:
        """Drop every trace of ``endpoint`` (after delete)."""
        with self._lock, transaction(self._conn):
            self._conn.execute("DELETE FROM sm_endpoint_routes WHERE endpoint=?", (endpoint,))
            self._conn.execute("DELETE FROM sm_endpoint_deploys WHERE endpoint=?", (endpoint,))
            self._conn.execute("DELETE FROM sm_endpoint_servers WHERE endpoint=?", (endpoint,))

