"""The local backend's Task integrations: the table the engine looks resources up in.

Lambda calls go to the runtime's Lambda registry; SageMaker calls go to a boto3-shaped
SageMaker client (only boto3 method names are used, so a real boto3 client works too);
SNS publish and EventBridge putEvents are recorded in the engine's outbox table.

https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from sagestep.engine.failure import TaskError
from sagestep.engine.integration import Call, Callback, CallContext, Integration, Job
from sagestep.engine.lambda_tasks import lambda_integrations
from sagestep.integrations.nested import nested_integrations
from sagestep.integrations.s3 import s3_integrations
from sagestep.integrations.sqs import sqs_integrations
from sagestep.stores.queues import LocalQueues

SM = "arn:aws:states:::sagemaker:"
SDK = "arn:aws:states:::aws-sdk:"

# Optimised SageMaker jobs: API -> (name field, describe method, stop method, status field).
JOBS: dict[str, tuple[str, str, str, str]] = {
    "createTrainingJob": ("TrainingJobName", "describe_training_job", "stop_training_job",
                          "TrainingJobStatus"),
    "createProcessingJob": ("ProcessingJobName", "describe_processing_job",
                            "stop_processing_job", "ProcessingJobStatus"),
    "createTransformJob": ("TransformJobName", "describe_transform_job", "stop_transform_job",
                           "TransformJobStatus"),
    "createHyperParameterTuningJob": ("HyperParameterTuningJobName",
                                      "describe_hyper_parameter_tuning_job",
                                      "stop_hyper_parameter_tuning_job",
                                      "HyperParameterTuningJobStatus"),
    "createLabelingJob": ("LabelingJobName", "describe_labeling_job", "stop_labeling_job",
                          "LabelingJobStatus"),
}
REQUEST_RESPONSE = ("createModel", "createEndpointConfig", "createEndpoint", "updateEndpoint",
                    *JOBS)
# SageMaker error codes the Java SDK models as their own exception class; others surface as
# SageMaker.AmazonSageMakerException (the name AWS's examples retry on).
_MODELLED = {"ResourceLimitExceeded", "ResourceInUse", "ResourceNotFound", "Conflict"}
# Transient codes keep their own name, so the compiled machine retries them (and only them,
# with capacity) while a ValidationException fails the stage at once (asl/generic.py).
_TRANSIENT = {"ThrottlingException", "InternalFailure", "ServiceUnavailable"}
_NOT_FOUND = re.compile(r"not (be )?found|does not exist|(could not|cannot|can't) find", re.IGNORECASE)
# Locally a job's Describe* is one SQLite read, so a finished job is noticed within 0.05 s
# instead of AWS-like 2 s. The stored poll timer stays the durable mechanism.
LOCAL_JOB_POLL_SECONDS = 0.05
# A local job queued for capacity (SagestepLocal.WaitingFor) is polled ten times less often:
# twenty queued runs polling every 0.05 s would spend the worker on SQLite commits.
QUEUED_JOB_POLL_SECONDS = 0.5


def snake(action: str) -> str:
    """``createTrainingJob`` -> ``create_training_job``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def jsonable(value: Any) -> Any:
    """A boto3 response as Step Functions hands it on: JSON, dates as epoch milliseconds."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "read"):
        data = value.read()
        return data.decode() if isinstance(data, bytes) else data
    return value


def service_error(service: str, exc: ClientError, sdk: bool) -> TaskError:
    """``SageMaker.AmazonSageMakerException`` (optimised) or ``SageMaker.<Code>`` (aws-sdk)."""
    err = exc.response.get("Error", {})
    code, message = str(err.get("Code", "Unknown")), str(err.get("Message", exc))
    if sdk:
        name = f"{service}.{code}"
    elif code in _MODELLED:
        name = f"{service}.{code}Exception"
    elif code in _TRANSIENT:
        name = f"{service}.{code}"
    else:
        name = f"{service}.Amazon{service}Exception"
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
    return TaskError(name, f"{message} (Service: Amazon{service}; Status Code: {status}; "
                           f"Error Code: {code}; Request ID: {uuid.uuid4()}; Proxy: null)")


def _call(get_client: Callable[[], Any], method: str | None, service: str,
          sdk: bool) -> Callable[[Any, CallContext], Any]:
    """Call ``method`` (or, when None, the SDK action named at the end of the resource)."""

    def invoke(params: Any, ctx: CallContext) -> Any:
        client = get_client()
        name = method or snake(ctx.resource.rsplit(":", 1)[-1].split(".")[0])
        func = getattr(client, name, None)
        if func is None:
            raise TaskError(f"{service}.UnsupportedOperation",
                            f"The local {service} client has no operation {name}")
        try:
            return jsonable(func(**(params or {})))
        except ClientError as exc:
            raise service_error(service, exc, sdk) from exc

    return invoke


def sagemaker_job(get_client: Callable[[], Any], api: str, poll_seconds: float) -> Job:
    """The ``.sync`` integration of one SageMaker job API."""
    name_field, describe_method, stop_method, status_field = JOBS[api]
    start = _call(get_client, snake(api), "SageMaker", sdk=False)

    def describe(name: str) -> Any:
        try:
            return jsonable(getattr(get_client(), describe_method)(**{name_field: name}))
        except ClientError as exc:
            err = exc.response.get("Error", {})
            if err.get("Code") == "ResourceNotFound" or _NOT_FOUND.search(str(err.get("Message"))):
                return None
            raise service_error("SageMaker", exc, sdk=False) from exc

    def stop(name: str) -> None:
        getattr(get_client(), stop_method)(**{name_field: name})

    def failure(described: Any) -> TaskError:
        # A job that ends Failed/Stopped fails the task with States.TaskFailed; the cause is
        # the final Describe* response (it carries FailureReason).
        return TaskError("States.TaskFailed", json.dumps(described, separators=(",", ":")))

    def job_name(params: Any, ctx: CallContext) -> str:
        if not isinstance(params, dict) or not isinstance(params.get(name_field), str):
            raise TaskError("SageMaker.AmazonSageMakerException",
                            f"{api} needs the parameter {name_field}")
        return str(params[name_field])

    return Job(start=lambda p, _name: start(p, CallContext(SM + api + ".sync", "", "")),
               describe=describe, job_name=job_name, status_field=status_field,
               succeeded=frozenset({"Completed"}), failed=frozenset({"Failed", "Stopped"}),
               failure=failure, stop=stop, poll_seconds=poll_seconds,
               poll_after=lambda d: _poll_after(d, poll_seconds))


def _poll_after(described: Any, poll_seconds: float) -> float:
    local = described.get("SagestepLocal") if isinstance(described, dict) else None
    if isinstance(local, dict) and local.get("WaitingFor"):
        return max(poll_seconds, QUEUED_JOB_POLL_SECONDS)
    return poll_seconds


def sagemaker_integrations(get_client: Callable[[], Any],
                           poll_seconds: float = 2.0) -> dict[str, Integration]:
    """Optimised SageMaker resources and every ``aws-sdk:sagemaker:<action>``."""
    table: dict[str, Integration] = {}
    for api in REQUEST_RESPONSE:
        table[SM + api] = Call(_call(get_client, snake(api), "SageMaker", sdk=False))
    for api in JOBS:
        table[SM + api + ".sync"] = sagemaker_job(get_client, api, poll_seconds)
    table[SDK + "sagemaker:*"] = Call(_call(get_client, None, "SageMaker", sdk=True))
    return table


def outbox_integrations(record: Callable[[str, str, Any], None]) -> dict[str, Integration]:
    """SNS publish and EventBridge putEvents, recorded by ``record(resource, execution, body)``."""

    def publish(params: Any, ctx: CallContext) -> Any:
        record("sns:publish", ctx.execution_arn, params)
        return {"MessageId": str(uuid.uuid4())}

    def put_events(params: Any, ctx: CallContext) -> Any:
        record("events:putEvents", ctx.execution_arn, params)
        entries = (params or {}).get("Entries", [])
        return {"Entries": [{"EventId": str(uuid.uuid4())} for _ in entries],
                "FailedEntryCount": 0}

    return {
        "arn:aws:states:::sns:publish": Call(publish),
        "arn:aws:states:::sns:publish.waitForTaskToken": Callback(publish),
        "arn:aws:states:::events:putEvents": Call(put_events),
        "arn:aws:states:::events:putEvents.waitForTaskToken": Callback(put_events),
    }


def local_integrations(runtime: Any) -> dict[str, Integration]:
    """The whole table for a :class:`sagestep.local.LocalRuntime`."""

    def record(resource: str, execution_arn: str, body: Any) -> None:
        runtime.engine.journal.add_outbox(resource, execution_arn, json.dumps(body),
                                          runtime.clock.now())

    table: dict[str, Integration] = {}
    table.update(lambda_integrations(lambda name, event: runtime.lambdas.invoke(name, event)))
    def sagemaker() -> Any:
        return runtime.client("sagemaker")

    # createEndpoint/updateEndpoint return at once, as on AWS: the compiled machine polls the
    # endpoint from stored Wait timers (every second locally, see backends.local).
    table.update(sagemaker_integrations(sagemaker, LOCAL_JOB_POLL_SECONDS))
    table.update(s3_integrations(lambda: runtime.client("s3")))
    table.update(outbox_integrations(record))
    table.update(nested_integrations(lambda: runtime.client("stepfunctions")))
    table.update(sqs_integrations(lambda: local_queues(runtime)))
    return table


def local_queues(runtime: Any) -> LocalQueues:
    """The workspace's local SQS queues (one per runtime, opened on first use)."""
    queues = getattr(runtime, "_sagestep_queues", None)
    if queues is None:
        queues = LocalQueues(runtime.workspace.db_path, runtime.clock.now)
        runtime._sagestep_queues = queues
    return queues
