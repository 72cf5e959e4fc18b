"""The config registry: the same tests against SQLite and DynamoDB (a moto server)."""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from sagestep.errors import StoreError
from sagestep.stores.registry import (
    ConfigRegistry,
    DynamoDBConfigRegistry,
    SQLiteConfigRegistry,
    sqlite_latest,
    sqlite_latest_all,
)

TABLE = "sagestep-configs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _dynamodb(url: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def create_table(client: Any, name: str) -> None:
    """The table as documented in sagestep.stores.registry (and created by Terraform)."""
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"},
                              {"AttributeName": "version", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "name", "KeyType": "HASH"},
                   {"AttributeName": "version", "KeyType": "RANGE"}])


@pytest.fixture(params=["sqlite", "dynamodb"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> ConfigRegistry:
    if request.param == "sqlite":
        return SQLiteConfigRegistry(tmp_path / "sagestep.db", clock=lambda: 1000.0)
    url = request.getfixturevalue("moto_url")
    client = _dynamodb(url)
    table = f"{TABLE}-{tmp_path.name}"[:255]
    create_table(client, table)
    return DynamoDBConfigRegistry(table, client, clock=lambda: 1000.0)


def item(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "stages": {"training": {"run": True}}, **extra}


def test_every_put_is_a_new_version(registry: ConfigRegistry) -> None:
    assert registry.put(item("a", description="one")) == 1
    assert registry.put(item("a", description="two")) == 2
    assert registry.put(item("b")) == 1
    latest = registry.get("a")
    assert latest is not None
    assert latest["version"] == 2 and latest["description"] == "two"
    assert latest["created"] == 1000.0
    first = registry.get("a", 1)
    assert first is not None and first["description"] == "one"
    assert registry.get("a", 3) is None
    assert registry.get("missing") is None


def test_list_and_history(registry: ConfigRegistry) -> None:
    for d in ("x", "y", "z"):
        registry.put(item("p", description=d))
    registry.put(item("q"))
    assert [(i["name"], i["version"]) for i in registry.list()] == [("p", 3), ("q", 1)]
    assert [i["description"] for i in registry.history("p")] == ["x", "y", "z"]
    assert registry.history("none") == []


def test_item_round_trips_unchanged(registry: ConfigRegistry) -> None:
    body = item("r", stages={"gate": {"run": True, "threshold": 0.25, "metric": "a.b"}},
                triggers={"s3": [{"bucket": "b", "prefix": "in/", "suffix": ".csv"}]})
    registry.put(body)
    got = registry.get("r")
    assert got is not None
    assert {k: v for k, v in got.items() if k not in ("version", "created")} == body


def test_nameless_item_is_refused(registry: ConfigRegistry) -> None:
    with pytest.raises(StoreError, match="non-empty string 'name'"):
        registry.put({"stages": {}})


def test_sqlite_concurrent_puts_get_distinct_versions(tmp_path: Path) -> None:
    db = tmp_path / "sagestep.db"
    versions: list[int] = []
    lock = threading.Lock()

    def put() -> None:
        reg = SQLiteConfigRegistry(db)
        for _ in range(5):
            v = reg.put(item("c"))
            with lock:
                versions.append(v)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(versions) == list(range(1, 21))


def test_stdlib_readers_for_the_router(tmp_path: Path) -> None:
    db = tmp_path / "sagestep.db"
    conn = sqlite3.connect(db)
    assert sqlite_latest(conn, "a") is None and sqlite_latest_all(conn) == []
    reg = SQLiteConfigRegistry(db)
    reg.put(item("a"))
    reg.put(item("a", description="new"))
    latest = sqlite_latest(conn, "a")
    assert latest is not None and latest["description"] == "new"
    assert [i["version"] for i in sqlite_latest_all(conn)] == [2]


def test_dynamodb_conditional_put_takes_the_next_version(moto_url: str) -> None:
    client = _dynamodb(moto_url)
    create_table(client, "race")
    a = DynamoDBConfigRegistry("race", client)
    b = DynamoDBConfigRegistry("race", client)
    original = a._latest_version
    calls = {"n": 0}

    def stale(name: str) -> int:  # the first read misses b's concurrent write
        calls["n"] += 1
        return 0 if calls["n"] == 1 else original(name)

    b.put(item("race"))
    a._latest_version = stale  # type: ignore[method-assign]
    assert a.put(item("race")) == 2


def test_dynamodb_missing_table_is_a_store_error(moto_url: str) -> None:
    reg = DynamoDBConfigRegistry("no-such-table", _dynamodb(moto_url))
    with pytest.raises(StoreError, match="no-such-table"):
        reg.get("x")


def test_router_reads_what_the_registry_writes(moto_url: str) -> None:
    """The router Lambda's stdlib+boto3 reader and this registry agree on the table layout."""
    from sagestep.triggers.router import DynamoDBConfigSource

    client = _dynamodb(moto_url)
    create_table(client, "shared")
    reg = DynamoDBConfigRegistry("shared", client)
    reg.put(item("p", description="old"))
    reg.put(item("p", description="new"))
    reg.put(item("q"))
    table = boto3.resource("dynamodb", endpoint_url=moto_url, region_name="us-east-1",
                           aws_access_key_id="testing",
                           aws_secret_access_key="testing").Table("shared")
    source = DynamoDBConfigSource(table)
    got = source.get("p")
    assert got is not None and got["description"] == "new" and got["version"] == 2
    assert sorted((i["name"], i["version"]) for i in source.items()) == [("p", 2), ("q", 1)]
