"""Local-only integration tweaks that cut framework overhead (issue 4), over fake clients."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagestep.engine.failure import TaskError
from sagestep.engine.integration import Call, CallContext, Job
from sagestep.integrations.services import (
    LOCAL_JOB_POLL_SECONDS,
    SM,
    local_integrations,
    settling_endpoint,
)
from sagestep.local import LocalRuntime
from sagestep.workspace import Workspace

CTX = CallContext(SM + "createEndpoint", "arn:aws:states:us-east-1:1:execution:m:e", "Create Endpoint")
PARAMS = {"EndpointName": "ep", "EndpointConfigName": "ep-cfg-2"}


def _error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, "Op")


class Endpoints:
    """create/update/describe/wait_for_endpoint with scripted outcomes."""

    def __init__(self, existing: dict[str, Any] | None = None, settles: bool = True) -> None:
        self.existing = existing
        self.settles = settles
        self.calls: list[str] = []

    def create_endpoint(self, **kw: Any) -> dict[str, Any]:
        self.calls.append("create")
        if self.existing is not None:
            raise _error("ValidationException", 'Cannot create already existing endpoint "x".')
        return {"EndpointArn": "arn:ep", "ResponseMetadata": {}}

    def describe_endpoint(self, **kw: Any) -> dict[str, Any]:
        self.calls.append("describe")
        if self.existing is None:
            raise _error("ValidationException", 'Could not find endpoint "x".')
        return self.existing

    def wait_for_endpoint(self, EndpointName: str, Timeout: float) -> dict[str, Any]:  # noqa: N803
        self.calls.append(f"wait {EndpointName}")
        if not self.settles:
            raise _error("ThrottlingException", "still Creating")
        return {"EndpointStatus": "InService"}


def test_create_endpoint_returns_once_the_endpoint_settled_on_the_call_pool() -> None:
    client = Endpoints()
    call = settling_endpoint(lambda: client, "createEndpoint")
    assert call.pooled  # waits on the worker's call pool, never on the worker itself
    assert call.invoke(PARAMS, CTX) == {"EndpointArn": "arn:ep"}  # the AWS response, as is
    assert client.calls == ["create", "wait ep"]


def test_a_slow_endpoint_is_left_to_the_machines_check_loop() -> None:
    client = Endpoints(settles=False)
    assert settling_endpoint(lambda: client, "createEndpoint").invoke(PARAMS, CTX) == {
        "EndpointArn": "arn:ep"}


def test_a_repeated_call_attaches_to_the_endpoint_it_created() -> None:
    # at-least-once delivery: the process died after CreateEndpoint, the pool calls again
    client = Endpoints({"EndpointArn": "arn:ep", "EndpointConfigName": "ep-cfg-2",
                        "EndpointStatus": "Creating"})
    assert settling_endpoint(lambda: client, "createEndpoint").invoke(PARAMS, CTX) == {
        "EndpointArn": "arn:ep"}
    assert client.calls == ["create", "describe", "wait ep"]


def test_an_endpoint_of_another_config_is_still_an_error() -> None:
    client = Endpoints({"EndpointArn": "arn:ep", "EndpointConfigName": "ep-cfg-1",
                        "EndpointStatus": "InService"})
    with pytest.raises(TaskError) as caught:
        settling_endpoint(lambda: client, "createEndpoint").invoke(PARAMS, CTX)
    assert caught.value.failure.error == "SageMaker.AmazonSageMakerException"
    assert "already existing" in str(caught.value.failure.cause)


def test_local_table_polls_jobs_quickly_and_settles_endpoints(tmp_path) -> None:
    table = local_integrations(LocalRuntime(Workspace.resolve(tmp_path)))
    job = table[SM + "createTrainingJob.sync"]
    assert isinstance(job, Job) and job.poll_seconds == LOCAL_JOB_POLL_SECONDS <= 0.1
    for api in ("createEndpoint", "updateEndpoint"):
        entry = table[SM + api]
        assert isinstance(entry, Call) and entry.pooled
