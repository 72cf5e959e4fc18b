"""The boto3-shaped client: argument names, response shapes, AWS error codes."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from tests.engine.helpers import ROLE, events, machine, run, runtime, types

PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
WAIT_LONG = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}}
TOKEN = {"StartAt": "T", "States": {"T": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters": {"FunctionName": "noop", "Payload": {"t.$": "$$.Task.Token"}},
    "End": True}}}


@pytest.fixture
def rt(tmp_path):
    runtime_ = runtime(tmp_path)
    yield runtime_
    runtime_.engine.close()


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_state_machine_lifecycle(rt) -> None:
    sfn = rt.client("stepfunctions")
    created = sfn.create_state_machine(name="flow", definition=json.dumps(PASS), roleArn=ROLE)
    arn = created["stateMachineArn"]
    assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:flow"
    assert isinstance(created["creationDate"], datetime) and created["creationDate"].tzinfo
    desc = sfn.describe_state_machine(stateMachineArn=arn)
    assert (desc["name"], desc["status"], desc["type"], desc["roleArn"]) == (
        "flow", "ACTIVE", "STANDARD", ROLE)
    assert json.loads(desc["definition"]) == PASS
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(WAIT_LONG))
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == WAIT_LONG
    assert [m["name"] for m in sfn.list_state_machines()["stateMachines"]] == ["flow"]
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert code(exc) == "StateMachineDoesNotExist"


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"name": "bad name", "definition": json.dumps(PASS)}, "InvalidName"),
    ({"name": "x" * 81, "definition": json.dumps(PASS)}, "InvalidName"),
    ({"name": "ok", "definition": json.dumps({"StartAt": "Nope", "States": {}})},
     "InvalidDefinition"),
    ({"name": "ok", "definition": "{not json"}, "InvalidDefinition"),
])
def test_create_rejects_bad_input(rt, kwargs, expected) -> None:
    with pytest.raises(ClientError) as exc:
        rt.client("stepfunctions").create_state_machine(roleArn=ROLE, **kwargs)
    assert code(exc) == expected


def test_invalid_definition_names_state_and_field(rt) -> None:
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}}
    with pytest.raises(ClientError) as exc:
        machine(rt.client("stepfunctions"), bad)
    message = exc.value.response["Error"]["Message"]
    assert "Missing" in message and "/States/A" in message


def test_unknown_arns(rt) -> None:
    sfn = rt.client("stepfunctions")
    with pytest.raises(ClientError) as exc:
        sfn.describe_execution(executionArn="not-an-arn")
    assert code(exc) == "InvalidArn"
    with pytest.raises(ClientError) as exc:
        sfn.describe_execution(
            executionArn="arn:aws:states:us-east-1:123456789012:execution:m:nope")
    assert code(exc) == "ExecutionDoesNotExist"
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(
            stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:nope")
    assert code(exc) == "StateMachineDoesNotExist"


def test_execution_names_and_idempotent_start(rt) -> None:
    sfn = rt.client("stepfunctions")
    rt.lambdas.register("noop", lambda event, context: None)
    arn = machine(sfn, TOKEN)
    for bad in ("has space", "a/b", "x" * 81, ""):
        with pytest.raises(ClientError) as exc:
            sfn.start_execution(stateMachineArn=arn, name=bad)
        assert code(exc) == "InvalidName"
    first = sfn.start_execution(stateMachineArn=arn, name="run-1", input='{"a": 1}')
    again = sfn.start_execution(stateMachineArn=arn, name="run-1", input='{"a": 1}')
    assert again["executionArn"] == first["executionArn"]
    assert first["executionArn"] == "arn:aws:states:us-east-1:123456789012:execution:m:run-1"
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn=arn, name="run-1", input='{"a": 2}')
    assert code(exc) == "ExecutionAlreadyExists"
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn=arn, input="{nope")
    assert code(exc) == "InvalidExecutionInput"


def test_describe_list_and_history(rt) -> None:
    sfn = rt.client("stepfunctions")
    desc = run(rt, {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "B"},
        "B": {"Type": "Succeed"}}}, {"in": True})
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"]) == {"in": True, "r": {"x": 1}}
    assert desc["startDate"].tzinfo and desc["stopDate"] >= desc["startDate"]
    arn = desc["executionArn"]
    assert types(rt, arn) == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                              "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]
    evs = events(rt, arn)
    assert [e["id"] for e in evs] == [1, 2, 3, 4, 5, 6]
    assert [e["previousEventId"] for e in evs] == [0, 0, 2, 3, 4, 5]
    assert evs[1]["stateEnteredEventDetails"] == {
        "name": "A", "input": '{"in":true}', "inputDetails": {"truncated": False}}
    page = sfn.get_execution_history(executionArn=arn, maxResults=4)
    assert [e["id"] for e in page["events"]] == [1, 2, 3, 4]
    rest = sfn.get_execution_history(executionArn=arn, maxResults=4, nextToken=page["nextToken"])
    assert [e["id"] for e in rest["events"]] == [5, 6] and "nextToken" not in rest
    back = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=2)
    assert [e["id"] for e in back["events"]] == [6, 5]
    lean = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert "input" not in lean[1]["stateEnteredEventDetails"]
    listed = sfn.list_executions(stateMachineArn=desc["stateMachineArn"])["executions"]
    assert [(e["executionArn"], e["status"]) for e in listed] == [(arn, "SUCCEEDED")]
    assert sfn.list_executions(stateMachineArn=desc["stateMachineArn"],
                               statusFilter="RUNNING")["executions"] == []


def test_failure_and_catch(rt) -> None:
    desc = run(rt, {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom",
                                                     "Cause": "because"}}})
    assert (desc["status"], desc["error"], desc["cause"]) == ("FAILED", "Boom", "because")


def test_stop_execution(rt) -> None:
    sfn = rt.client("stepfunctions")
    arn = machine(sfn, TOKEN)
    rt.lambdas.register("noop", lambda event, context: None)
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    rt.engine.wait(ex, timeout=0.5)
    stopped = sfn.stop_execution(executionArn=ex, error="Manual", cause="operator")
    assert stopped["stopDate"].tzinfo
    desc = sfn.describe_execution(executionArn=ex)
    assert (desc["status"], desc["error"], desc["cause"]) == ("ABORTED", "Manual", "operator")
    assert types(rt, ex)[-2:] == ["TaskStateAborted", "ExecutionAborted"]


def test_execution_timeout(rt) -> None:
    desc = run(rt, {"TimeoutSeconds": 2, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 60, "End": True}}})
    assert (desc["status"], desc["error"]) == ("TIMED_OUT", "States.Timeout")
    assert types(rt, desc["executionArn"])[-1] == "ExecutionTimedOut"


def test_redrive_after_failure(rt) -> None:
    calls = {"n": 0}

    def flaky(event, context):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("first call fails")
        return {"ok": calls["n"]}

    rt.lambdas.register("flaky", flaky)
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Result": 1, "ResultPath": "$.p", "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
              "End": True}}}
    desc = run(rt, definition)
    assert (desc["status"], desc["error"]) == ("FAILED", "ValueError")
    assert json.loads(desc["cause"])["errorMessage"] == "first call fails"
    sfn = rt.client("stepfunctions")
    sfn.redrive_execution(executionArn=desc["executionArn"])
    rt.engine.wait(desc["executionArn"], timeout=10)
    again = sfn.describe_execution(executionArn=desc["executionArn"])
    assert (again["status"], json.loads(again["output"]), again["redriveCount"]) == (
        "SUCCEEDED", {"ok": 2}, 1)
    kinds = types(rt, desc["executionArn"])
    assert "ExecutionRedriven" in kinds and kinds.count("PassStateEntered") == 1
    with pytest.raises(ClientError) as exc:
        sfn.redrive_execution(executionArn=desc["executionArn"])
    assert code(exc) == "ExecutionNotRedrivable"


def test_express_sync_execution(rt) -> None:
    sfn = rt.client("stepfunctions")
    arn = machine(sfn, PASS, name="fast", type="EXPRESS")
    out = sfn.start_sync_execution(stateMachineArn=arn, input='{"a": 1}')
    assert out["status"] == "SUCCEEDED" and json.loads(out["output"]) == {"a": 1}
    assert ":express:" in out["executionArn"]
    with pytest.raises(ClientError) as exc:
        machine(sfn, {"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
            "End": True}}}, name="bad", type="EXPRESS")
    assert code(exc) == "InvalidDefinition" and ".sync" in exc.value.response["Error"]["Message"]
    standard = machine(sfn, PASS, name="slow")
    with pytest.raises(ClientError) as exc:
        sfn.start_sync_execution(stateMachineArn=standard)
    assert code(exc) == "StateMachineTypeNotSupported"


def test_unsupported_resource_lists_supported(rt) -> None:
    desc = run(rt, {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "End": True}}})
    assert desc["status"] == "FAILED"
    assert "dynamodb:getItem" in desc["cause"]
    assert "arn:aws:states:::lambda:invoke" in desc["cause"]


def test_history_limit_fails_endless_loops(rt) -> None:
    desc = run(rt, {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}, timeout=60)
    assert (desc["status"], desc["error"]) == ("FAILED", "States.Runtime")
    assert "25000" in desc["cause"]


def test_payload_limit(rt) -> None:
    big = "x" * 300_000
    desc = run(rt, {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": big, "End": True}}})
    assert (desc["status"], desc["error"]) == ("FAILED", "States.DataLimitExceeded")


def test_nested_executions(rt) -> None:
    sfn = rt.client("stepfunctions")
    child = machine(sfn, {"StartAt": "C", "States": {"C": {
        "Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": True}}},
        name="child")
    failing = machine(sfn, {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope"}}},
                      name="failing")
    parent = {"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}},
                "ResultSelector": {"out.$": "$.Output", "status.$": "$.Status"},
                "ResultPath": "$.child", "Next": "Legacy"},
        "Legacy": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
                   "Parameters": {"StateMachineArn": child, "Name": "named", "Input": {"n": 1}},
                   "ResultSelector": {"out.$": "$.Output"}, "ResultPath": "$.legacy",
                   "Next": "Bad"},
        "Bad": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
                "Parameters": {"StateMachineArn": failing}, "Catch": [
                    {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.err",
                     "Next": "Done"}], "End": True},
        "Done": {"Type": "Pass", "End": True}}}
    desc = run(rt, parent, {"n": 4}, name="parent")
    out = json.loads(desc["output"])
    assert out["child"] == {"out": {"doubled": 8}, "status": "SUCCEEDED"}
    assert out["legacy"] == {"out": '{"doubled":2}'}
    assert out["err"]["Error"] == "States.TaskFailed"
    assert json.loads(out["err"]["Cause"])["Status"] == "FAILED"
    children = sfn.list_executions(stateMachineArn=child)["executions"]
    assert sorted(e["status"] for e in children) == ["SUCCEEDED", "SUCCEEDED"]
