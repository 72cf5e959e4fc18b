"""``LocalStepFunctionsClient``: boto3's ``stepfunctions`` client over the local engine.

Same method names, argument names and response shapes as boto3 (timestamps as tz-aware
datetimes); errors are ``botocore.exceptions.ClientError`` with AWS's codes.

    from sagestep.local import client, register_lambda
    sfn = client("stepfunctions", home="./.sagestep")
    register_lambda("hello", lambda event, context: {"hi": event})
    arn = sfn.create_state_machine(name="m", definition=..., roleArn=...)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, input="{}")
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sagestep.clock import utc
from sagestep.engine import callbacks
from sagestep.engine.service import EngineService
from sagestep.errors import client_error

_META = {"HTTPStatusCode": 200}


def _response(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "ResponseMetadata": {**_META, "RequestId": str(uuid.uuid4())}}


def _page(items: list[Any], max_results: int | None, token: str | None,
          op: str) -> tuple[list[Any], str | None]:
    try:
        start = int(token) if token else 0
    except ValueError as exc:
        raise client_error("InvalidToken", f"Invalid Token: '{token}'", op) from exc
    size = max_results or 100
    chunk = items[start:start + size]
    more = start + size < len(items)
    return chunk, str(start + size) if more else None


class LocalStepFunctionsClient:
    """boto3-shaped client; see the module docstring."""

    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime

    @property
    def _svc(self) -> EngineService:
        svc: EngineService = self._runtime.engine
        return svc

    # -- state machines ------------------------------------------------------------------------

    def create_state_machine(self, *, name: str, definition: str, roleArn: str | None = None,
                             type: str = "STANDARD", **_: Any) -> dict[str, Any]:
        arn, created = self._svc.machines.create(name, definition, roleArn, type,
                                                 _.get("description"))
        return _response({"stateMachineArn": arn, "creationDate": utc(created)})

    def update_state_machine(self, *, stateMachineArn: str, definition: str | None = None,
                             roleArn: str | None = None, **_: Any) -> dict[str, Any]:
        updated = self._svc.machines.update(stateMachineArn, definition, roleArn)
        return _response({"updateDate": utc(updated)})

    def describe_state_machine(self, *, stateMachineArn: str, **_: Any) -> dict[str, Any]:
        row = self._svc.machines.get(stateMachineArn, "DescribeStateMachine")
        return _response(_machine(row))

    def describe_state_machine_for_execution(self, *, executionArn: str,
                                             **_: Any) -> dict[str, Any]:
        ex = self._svc.execution(executionArn, "DescribeStateMachineForExecution")
        row = self._svc.machines.get(ex["machine_arn"], "DescribeStateMachineForExecution")
        body = _machine(row)
        body["definition"] = ex["definition"]
        body["updateDate"] = utc(row["updated"] or row["created"])
        for key in ("status", "type", "creationDate"):
            body.pop(key, None)
        return _response(body)

    def list_state_machines(self, *, maxResults: int | None = None,
                            nextToken: str | None = None) -> dict[str, Any]:
        rows, token = _page(self._svc.machines.list(), maxResults, nextToken, "ListStateMachines")
        body: dict[str, Any] = {"stateMachines": [
            {"stateMachineArn": r["arn"], "name": r["name"], "type": r["type"],
             "creationDate": utc(r["created"])} for r in rows]}
        if token:
            body["nextToken"] = token
        return _response(body)

    def delete_state_machine(self, *, stateMachineArn: str) -> dict[str, Any]:
        self._svc.machines.delete(stateMachineArn)
        return _response({})

    # -- executions ----------------------------------------------------------------------------

    def start_execution(self, *, stateMachineArn: str, name: str | None = None,
                        input: str | None = None, traceHeader: str | None = None,
                        **_: Any) -> dict[str, Any]:
        out = self._svc.start_execution(stateMachineArn, name, input, traceHeader)
        return _response({"executionArn": out["executionArn"], "startDate": utc(out["startDate"])})

    def start_sync_execution(self, *, stateMachineArn: str, name: str | None = None,
                             input: str | None = None, traceHeader: str | None = None,
                             **_: Any) -> dict[str, Any]:
        machine = self._svc.machines.get(stateMachineArn, "StartSyncExecution")
        if machine["type"] != "EXPRESS":
            raise client_error("StateMachineTypeNotSupported",
                               "This operation is not supported by this type of state machine",
                               "StartSyncExecution")
        out = self._svc.start_execution(stateMachineArn, name, input, traceHeader)
        row = self._svc.wait(out["executionArn"], timeout=300.0)  # Express: 5 minutes at most
        body = _execution(row)
        body.pop("redriveCount", None)
        body.pop("redriveStatus", None)
        body["billingDetails"] = {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100}
        return _response(body)

    def describe_execution(self, *, executionArn: str, **_: Any) -> dict[str, Any]:
        return _response(_execution(self._svc.execution(executionArn, "DescribeExecution")))

    def list_executions(self, *, stateMachineArn: str, statusFilter: str | None = None,
                        maxResults: int | None = None, nextToken: str | None = None,
                        **_: Any) -> dict[str, Any]:
        rows = self._svc.list_executions(stateMachineArn, statusFilter)
        rows, token = _page(rows, maxResults, nextToken, "ListExecutions")
        items = []
        for r in rows:
            item = {"executionArn": r["arn"], "stateMachineArn": r["machine_arn"],
                    "name": r["name"], "status": r["status"], "startDate": utc(r["started"])}
            if r["stopped"] is not None:
                item["stopDate"] = utc(r["stopped"])
            if r["redrive_count"]:
                item["redriveCount"] = r["redrive_count"]
            items.append(item)
        body: dict[str, Any] = {"executions": items}
        if token:
            body["nextToken"] = token
        return _response(body)

    def get_execution_history(self, *, executionArn: str, maxResults: int = 0,
                              reverseOrder: bool = False, nextToken: str | None = None,
                              includeExecutionData: bool = True) -> dict[str, Any]:
        op = "GetExecutionHistory"
        try:
            after = int(nextToken) if nextToken else 0
        except ValueError as exc:
            raise client_error("InvalidToken", f"Invalid Token: '{nextToken}'", op) from exc
        size = maxResults or 1000
        events = self._svc.history(executionArn, after, size + 1, reverseOrder)
        body: dict[str, Any] = {"events": [e.to_aws(includeExecutionData)
                                           for e in events[:size]]}
        if len(events) > size:
            body["nextToken"] = str(events[size - 1].id)
        return _response(body)

    def stop_execution(self, *, executionArn: str, error: str | None = None,
                       cause: str | None = None) -> dict[str, Any]:
        return _response({"stopDate": utc(self._svc.stop_execution(executionArn, error, cause))})

    def redrive_execution(self, *, executionArn: str, **_: Any) -> dict[str, Any]:
        return _response({"redriveDate": utc(self._svc.redrive_execution(executionArn))})

    # -- callbacks -----------------------------------------------------------------------------

    def send_task_success(self, *, taskToken: str, output: str) -> dict[str, Any]:
        callbacks.send_success(self._svc.journal, taskToken, output, self._svc.clock.now())
        self._svc.worker.wake()
        return _response({})

    def send_task_failure(self, *, taskToken: str, error: str | None = None,
                          cause: str | None = None) -> dict[str, Any]:
        callbacks.send_failure(self._svc.journal, taskToken, error, cause, self._svc.clock.now())
        self._svc.worker.wake()
        return _response({})

    def send_task_heartbeat(self, *, taskToken: str) -> dict[str, Any]:
        callbacks.send_heartbeat(self._svc.journal, taskToken, self._svc.clock.now())
        return _response({})

    # -- distributed Map runs --------------------------------------------------------------------

    def list_map_runs(self, *, executionArn: str, maxResults: int | None = None,
                      nextToken: str | None = None, **_: Any) -> dict[str, Any]:
        self._svc.execution(executionArn, "ListMapRuns")
        runs = [_map_run(row) for row in self._svc.journal.map_runs(executionArn)]
        keys = ("executionArn", "mapRunArn", "stateMachineArn", "startDate", "stopDate")
        rows = [{k: r[k] for k in keys if k in r} for r in runs]
        page, token = _page(rows, maxResults, nextToken, "ListMapRuns")
        body: dict[str, Any] = {"mapRuns": page}
        if token:
            body["nextToken"] = token
        return _response(body)

    def describe_map_run(self, *, mapRunArn: str, **_: Any) -> dict[str, Any]:
        rows = self._svc.journal.map_runs(arn=mapRunArn)
        if not rows:
            raise client_error("ResourceNotFound", f"Resource not found: '{mapRunArn}'",
                               "DescribeMapRun")
        return _response(_map_run(rows[0]))


def _map_run(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(row["data"])
    for key in ("startDate", "stopDate"):
        if key in data:
            data[key] = utc(data[key])
    return data


def _machine(row: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "stateMachineArn": row["arn"], "name": row["name"], "status": "ACTIVE",
        "definition": row["definition"], "roleArn": row["role_arn"], "type": row["type"],
        "creationDate": utc(row["created"]),
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False},
        "revisionId": str(row["revision"]),
    }
    if row["description"]:
        body["description"] = row["description"]
    return body


def _execution(row: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "executionArn": row["arn"], "stateMachineArn": row["machine_arn"], "name": row["name"],
        "status": row["status"], "startDate": utc(row["started"]), "input": row["input"],
        "inputDetails": {"included": True},
    }
    if row["stopped"] is not None:
        body["stopDate"] = utc(row["stopped"])
    if row["output"] is not None:
        body["output"] = row["output"]
        body["outputDetails"] = {"included": True}
    for key in ("error", "cause"):
        if row[key] is not None:
            body[key] = row[key]
    if row["trace_header"]:
        body["traceHeader"] = row["trace_header"]
    body["redriveCount"] = row["redrive_count"]
    if row["redrive_date"] is not None:
        body["redriveDate"] = utc(row["redrive_date"])
    body["redriveStatus"] = ("REDRIVABLE" if row["status"] in ("FAILED", "TIMED_OUT", "ABORTED")
                             else "NOT_REDRIVABLE")
    return body


__all__ = ["LocalStepFunctionsClient", "json"]
