"""The local backend's integration table: keys, request shapes, error names, outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagestep.engine.failure import TaskError
from sagestep.engine.integration import Call, Callback, CallContext, Job, lookup
from sagestep.engine.timers import WarpClock
from sagestep.integrations.services import (
    jsonable,
    local_integrations,
    sagemaker_integrations,
    service_error,
    snake,
)
from sagestep.local import LocalRuntime
from sagestep.workspace import Workspace


def _error(code: str, message: str = "msg") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, "Op")


class RecordingSageMaker:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def create_model(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("create_model", kw))
        return {"ModelArn": "arn:model", "ResponseMetadata": {"HTTPStatusCode": 200}}

    def describe_endpoint(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("describe_endpoint", kw))
        return {"EndpointStatus": "InService",
                "CreationTime": datetime(2024, 1, 2, tzinfo=UTC)}

    def create_endpoint(self, **kw: Any) -> dict[str, Any]:
        raise _error("ResourceLimitExceeded", "too many endpoints")

    def delete_endpoint(self, **kw: Any) -> dict[str, Any]:
        raise _error("ValidationException", "Could not find endpoint")


CTX = CallContext("", "arn:exec", "State")


def test_snake_and_jsonable() -> None:
    assert snake("createHyperParameterTuningJob") == "create_hyper_parameter_tuning_job"
    when = datetime(2024, 1, 2, tzinfo=UTC)
    assert jsonable({"A": when, "ResponseMetadata": {}, "L": [when]}) == {
        "A": 1704153600000, "L": [1704153600000]}


def test_error_names() -> None:
    assert service_error("SageMaker", _error("ValidationException"), sdk=False).failure.error \
        == "SageMaker.AmazonSageMakerException"
    assert service_error("SageMaker", _error("ResourceLimitExceeded"), sdk=False).failure.error \
        == "SageMaker.ResourceLimitExceededException"
    sdk = service_error("SageMaker", _error("ResourceNotFound", "gone"), sdk=True).failure
    assert sdk.error == "SageMaker.ResourceNotFound" and "gone" in (sdk.cause or "")


def test_sagemaker_table_calls_boto3_method_names() -> None:
    sm = RecordingSageMaker()
    table = sagemaker_integrations(lambda: sm)
    for api in ("createTrainingJob", "createProcessingJob", "createTransformJob",
                "createHyperParameterTuningJob"):
        assert isinstance(table[f"arn:aws:states:::sagemaker:{api}.sync"], Job)
    create = lookup(table, "arn:aws:states:::sagemaker:createModel")
    assert isinstance(create, Call)
    assert create.invoke({"ModelName": "m"}, CTX) == {"ModelArn": "arn:model"}
    sdk_resource = "arn:aws:states:::aws-sdk:sagemaker:describeEndpoint"
    describe = lookup(table, sdk_resource)
    assert isinstance(describe, Call)
    out = describe.invoke({"EndpointName": "e"}, CallContext(sdk_resource, "", ""))
    assert out == {"EndpointStatus": "InService", "CreationTime": 1704153600000}
    assert sm.calls == [("create_model", {"ModelName": "m"}),
                        ("describe_endpoint", {"EndpointName": "e"})]
    with pytest.raises(TaskError) as exc:
        lookup(table, "arn:aws:states:::sagemaker:createEndpoint").invoke({}, CTX)  # type: ignore[union-attr]
    assert exc.value.failure.error == "SageMaker.ResourceLimitExceededException"


def test_job_describe_absent_is_none() -> None:
    class Empty:
        def describe_training_job(self, **kw: Any) -> Any:
            raise _error("ValidationException", "Requested resource not found.")

    job = sagemaker_integrations(lambda: Empty())["arn:aws:states:::sagemaker:createTrainingJob.sync"]
    assert isinstance(job, Job)
    assert job.describe("missing") is None
    with pytest.raises(TaskError):
        job.job_name({"NoName": 1}, CTX)


def test_unsupported_resource_names_supported_ones() -> None:
    with pytest.raises(TaskError) as exc:
        lookup(sagemaker_integrations(lambda: None), "arn:aws:states:::glue:startJobRun.sync")
    assert "glue:startJobRun.sync" in (exc.value.failure.cause or "")
    assert "arn:aws:states:::sagemaker:createTrainingJob.sync" in (exc.value.failure.cause or "")


def test_local_table_runs_lambdas_and_records_sns(tmp_path) -> None:
    rt = LocalRuntime(Workspace.resolve(tmp_path), clock=WarpClock())
    rt.lambdas.register("hello", lambda event, context: {"hi": event["name"]})
    table = local_integrations(rt)
    assert isinstance(table["arn:aws:states:::lambda:invoke.waitForTaskToken"], Callback)
    invoke = lookup(table, "arn:aws:states:::lambda:invoke")
    assert isinstance(invoke, Call)
    result = invoke.invoke({"FunctionName": "hello", "Payload": {"name": "x"}}, CTX)
    assert result["Payload"] == {"hi": "x"} and result["StatusCode"] == 200
    plain = lookup(table, "arn:aws:lambda:us-east-1:123456789012:function:hello")
    assert isinstance(plain, Call) and plain.lambda_events
    publish = lookup(table, "arn:aws:states:::sns:publish")
    assert isinstance(publish, Call)
    out = publish.invoke({"TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": "done"}, CTX)
    assert "MessageId" in out
    rows = rt.engine.journal.query("SELECT resource, execution_arn, payload FROM sfn_outbox")
    assert [(r[0], r[1], json.loads(r[2])["Message"]) for r in rows] == [
        ("sns:publish", "arn:exec", "done")]
    rt.engine.close()
