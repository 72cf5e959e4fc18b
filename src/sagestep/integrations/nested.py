"""Nested workflows: ``arn:aws:states:::states:startExecution[.sync|.sync:2]``.

Calls a boto3-shaped ``stepfunctions`` client (the local one, or boto3's). ``.sync`` returns
the child's DescribeExecution in PascalCase with ``Input``/``Output`` as JSON text;
``.sync:2`` returns them as JSON values; dates are epoch milliseconds.
https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html

A child started without ``Name`` gets one derived from the parent's execution and task
attempt, so a worker resumed after a crash attaches to the child it already started.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from sagestep.engine.failure import TaskError
from sagestep.engine.integration import Call, CallContext, Integration, Job

START = "arn:aws:states:::states:startExecution"
SDK = "arn:aws:states:::aws-sdk:sfn:*"
# The fields of the child's DescribeExecution a .sync task returns, as AWS records them
# (LocalStack parity suite, test_callback.py::test_start_execution_sync*): no redrive fields.
_FIELDS = ("Cause", "Error", "ExecutionArn", "Input", "InputDetails", "Name", "Output",
           "OutputDetails", "StartDate", "StateMachineArn", "Status", "StopDate")


def _ms(value: Any) -> Any:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else value


def _pascal(value: Any) -> Any:
    """``{"included": true}`` -> ``{"Included": true}`` (the Details objects)."""
    if isinstance(value, dict):
        return {k[0].upper() + k[1:]: v for k, v in value.items()}
    return value


def _error(exc: ClientError) -> TaskError:
    err = exc.response.get("Error", {})
    return TaskError(f"StepFunctions.{err.get('Code', 'Unknown')}Exception",
                     str(err.get("Message", exc)))


def _child_name(params: Any, ctx: CallContext) -> str:
    if isinstance(params, dict) and isinstance(params.get("Name"), str):
        return str(params["Name"])
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ctx.execution_arn}/{ctx.state_name}/"
                                               f"{ctx.attempt}"))


def _machine(params: Any) -> str:
    if not isinstance(params, dict) or not isinstance(params.get("StateMachineArn"), str):
        raise TaskError("States.Runtime", "states:startExecution needs a StateMachineArn")
    return str(params["StateMachineArn"])


def _start(get_client: Callable[[], Any], params: Any, name: str) -> dict[str, Any]:
    # An absent or null Input starts the child with "{}", as AWS does.
    child_input = params.get("Input")
    if child_input is None:
        child_input = {}
    text = child_input if isinstance(child_input, str) else json.dumps(child_input,
                                                                        separators=(",", ":"))
    try:
        out = get_client().start_execution(stateMachineArn=_machine(params), name=name,
                                           input=text)
    except ClientError as exc:
        raise _error(exc) from exc
    request_id = str(out.get("ResponseMetadata", {}).get("RequestId") or uuid.uuid4())
    return {"ExecutionArn": out["executionArn"], "StartDate": _ms(out["startDate"]),
            "SdkHttpMetadata": {
                "AllHttpHeaders": {"x-amzn-RequestId": [request_id],
                                   "Content-Type": ["application/x-amz-json-1.0"]},
                "HttpHeaders": {"Content-Type": "application/x-amz-json-1.0",
                                "x-amzn-RequestId": request_id},
                "HttpStatusCode": 200},
            "SdkResponseMetadata": {"RequestId": request_id}}


def _describe(get_client: Callable[[], Any], arn: str, as_json: bool) -> Any | None:
    try:
        out = get_client().describe_execution(executionArn=arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
            return None
        raise _error(exc) from exc
    pascal = {key[0].upper() + key[1:]: _pascal(_ms(value)) for key, value in out.items()
              if key != "ResponseMetadata"}
    if as_json:
        for key in ("Input", "Output"):
            if isinstance(pascal.get(key), str):
                pascal[key] = json.loads(pascal[key])
    return {k: pascal[k] for k in _FIELDS if k in pascal}


def _job(get_client: Callable[[], Any], as_json: bool, poll_seconds: float) -> Job:
    def job_name(params: Any, ctx: CallContext) -> str:
        machine = _machine(params)
        return machine.replace(":stateMachine:", ":execution:") + ":" + _child_name(params, ctx)

    def stop(arn: str) -> None:
        get_client().stop_execution(executionArn=arn)

    def failure(described: Any) -> TaskError:
        return TaskError("States.TaskFailed", json.dumps(described, separators=(",", ":")))

    return Job(start=lambda params, arn: _start(get_client, params, arn.rsplit(":", 1)[-1]),
               describe=lambda arn: _describe(get_client, arn, as_json), job_name=job_name,
               status_field="Status", succeeded=frozenset({"SUCCEEDED"}),
               failed=frozenset({"FAILED", "TIMED_OUT", "ABORTED"}), failure=failure,
               stop=stop, poll_seconds=poll_seconds)


def nested_integrations(get_client: Callable[[], Any],
                        poll_seconds: float = 1.0) -> dict[str, Integration]:
    """Table entries for starting child executions."""

    def start(params: Any, ctx: CallContext) -> Any:
        return _start(get_client, params, _child_name(params, ctx))

    return {
        SDK: Call(_sdk(get_client)),
        START: Call(start),
        START + ".sync": _job(get_client, as_json=False, poll_seconds=poll_seconds),
        START + ".sync:2": _job(get_client, as_json=True, poll_seconds=poll_seconds),
    }


def _deep_pascal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[0].upper() + k[1:]: _deep_pascal(v) for k, v in value.items()
                if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_deep_pascal(v) for v in value]
    return _ms(value)


def _sdk(get_client: Callable[[], Any]) -> Callable[[Any, CallContext], Any]:
    """``aws-sdk:sfn:<action>`` on the local engine: PascalCase in and out (as the AWS SDK
    integration speaks), errors as ``Sfn.<Code>Exception``."""
    import re

    def invoke(params: Any, ctx: CallContext) -> Any:
        action = ctx.resource.rsplit(":", 1)[-1].split(".")[0]
        method = getattr(get_client(), re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower(), None)
        if method is None:
            raise TaskError("Sfn.SfnException", f"The local Step Functions has no {action}")
        kwargs = {k[0].lower() + k[1:]: v for k, v in (params or {}).items()}
        if action == "startExecution" and not isinstance(kwargs.get("input", ""), str):
            kwargs["input"] = json.dumps(kwargs["input"], separators=(",", ":"))
        try:
            return _deep_pascal(method(**kwargs))
        except ClientError as exc:
            err = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
            raise TaskError(f"Sfn.{err.get('Code', 'Unknown')}Exception",
                            f"{err.get('Message', exc)} (Service: Sfn, Status Code: {status}, "
                            f"Request ID: {uuid.uuid4()}) (SDK Attempt Count: 1)") from exc
        except TypeError as exc:
            raise TaskError("Sfn.ValidationException", str(exc)) from exc

    return invoke
