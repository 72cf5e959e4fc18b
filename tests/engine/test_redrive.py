"""RedriveExecution of a failed Map or Parallel re-runs only what did not succeed (as AWS)."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from sagestep.engine import interpreter
from tests.engine.helpers import events, machine, run, runtime

FN = "arn:aws:lambda:us-east-1:123456789012:function:"


@pytest.fixture
def rt(tmp_path):
    runtime_ = runtime(tmp_path)
    yield runtime_
    runtime_.engine.close()


def _flaky(rt, bad: set[int]) -> Counter[int]:
    """Lambda ``work``: fails for the items in ``bad`` the first time it sees them."""
    calls: Counter[int] = Counter()

    def work(event, context):
        calls[event["i"]] += 1
        if event["i"] in bad and calls[event["i"]] == 1:
            raise ValueError(f"item {event['i']} fails once")
        return event["i"] * 10

    rt.lambdas.register("work", work)
    return calls


def _redrive(rt, arn: str) -> dict:
    sfn = rt.client("stepfunctions")
    sfn.redrive_execution(executionArn=arn)
    rt.engine.wait(arn, timeout=20)
    desc: dict = sfn.describe_execution(executionArn=arn)
    return desc


@pytest.mark.parametrize(("concurrency", "batch"), [(0, 5000), (2, 5000), (1, 2)])
def test_map_redrive_reruns_only_failed_and_unstarted_iterations(rt, monkeypatch, concurrency,
                                                                  batch) -> None:
    monkeypatch.setattr(interpreter, "BATCH_EVENTS", batch)
    calls = _flaky(rt, {3})
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": concurrency, "End": True,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": FN + "work", "End": True}}}}}}
    desc = run(rt, definition, {"items": [{"i": i} for i in range(8)]})
    assert (desc["status"], desc["error"]) == ("FAILED", "ValueError")
    before = dict(calls)
    again = _redrive(rt, desc["executionArn"])
    assert again["status"] == "SUCCEEDED", again
    assert json.loads(again["output"]) == [i * 10 for i in range(8)]
    history = events(rt, desc["executionArn"])
    cut = next(n for n, e in enumerate(history) if e["type"] == "ExecutionRedriven")
    kept = {e["mapIterationSucceededEventDetails"]["index"] for e in history[:cut]
            if e["type"] == "MapIterationSucceeded"}
    assert kept and 3 not in kept
    # Iterations that succeeded are kept; the failed, aborted and unstarted ones run again.
    rerun = {i: calls[i] - before.get(i, 0) for i in range(8)}
    assert rerun == {i: 0 if i in kept else 1 for i in range(8)}
    redriven = [e for e in history[cut:] if e["type"] == "MapIterationStarted"]
    assert len(redriven) == 8 - len(kept)


def test_parallel_redrive_reruns_only_the_failed_branch(rt) -> None:
    # The last branch fails: the others' results are recorded first (an aborted branch, one
    # whose call ended but was not recorded yet, would run again, as on AWS).
    calls = _flaky(rt, {2})

    def branch(i: int) -> dict:
        return {"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": FN + "work", "Parameters": {"i": i}, "End": True}}}

    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [branch(i) for i in range(3)], "Next": "S"},
        "S": {"Type": "Pass", "Parameters": {"all.$": "$"}, "End": True}}}
    desc = run(rt, definition, {})
    assert desc["status"] == "FAILED"
    again = _redrive(rt, desc["executionArn"])
    assert (again["status"], json.loads(again["output"])) == ("SUCCEEDED", {"all": [0, 10, 20]})
    assert calls == Counter({0: 1, 1: 1, 2: 2})


def test_map_retry_still_reruns_every_iteration(rt) -> None:
    # A Retry re-runs the whole Map, as on AWS: results are kept for a redrive only.
    calls = _flaky(rt, {0})
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "Retry": [{"ErrorEquals": ["ValueError"], "MaxAttempts": 1, "IntervalSeconds": 1}],
        "ItemProcessor": {"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": FN + "work", "End": True}}}}}}
    desc = run(rt, definition, {"items": [{"i": i} for i in range(3)]})
    assert desc["status"] == "SUCCEEDED"
    assert calls == Counter({0: 2, 1: 2, 2: 2})


def test_stopped_map_redrive_keeps_finished_iterations(rt) -> None:
    rt.lambdas.register("noop", lambda event, context: None)
    body = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericEquals": 1,
                                             "Next": "T"}], "Default": "P"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
              "Parameters": {"FunctionName": "noop", "Payload": {"t.$": "$$.Task.Token"}},
              "ResultPath": "$.answer", "End": True},
        "P": {"Type": "Pass", "End": True}}}
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "ItemProcessor": body, "End": True}}}
    sfn = rt.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine(sfn, definition), input=json.dumps(
        {"items": [{"i": i} for i in range(3)]}))["executionArn"]
    token = _token(rt, arn)
    sfn.stop_execution(executionArn=arn, error="Stop", cause="by test")
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
    sfn.redrive_execution(executionArn=arn)
    fresh = _token(rt, arn, not_=token)
    sfn.send_task_success(taskToken=fresh, output='"yes"')
    rt.engine.wait(arn, timeout=20)
    desc = sfn.describe_execution(executionArn=arn)
    assert (desc["status"], json.loads(desc["output"])) == (
        "SUCCEEDED", [{"i": 0}, {"i": 1, "answer": "yes"}, {"i": 2}])
    history = events(rt, arn)
    cut = next(n for n, e in enumerate(history) if e["type"] == "ExecutionRedriven")
    assert [e["mapIterationStartedEventDetails"]["index"] for e in history[cut:]
            if e["type"] == "MapIterationStarted"] == [1]


def _token(rt, arn: str, not_: str | None = None) -> str:
    for _ in range(400):
        rows = rt.engine.journal.query("SELECT token FROM sfn_task_tokens WHERE execution_arn = ?"
                                       " AND status = 'WAITING'", (arn,))
        found = [r[0] for r in rows if r[0] != not_]
        if found:
            return str(found[0])
        time.sleep(0.025)
    raise AssertionError("no task token appeared")
