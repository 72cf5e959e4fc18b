"""A local AWS API over a fresh workspace, and boto3 clients signed with its keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sagestep.api.server import ApiEndpoint, ApiServer
from sagestep.local import LocalRuntime
from sagestep.workspace import Workspace


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalRuntime, ApiEndpoint]]:
    rt = LocalRuntime(Workspace.resolve(tmp_path_factory.mktemp("ws")))
    server = ApiServer(rt)
    endpoint = server.start()
    yield rt, endpoint
    server.stop()
    if "engine" in rt.__dict__:
        rt.engine.close()


def make_client(endpoint: ApiEndpoint, service: str, **over: Any) -> Any:
    args = {"endpoint_url": endpoint.url, "aws_access_key_id": endpoint.access_key,
            "aws_secret_access_key": endpoint.secret_key, "region_name": endpoint.region,
            "config": Config(retries={"max_attempts": 1})}
    args.update(over)
    return boto3.client(service, **args)


@pytest.fixture(scope="module")
def s3(api: tuple[LocalRuntime, ApiEndpoint]) -> Any:
    return make_client(api[1], "s3")
