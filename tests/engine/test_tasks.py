"""Task integrations in the engine: callbacks, .sync jobs, retries, timeouts, Map/Parallel."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagestep.engine.client import LocalStepFunctionsClient
from sagestep.engine.lambda_tasks import lambda_integrations
from sagestep.engine.lambdas import LambdaError
from sagestep.engine.service import EngineService
from sagestep.engine.timers import WarpClock
from sagestep.integrations.services import sagemaker_integrations
from sagestep.workspace import Workspace
from tests.engine.helpers import ROLE

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"


class FakeSageMaker:
    """boto3-shaped: jobs finish after ``polls`` describes with ``final`` status."""

    def __init__(self, final: str = "Completed", polls: int = 2) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.creates: list[str] = []
        self.stops: list[str] = []
        self.final, self.polls = final, polls

    def create_training_job(self, **req: Any) -> dict[str, Any]:
        name = req["TrainingJobName"]
        if name in self.jobs:
            raise ClientError({"Error": {"Code": "ValidationException",
                                         "Message": "Job name must be unique"}},
                              "CreateTrainingJob")
        self.creates.append(name)
        self.jobs[name] = {"left": self.polls, "req": req}
        return {"TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}"}

    def describe_training_job(self, TrainingJobName: str) -> dict[str, Any]:
        job = self.jobs.get(TrainingJobName)
        if job is None:
            raise ClientError({"Error": {"Code": "ValidationException",
                                         "Message": "Requested resource not found."}},
                              "DescribeTrainingJob")
        job["left"] -= 1
        status = "InProgress" if job["left"] > 0 else self.final
        out = {"TrainingJobName": TrainingJobName, "TrainingJobStatus": status}
        if status == "Failed":
            out["FailureReason"] = "AlgorithmError: boom"
        return out

    def stop_training_job(self, TrainingJobName: str) -> None:
        self.stops.append(TrainingJobName)


class Env:
    def __init__(self, tmp_path, sm: FakeSageMaker | None = None,
                 handlers: dict[str, Any] | None = None) -> None:
        self.sm = sm or FakeSageMaker()
        self.handlers = handlers or {}

        def invoke(name: str, event: Any) -> Any:
            try:
                return self.handlers[name.split(":")[-1]](event)
            except Exception as exc:  # noqa: BLE001
                raise LambdaError(type(exc).__name__,
                                  json.dumps({"errorMessage": str(exc)})) from exc

        table: dict[str, Any] = {**lambda_integrations(invoke),
                                 **sagemaker_integrations(lambda: self.sm, poll_seconds=5)}
        self.clock = WarpClock()
        self.svc = EngineService(Workspace.resolve(tmp_path), table, self.clock)
        self.sfn = LocalStepFunctionsClient(SimpleNamespace(engine=self.svc))

    def start(self, definition: dict[str, Any], data: Any = None) -> str:
        name = f"m{len(self.sfn.list_state_machines()['stateMachines'])}"
        arn = self.sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                            roleArn=ROLE)["stateMachineArn"]
        return str(self.sfn.start_execution(stateMachineArn=arn,
                                            input=json.dumps(data or {}))["executionArn"])

    def finish(self, arn: str, timeout: float = 15) -> dict[str, Any]:
        self.svc.wait(arn, timeout=timeout)
        return dict(self.sfn.describe_execution(executionArn=arn))

    def events(self, arn: str) -> list[dict[str, Any]]:
        return list(self.sfn.get_execution_history(executionArn=arn)["events"])


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.svc.close()


def _token(env: Env, arn: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for e in env.events(arn):
            if e["type"] == "TaskScheduled":
                return str(json.loads(e["taskScheduledEventDetails"]["parameters"])["Payload"]["t"])
        time.sleep(0.02)
    raise AssertionError("no TaskScheduled")


CALLBACK = {"StartAt": "Ask", "States": {"Ask": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters": {"FunctionName": "notify", "Payload": {"t.$": "$$.Task.Token"}},
    "ResultPath": "$.answer", "End": True}}}


def test_task_token_success_from_another_client(env, tmp_path) -> None:
    env.handlers["notify"] = lambda event: {"sent": True}
    arn = env.start(CALLBACK, {"x": 1})
    token = _token(env, arn)
    time.sleep(0.2)
    assert env.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    # Another process's client on the same workspace answers (no worker there).
    other = EngineService(Workspace.resolve(tmp_path), {}, env.clock, background=False)
    LocalStepFunctionsClient(SimpleNamespace(engine=other)).send_task_success(
        taskToken=token, output='{"approved": true}')
    desc = env.finish(arn)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"]) == {"x": 1, "answer": {"approved": True}}
    kinds = [e["type"] for e in env.events(arn)]
    assert kinds[2:7] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded",
                          "TaskStateExited"]
    with pytest.raises(ClientError) as exc:
        env.sfn.send_task_success(taskToken=token, output="{}")
    assert exc.value.response["Error"]["Code"] == "TaskDoesNotExist"


def test_task_token_failure_is_catchable(env) -> None:
    env.handlers["notify"] = lambda event: None
    definition = json.loads(json.dumps(CALLBACK))
    definition["States"]["Ask"]["Catch"] = [{"ErrorEquals": ["Rejected"], "Next": "No"}]
    definition["States"]["No"] = {"Type": "Pass", "End": True}
    arn = env.start(definition)
    env.sfn.send_task_failure(taskToken=_token(env, arn), error="Rejected", cause="nope")
    desc = env.finish(arn)
    assert json.loads(desc["output"]) == {"Error": "Rejected", "Cause": "nope"}


def test_unknown_token_and_bad_output(env) -> None:
    with pytest.raises(ClientError) as exc:
        env.sfn.send_task_success(taskToken="nope", output="{}")
    assert exc.value.response["Error"]["Code"] == "InvalidToken"  # not a token of ours
    with pytest.raises(ClientError) as exc:
        env.sfn.send_task_success(taskToken="A" * 88, output="{}")
    assert exc.value.response["Error"]["Code"] == "TaskDoesNotExist"
    env.handlers["notify"] = lambda event: None
    arn = env.start(CALLBACK)
    with pytest.raises(ClientError) as exc:
        env.sfn.send_task_success(taskToken=_token(env, arn), output="{not json")
    assert exc.value.response["Error"]["Code"] == "InvalidOutput"


def test_heartbeat_timeout(env) -> None:
    env.handlers["notify"] = lambda event: None
    definition = json.loads(json.dumps(CALLBACK))
    definition["States"]["Ask"]["HeartbeatSeconds"] = 30
    arn = env.start(definition)
    token = _token(env, arn)
    desc = env.finish(arn)
    assert (desc["status"], desc["error"]) == ("FAILED", "States.HeartbeatTimeout")
    assert "TaskTimedOut" in [e["type"] for e in env.events(arn)]
    with pytest.raises(ClientError) as exc:
        env.sfn.send_task_heartbeat(taskToken=token)
    assert exc.value.response["Error"]["Code"] == "TaskTimedOut"


def test_retry_backoff_is_a_stored_timer(env) -> None:
    attempts: list[float] = []

    def flaky(event):
        attempts.append(env.clock.now())
        raise RuntimeError("again")

    env.handlers["flaky"] = flaky
    t0 = time.monotonic()
    arn = env.start({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": LAMBDA + "flaky", "End": True,
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "BackoffRate": 3,
                   "MaxAttempts": 3, "MaxDelaySeconds": 50}]}}})
    desc = env.finish(arn)
    assert time.monotonic() - t0 < 5  # 10 + 30 + 50 s of back-off took no real time
    assert (desc["status"], desc["error"]) == ("FAILED", "RuntimeError")
    gaps = [round(b - a) for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps == [10, 30, 50]
    kinds = [e["type"] for e in env.events(arn)]
    assert kinds.count("LambdaFunctionScheduled") == 4 and kinds.count("TaskStateEntered") == 1


def test_sync_job_succeeds_with_describe_output(env) -> None:
    arn = env.start({"StartAt": "Train", "States": {"Train": {
        "Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
        "Parameters": {"TrainingJobName.$": "$.name"}, "End": True}}}, {"name": "job-1"})
    desc = env.finish(arn)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"]) == {"TrainingJobName": "job-1",
                                          "TrainingJobStatus": "Completed"}
    assert env.sm.creates == ["job-1"]
    kinds = [e["type"] for e in env.events(arn)]
    assert kinds[1:7] == ["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
                          "TaskSucceeded", "TaskStateExited"]


def test_failed_job_and_api_error(tmp_path) -> None:
    env = Env(tmp_path, FakeSageMaker(final="Failed"))
    try:
        train = {"StartAt": "Train", "States": {"Train": {
            "Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
            "Parameters": {"TrainingJobName.$": "$.name"}, "End": True}}}
        desc = env.finish(env.start(train, {"name": "bad"}))
        assert (desc["status"], desc["error"]) == ("FAILED", "States.TaskFailed")
        assert json.loads(desc["cause"])["FailureReason"] == "AlgorithmError: boom"
        desc = env.finish(env.start(train, {"name": "bad"}))  # name already used
        assert desc["error"] == "SageMaker.AmazonSageMakerException"
        assert "Job name must be unique" in desc["cause"]
        assert env.sm.creates == ["bad"]
    finally:
        env.svc.close()


def test_sync_job_timeout_stops_the_job(env) -> None:
    env.sm.polls = 1000
    arn = env.start({"StartAt": "Train", "States": {"Train": {
        "Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
        "TimeoutSeconds": 12, "Parameters": {"TrainingJobName": "slow"}, "End": True}}})
    desc = env.finish(arn)
    assert (desc["status"], desc["error"]) == ("FAILED", "States.Timeout")
    assert env.sm.stops == ["slow"]


def test_lambda_invoke_result_shape(env) -> None:
    env.handlers["echo"] = lambda event: {"got": event}
    arn = env.start({"StartAt": "L", "States": {"L": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": LAMBDA + "echo", "Payload.$": "$"}, "End": True}}},
        {"a": 1})
    out = json.loads(env.finish(arn)["output"])
    assert out["Payload"] == {"got": {"a": 1}} and out["StatusCode"] == 200
    assert set(out) == {"ExecutedVersion", "Payload", "StatusCode", "SdkHttpMetadata",
                        "SdkResponseMetadata"}


def test_map_tolerated_failures_and_parallel_failure(env) -> None:
    def maybe(event):
        if event % 3 == 0:
            raise ValueError(f"item {event}")
        return event

    env.handlers["maybe"] = maybe
    body = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA + "maybe",
                                             "End": True}}}
    tolerant = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemProcessor": body, "MaxConcurrency": 2,
        "ToleratedFailureCount": 4, "End": True}}}
    desc = env.finish(env.start(tolerant, list(range(1, 10))))
    out = json.loads(desc["output"])
    assert desc["status"] == "SUCCEEDED" and out[0] == 1 and out[2]["Error"] == "ValueError"
    strict = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemProcessor": body, "ToleratedFailureCount": 1, "End": True}}}
    desc = env.finish(env.start(strict, list(range(1, 10))))
    assert desc["error"] == "States.ExceedToleratedFailureThreshold"
    plain = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": body,
                                              "End": True}}}
    desc = env.finish(env.start(plain, [1, 3, 4]))
    assert (desc["error"], json.loads(desc["cause"])["errorMessage"]) == ("ValueError", "item 3")
    par = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "BranchBroke"}}},
        {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 100, "End": True}}}]}}}
    arn = env.start(par)
    desc = env.finish(arn)
    assert desc["error"] == "BranchBroke"
    assert "ParallelStateFailed" in [e["type"] for e in env.events(arn)]
