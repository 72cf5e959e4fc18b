"""The config registry: every put of a pipeline's item is a new version (1, 2, ...).

Two implementations of one protocol, tested with the same tests:

- :class:`SQLiteConfigRegistry`, in the workspace database. Table (component ``registry``)::

      config_items(name TEXT, version INTEGER, item TEXT (JSON), created REAL,
                   PRIMARY KEY (name, version))

- :class:`DynamoDBConfigRegistry`, on AWS. Table schema (Terraform creates it)::

      hash key  name    (S)   the pipeline name
      range key version (N)   1, 2, ...
      attributes: item (S, the whole item as JSON text), created (N, epoch seconds)
      billing PAY_PER_REQUEST, no indexes

  Latest version = Query(name, ScanIndexForward=False, Limit=1). A put writes version
  latest+1 with ``attribute_not_exists(version)``, so two concurrent puts cannot both win.

Lineage: the stored item carries its ``version``; the router copies it to the execution
input as ``config_version``; a registered model package carries ``sagestep:config-version``
and ``sagestep:execution`` in its CustomerMetadataProperties (see ``pipeline.item``).

The module imports only the standard library at the top (the router may read the SQLite
table through :func:`sqlite_latest` / :func:`sqlite_latest_all`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from sagestep.errors import StoreError

COMPONENT = "registry"
MIGRATIONS = [
    """
    CREATE TABLE config_items (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        item TEXT NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (name, version)
    )
    """,
]
MAX_PUT_ATTEMPTS = 5
Items = list[dict[str, Any]]
"""A list of config items (an alias: methods named ``list`` shadow the builtin)."""


class ConfigRegistry(Protocol):
    """Versioned pipeline config items."""

    def put(self, item: Mapping[str, Any]) -> int:
        """Store ``item`` as the next version of ``item["name"]``; return that version."""
        ...

    def get(self, name: str, version: int | None = None) -> dict[str, Any] | None:
        """Version ``version`` of ``name`` (latest when None), or None."""
        ...

    def list(self) -> Items:
        """The latest item of every pipeline, by name."""
        ...

    def history(self, name: str) -> Items:
        """Every version of ``name``, oldest first."""
        ...


def _name(item: Mapping[str, Any]) -> str:
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise StoreError("a config item needs a non-empty string 'name' to be registered")
    return name


def _prepared(item: Mapping[str, Any], version: int, created: float) -> dict[str, Any]:
    return {**item, "version": version, "created": created}


class SQLiteConfigRegistry:
    """The registry in the local workspace database."""

    def __init__(self, db_path: str | Path, clock: Callable[[], float] = time.time) -> None:
        from sagestep.stores.sqlite import connect, migrate

        self._conn = connect(db_path)
        self._clock = clock
        migrate(self._conn, COMPONENT, MIGRATIONS)

    def put(self, item: Mapping[str, Any]) -> int:
        """Store ``item`` as a new version."""
        from sagestep.stores.sqlite import transaction

        name = _name(item)
        with transaction(self._conn):
            row = self._conn.execute(
                "SELECT MAX(version) FROM config_items WHERE name = ?", (name,)).fetchone()
            version = int(row[0] or 0) + 1
            created = self._clock()
            body = _prepared(item, version, created)
            self._conn.execute(
                "INSERT INTO config_items (name, version, item, created) VALUES (?, ?, ?, ?)",
                (name, version, json.dumps(body, sort_keys=True), created))
        return version

    def get(self, name: str, version: int | None = None) -> dict[str, Any] | None:
        """One version (latest by default)."""
        if version is None:
            return sqlite_latest(self._conn, name)
        row = self._conn.execute("SELECT item FROM config_items WHERE name = ? AND version = ?",
                                 (name, int(version))).fetchone()
        return dict(json.loads(row[0])) if row else None

    def list(self) -> Items:
        """Latest item per pipeline."""
        return sqlite_latest_all(self._conn)

    def history(self, name: str) -> Items:
        """All versions, oldest first."""
        rows = self._conn.execute(
            "SELECT item FROM config_items WHERE name = ? ORDER BY version", (name,)).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()


def sqlite_latest(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    """Latest item of ``name`` from the workspace database (stdlib only)."""
    try:
        row = conn.execute("SELECT item FROM config_items WHERE name = ? "
                           "ORDER BY version DESC LIMIT 1", (name,)).fetchone()
    except sqlite3.OperationalError:  # no table yet: nothing registered
        return None
    return dict(json.loads(row[0])) if row else None


def sqlite_latest_all(conn: sqlite3.Connection) -> Items:
    """Latest item of every pipeline, by name (stdlib only)."""
    try:
        rows = conn.execute(
            "SELECT c.item FROM config_items c JOIN (SELECT name, MAX(version) AS v "
            "FROM config_items GROUP BY name) m ON c.name = m.name AND c.version = m.v "
            "ORDER BY c.name").fetchall()
    except sqlite3.OperationalError:
        return []
    return [dict(json.loads(r[0])) for r in rows]


class DynamoDBConfigRegistry:
    """The registry in a DynamoDB table (schema in the module docstring)."""

    def __init__(self, table_name: str, client: Any = None, *, region: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if client is None:
            import boto3

            client = boto3.client("dynamodb", region_name=region)
        self._db = client
        self._table = table_name
        self._clock = clock

    def put(self, item: Mapping[str, Any]) -> int:
        """Store ``item`` as a new version (conditional write; retried on a race)."""
        name = _name(item)
        for _ in range(MAX_PUT_ATTEMPTS):
            latest = self._latest_version(name)
            version = latest + 1
            created = self._clock()
            body = _prepared(item, version, created)
            try:
                self._db.put_item(
                    TableName=self._table,
                    Item={"name": {"S": name}, "version": {"N": str(version)},
                          "item": {"S": json.dumps(body, sort_keys=True)},
                          "created": {"N": f"{created:.6f}"}},
                    ConditionExpression="attribute_not_exists(version)")
            except Exception as exc:  # botocore ClientError; imported lazily
                if _code(exc) == "ConditionalCheckFailedException":
                    continue  # another writer took this version: take the next one
                raise StoreError(f"registry table {self._table}: put of {name!r} failed: "
                                 f"{exc}") from exc
            return version
        raise StoreError(f"registry table {self._table}: {name!r} kept changing; try again")

    def get(self, name: str, version: int | None = None) -> dict[str, Any] | None:
        """One version (latest by default)."""
        if version is None:
            rows = self._query(name, newest_first=True, limit=1)
            return rows[0] if rows else None
        response = self._call("get_item", TableName=self._table, ConsistentRead=True,
                              Key={"name": {"S": name}, "version": {"N": str(int(version))}})
        row = response.get("Item")
        return dict(json.loads(row["item"]["S"])) if row else None

    def list(self) -> Items:
        """Latest item per pipeline (a scan: the table holds configs, not runs)."""
        latest: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {"TableName": self._table}
        while True:
            response = self._call("scan", **kwargs)
            for row in response.get("Items", []):
                body = dict(json.loads(row["item"]["S"]))
                name = str(body["name"])
                if name not in latest or int(body["version"]) > int(latest[name]["version"]):
                    latest[name] = body
            if "LastEvaluatedKey" not in response:
                return [latest[n] for n in sorted(latest)]
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def history(self, name: str) -> Items:
        """All versions, oldest first."""
        return self._query(name, newest_first=False, limit=None)

    def _latest_version(self, name: str) -> int:
        rows = self._query(name, newest_first=True, limit=1)
        return int(rows[0]["version"]) if rows else 0

    def _query(self, name: str, *, newest_first: bool, limit: int | None) -> Items:
        kwargs: dict[str, Any] = {
            "TableName": self._table, "ConsistentRead": True,
            "KeyConditionExpression": "#n = :n", "ExpressionAttributeNames": {"#n": "name"},
            "ExpressionAttributeValues": {":n": {"S": name}}, "ScanIndexForward": not newest_first}
        if limit:
            kwargs["Limit"] = limit
        out: Items = []
        while True:
            response = self._call("query", **kwargs)
            out += [dict(json.loads(r["item"]["S"])) for r in response.get("Items", [])]
            if limit or "LastEvaluatedKey" not in response:
                return out
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._db, method)(**kwargs)
        except Exception as exc:
            raise StoreError(f"registry table {self._table}: {method} failed: {exc}") from exc


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str((response or {}).get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
