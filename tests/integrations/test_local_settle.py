"""Local integration tweaks (issue 4) and endpoint calls that return at once (issue 16)."""

from __future__ import annotations

from typing import Any

from sagestep.engine.integration import Call, CallContext, Job
from sagestep.integrations.services import LOCAL_JOB_POLL_SECONDS, SM, local_integrations
from sagestep.local import LocalRuntime
from sagestep.workspace import Workspace

CTX = CallContext(SM + "createEndpoint", "arn:aws:states:us-east-1:1:execution:m:e", "Create Endpoint")
PARAMS = {"EndpointName": "ep", "EndpointConfigName": "ep-cfg-2"}


class Endpoints:
    """A SageMaker client that records calls; endpoints stay Creating."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def create_endpoint(self, **kw: Any) -> dict[str, Any]:
        self.calls.append("create")
        return {"EndpointArn": "arn:ep", "ResponseMetadata": {}}

    def update_endpoint(self, **kw: Any) -> dict[str, Any]:
        self.calls.append("update")
        return {"EndpointArn": "arn:ep", "ResponseMetadata": {}}

    def wait_for_endpoint(self, **kw: Any) -> dict[str, Any]:  # must never be called
        self.calls.append("wait")
        return {"EndpointStatus": "InService"}


def test_local_table_polls_jobs_quickly_and_endpoint_calls_return_at_once(tmp_path) -> None:
    runtime = LocalRuntime(Workspace.resolve(tmp_path))
    client = Endpoints()
    runtime.client = lambda name: client  # type: ignore[method-assign]
    table = local_integrations(runtime)
    job = table[SM + "createTrainingJob.sync"]
    assert isinstance(job, Job) and job.poll_seconds == LOCAL_JOB_POLL_SECONDS <= 0.1
    for api, call in (("createEndpoint", "create"), ("updateEndpoint", "update")):
        entry = table[SM + api]
        # Not on the call pool: no thread is held while the endpoint settles.
        assert isinstance(entry, Call) and not entry.pooled
        assert entry.invoke(PARAMS, CTX) == {"EndpointArn": "arn:ep"}  # the AWS response
        assert client.calls[-1] == call
    assert "wait" not in client.calls
