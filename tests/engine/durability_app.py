"""The workload of the durability test: machines, Lambda handlers, a slow fake job service.

Run as a worker process: ``python -m tests.engine.durability_app HOME JOBS_DB``.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from typing import Any

from botocore.exceptions import ClientError

from sagestep.clock import SystemClock
from sagestep.engine.lambda_tasks import lambda_integrations
from sagestep.engine.lambdas import LambdaError
from sagestep.engine.service import EngineService
from sagestep.integrations.services import sagemaker_integrations
from sagestep.workspace import Workspace

JOB_SECONDS = 0.6
CREATE_REPLY_SECONDS = 0.4


class FakeSageMaker:
    """A boto3-shaped slow job service recording every successful create in SQLite."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, timeout=30, isolation_level=None,
                                    check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS jobs (name TEXT PRIMARY KEY,"
                          " created REAL, request TEXT)")
        self.conn.execute("CREATE TABLE IF NOT EXISTS creates (name TEXT, at REAL)")
        # A create whose reply has not been returned yet: the test kills the worker then.
        self.conn.execute("CREATE TABLE IF NOT EXISTS inflight (name TEXT)")
        self.lock = threading.Lock()

    def create_training_job(self, **request: Any) -> dict[str, Any]:
        name = request["TrainingJobName"]
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                if self.conn.execute("SELECT 1 FROM jobs WHERE name = ?", (name,)).fetchone():
                    raise ClientError({"Error": {"Code": "ValidationException", "Message":
                                                 f"Job {name} already exists"}},
                                      "CreateTrainingJob")
                self.conn.execute("INSERT INTO jobs VALUES (?, ?, ?)",
                                  (name, time.time(), json.dumps(request)))
                self.conn.execute("INSERT INTO creates VALUES (?, ?)", (name, time.time()))
                self.conn.execute("INSERT INTO inflight VALUES (?)", (name,))
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        time.sleep(CREATE_REPLY_SECONDS)  # a slow reply: a kill here loses the response
        with self.lock:
            self.conn.execute("DELETE FROM inflight WHERE name = ?", (name,))
        return {"TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}"}

    def describe_training_job(self, TrainingJobName: str) -> dict[str, Any]:
        with self.lock:
            row = self.conn.execute("SELECT created, request FROM jobs WHERE name = ?",
                                    (TrainingJobName,)).fetchone()
        if row is None:
            raise ClientError({"Error": {"Code": "ValidationException",
                                         "Message": "Requested resource not found."}},
                              "DescribeTrainingJob")
        done = time.time() - row[0] >= JOB_SECONDS
        request = json.loads(row[1])
        return {"TrainingJobName": TrainingJobName,
                "TrainingJobStatus": "Completed" if done else "InProgress",
                "HyperParameters": request.get("HyperParameters", {})}

    def stop_training_job(self, TrainingJobName: str) -> None:
        return None


def flaky(event: Any, context: Any) -> Any:
    """Fails while the state's retry count is below 2 (deterministic across restarts)."""
    if event["retry"] < 2:
        raise RuntimeError(f"attempt {event['retry']} failed")
    return {"value": event["value"] * 10}


def double(event: Any, context: Any) -> Any:
    return event * 2


def send_token(event: Any, context: Any) -> Any:
    return {"sent": True}


HANDLERS = {"flaky": flaky, "double": double, "send_token": send_token}


def integrations(jobs_db: str) -> dict[str, Any]:
    fake = FakeSageMaker(jobs_db)

    def invoke(name: str, event: Any) -> Any:
        handler = HANDLERS[name.split(":")[-1]]
        try:
            return json.loads(json.dumps(handler(event, None)))
        except Exception as exc:  # noqa: BLE001 - shaped as a Lambda function error
            raise LambdaError(type(exc).__name__, json.dumps({"errorMessage": str(exc)})) from exc

    table: dict[str, Any] = {}
    table.update(lambda_integrations(invoke))
    table.update(sagemaker_integrations(lambda: fake, poll_seconds=0.2))
    return table


def service(home: str, jobs_db: str, background: bool) -> EngineService:
    return EngineService(Workspace.resolve(home), integrations(jobs_db), SystemClock(),
                         background=background)


LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"


def _pass_chain(n: int, then: str) -> dict[str, Any]:
    states = {f"P{i}": {"Type": "Pass", "Result": i, "ResultPath": f"$.p{i}",
                        "Next": f"P{i + 1}" if i + 1 < n else then} for i in range(n)}
    return states


MACHINES: dict[str, dict[str, Any]] = {
    "wait": {"StartAt": "P0", "States": {
        **_pass_chain(3, "W"),
        "W": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"waited.$": "$.p2"}, "End": True}}},
    "retry": {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA + "flaky",
              "Parameters": {"retry.$": "$$.State.RetryCount", "value.$": "$.v"},
              "Retry": [{"ErrorEquals": ["RuntimeError"], "IntervalSeconds": 1,
                         "BackoffRate": 1.5, "MaxAttempts": 3}], "End": True}}},
    "map": {"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 3,
              "ItemProcessor": {"StartAt": "D", "States": {
                  "D": {"Type": "Task", "Resource": LAMBDA + "double", "Next": "Pw"},
                  "Pw": {"Type": "Wait", "Seconds": 1, "End": True}}}, "End": True}}},
    "parallel": {"StartAt": "Par", "States": {
        "Par": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "P0", "States": _pass_chain(5, "BW") | {
                "BW": {"Type": "Wait", "Seconds": 1, "End": True}}},
            {"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": LAMBDA + "double",
                                              "InputPath": "$.v", "End": True}}},
        ]}}},
    "sync": {"StartAt": "Train", "States": {
        "Train": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                  "Parameters": {"TrainingJobName.$": "$.job",
                                 "HyperParameters": {"v.$": "States.Format('{}', $.v)"}},
                  "ResultSelector": {"status.$": "$.TrainingJobStatus",
                                     "hp.$": "$.HyperParameters"}, "End": True}}},
    "token": {"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "send_token", "Payload": {"t.$": "$$.Task.Token"}},
                "ResultPath": "$.answer", "Next": "After"},
        "After": {"Type": "Pass", "End": True}}},
}


def inputs(kind: str, n: int) -> dict[str, Any]:
    return {"v": n, "items": list(range(n, n + 8)), "job": f"job-{kind}-{n}"}


def main() -> None:
    home, jobs_db = sys.argv[1], sys.argv[2]
    service(home, jobs_db, background=False).serve()


if __name__ == "__main__":
    main()
