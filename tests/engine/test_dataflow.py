"""State input/output in both query languages, Catch output, Map/Wait/Fail/Task fields."""

from __future__ import annotations

from typing import Any

import pytest

from sagestep.asl import Fail, Map, Task, Wait, parse_definition
from sagestep.asl.states import State
from sagestep.engine import context
from sagestep.engine.dataflow import catch_output, check_size, state_input, state_output
from sagestep.engine.state_fields import (
    fail_error_cause,
    item_input,
    map_items,
    map_limits,
    task_timeouts,
    wait_until,
)
from sagestep.engine.states_error import StatesError

CTX = {"Execution": {"Name": "run-1"}, "State": {"Name": "S"}}
TASK = "arn:aws:states:::lambda:invoke"


def state(body: dict[str, Any], language: str = "JSONPath") -> State:
    end = {} if body["Type"] in ("Fail", "Succeed", "Choice") else {"End": True}
    definition = {"QueryLanguage": language, "StartAt": "S", "States": {"S": {**body, **end}}}
    return parse_definition(definition).states["S"]


def test_jsonpath_task_pipeline() -> None:
    task = state({
        "Type": "Task", "Resource": TASK, "InputPath": "$.in",
        "Parameters": {"name.$": "$$.Execution.Name", "x.$": "$.x", "v.$": "$var", "f.$": "States.Format('{}-{}', $.x, $var)", "k": 1},
        "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.out.r", "OutputPath": "$.out",
        "Assign": {"last.$": "$.p"},
    })
    raw = {"in": {"x": 2}, "keep": True}
    effective = state_input(task, raw, CTX, {"var": "v"})
    assert effective == {"name": "run-1", "x": 2, "v": "v", "f": "2-v", "k": 1}
    output, assigned = state_output(task, raw, {"Payload": 42}, CTX, {"var": "v"})
    assert output == {"r": {"p": 42}}
    assert assigned == {"last": 42}


def test_jsonpath_null_paths() -> None:
    task = state({"Type": "Task", "Resource": TASK, "InputPath": None, "ResultPath": None})
    assert state_input(task, {"a": 1}, CTX, {}) == {}
    assert state_output(task, {"a": 1}, "ignored", CTX, {}) == ({"a": 1}, {})


def test_output_path_sees_variables_before_assignment() -> None:
    pass_state = state({"Type": "Pass", "OutputPath": "$x", "Assign": {"x": "new"}})
    assert state_output(pass_state, {}, {}, CTX, {"x": "old"}) == ("old", {"x": "new"})


def test_missing_paths_are_runtime_errors_with_aws_text() -> None:
    pass_state = state({"Type": "Pass", "Parameters": {"value.$": "$.nope"}})
    with pytest.raises(StatesError) as info:
        state_input(pass_state, {"a": 1}, CTX, {})
    assert info.value.error == "States.Runtime"
    assert info.value.cause == (
        "The JSONPath '$.nope' specified for the field 'value.$' could not be found in the input '{\"a\":1}'"
    )
    assert info.value.full_cause("S", 2).startswith(
        "An error occurred while executing the state 'S' (entered at the event id #2). The JSONPath"
    )
    with pytest.raises(StatesError, match="Invalid path '\\$.nope' : No results for path: \\$\\['nope'\\]"):
        state_input(state({"Type": "Pass", "InputPath": "$.nope"}), {"a": 1}, CTX, {})


def test_jsonata_arguments_output_assign() -> None:
    task = state({
        "Type": "Task", "Resource": TASK,
        "Arguments": {"n": "{% $states.input.n + $inc %}", "ctx": "{% $states.context.Execution.Name %}"},
        "Output": {"r": "{% $states.result.v %}", "old": "{% $inc %}"},
        "Assign": {"inc": "{% $inc + 1 %}", "seen": "{% $states.result.v %}"},
    }, "JSONata")
    assert state_input(task, {"n": 1}, CTX, {"inc": 10}) == {"n": 11, "ctx": "run-1"}
    output, assigned = state_output(task, {"n": 1}, {"v": "x"}, CTX, {"inc": 10})
    assert output == {"r": "x", "old": 10}
    assert assigned == {"inc": 11, "seen": "x"}


def test_jsonata_errors_name_the_field() -> None:
    pass_state = state({"Type": "Pass", "Output": {"result": "{% $nope %}"}}, "JSONata")
    with pytest.raises(StatesError) as info:
        state_output(pass_state, {}, {}, CTX, {})
    assert info.value.error == "States.QueryEvaluationError"
    assert info.value.cause == (
        "The JSONata expression '$nope' specified for the field 'Output/result' returned nothing (undefined)."
    )


def test_catch_outputs() -> None:
    error = {"Error": "E", "Cause": "c"}
    jsonpath = state({"Type": "Task", "Resource": TASK, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S", "ResultPath": "$.err"}]})
    assert isinstance(jsonpath, Task)
    assert catch_output(jsonpath, jsonpath.catch[0], {"a": 1}, error, CTX, {}) == ({"a": 1, "err": error}, {})
    jsonata = state({"Type": "Task", "Resource": TASK, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S", "Assign": {"e": "{% $states.errorOutput.Error %}"}}]}, "JSONata")
    assert isinstance(jsonata, Task)
    assert catch_output(jsonata, jsonata.catch[0], {"a": 1}, error, CTX, {}) == (error, {"e": "E"})


def test_map_fields() -> None:
    body = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    jsonpath = state({"Type": "Map", "ItemsPath": "$.xs", "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "k.$": "$.k"},
                      "MaxConcurrencyPath": "$.mc", "ToleratedFailurePercentage": 10, "ItemProcessor": body})
    assert isinstance(jsonpath, Map)
    raw = {"xs": ["a", "b"], "k": 0, "mc": "2"}
    assert map_items(jsonpath, raw, CTX, {}) == ["a", "b"]
    item_ctx = context.map_item_context(CTX, 1, "b")
    assert item_input(jsonpath, "b", raw, item_ctx, {}) == {"v": "b", "i": 1, "k": 0}
    limits = map_limits(jsonpath, raw, CTX, {})
    assert (limits.max_concurrency, limits.tolerated_count, limits.tolerated_percentage) == (2, None, 10.0)
    with pytest.raises(StatesError, match='refers to value "NoNumber" which is not a valid integer: \\$.mc'):
        map_limits(jsonpath, {**raw, "mc": "NoNumber"}, CTX, {})
    jsonata = state({"Type": "Map", "Items": "{% $states.input.xs %}", "ItemProcessor": body}, "JSONata")
    assert isinstance(jsonata, Map)
    with pytest.raises(StatesError, match="Expected 'array', but was 'null' for value: null"):
        map_items(jsonata, {"xs": None}, CTX, {})


def test_wait_fields() -> None:
    seconds = state({"Type": "Wait", "SecondsPath": "$.s"})
    assert isinstance(seconds, Wait)
    assert wait_until(seconds, {"s": 5}, CTX, {}, 100.0) == 105.0
    with pytest.raises(StatesError, match="references a negative value: \\$.s == -1"):
        wait_until(seconds, {"s": -1}, CTX, {}, 100.0)
    stamp = state({"Type": "Wait", "Timestamp": "{% $states.input.t %}"}, "JSONata")
    assert isinstance(stamp, Wait)
    assert wait_until(stamp, {"t": "1970-01-01T00:01:00Z"}, CTX, {}, 0.0) == 60.0
    with pytest.raises(StatesError, match="cannot be parsed as an ISO-8601 extended offset date-time format string: 2016-12-05T21:29:29"):
        wait_until(stamp, {"t": "2016-12-05T21:29:29"}, CTX, {}, 0.0)


def test_task_and_fail_fields() -> None:
    task = state({"Type": "Task", "Resource": TASK, "TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 5})
    assert isinstance(task, Task)
    assert task_timeouts(task, {"t": 30}, CTX, {}) == (30, 5)
    fail = state({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('bad {}', $.e)"})
    assert isinstance(fail, Fail)
    assert fail_error_cause(fail, {"e": "X"}, CTX, {}) == ("X", "bad X")


def test_payload_limit() -> None:
    check_size({"x": "a" * 1000}, "S")
    with pytest.raises(StatesError) as info:
        check_size({"x": "a" * 262144}, "S")
    assert info.value.error == "States.DataLimitExceeded"
    assert info.value.full_cause("S", 2) == (
        "The state/task 'S' returned a result with a size exceeding the maximum number of bytes service limit."
    )


def test_item_batcher_groups_items() -> None:
    from sagestep.engine.batching import batch_inputs

    body = {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    by_count = state({"Type": "Map", "ItemBatcher": {"MaxItemsPerBatchPath": "$.n", "BatchInput": {"k.$": "$.k"}}, "ItemProcessor": body})
    assert isinstance(by_count, Map)
    assert batch_inputs(by_count, [1, 2, 3], {"n": 2, "k": 0}, CTX, {}) == [
        {"BatchInput": {"k": 0}, "Items": [1, 2]},
        {"BatchInput": {"k": 0}, "Items": [3]},
    ]
    by_bytes = state({"Type": "Map", "ItemBatcher": {"MaxInputBytesPerBatch": 8}, "ItemProcessor": body})
    assert isinstance(by_bytes, Map)
    assert batch_inputs(by_bytes, ["aa", "bb", "cc"], {}, CTX, {}) == [{"Items": ["aa", "bb"]}, {"Items": ["cc"]}]


def test_context_object_builders() -> None:
    base = context.execution_context(
        execution_arn="arn:e", name="e", execution_input={"a": 1}, start_time="t0", role_arn="arn:r",
        state_machine_arn="arn:sm", state_machine_name="sm",
    )
    task_ctx = context.state_context(base, state_name="T", entered_time="t1", retry_count=2, task_token="tok")
    assert task_ctx == {
        "Execution": {"Id": "arn:e", "Input": {"a": 1}, "StartTime": "t0", "Name": "e", "RoleArn": "arn:r", "RedriveCount": 0},
        "StateMachine": {"Id": "arn:sm", "Name": "sm"},
        "State": {"EnteredTime": "t1", "Name": "T", "RetryCount": 2},
        "Task": {"Token": "tok"},
    }
    assert "RetryCount" not in context.state_context(base, state_name="P", entered_time="t1")["State"]
    assert context.map_item_context(task_ctx, 3, "x")["Map"] == {"Item": {"Index": 3, "Value": "x"}}
    express = context.execution_context(
        execution_arn="a", name="n", execution_input={}, start_time="t", role_arn="r",
        state_machine_arn="s", state_machine_name="s", redrive_count=None,
    )
    assert "RedriveCount" not in express["Execution"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ToleratedFailureCountPath": "$.v"}, "ToleratedFailureCount cannot be negative."),
        ({"ToleratedFailurePercentagePath": "$.v"}, "ToleratedFailurePercentage must be between 0 and 100."),
    ],
)
def test_map_limit_errors(fields: dict[str, Any], message: str) -> None:
    body = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    map_state = state({"Type": "Map", "ItemProcessor": body, **fields})
    assert isinstance(map_state, Map)
    with pytest.raises(StatesError) as info:
        map_limits(map_state, {"v": -1}, CTX, {})
    assert (info.value.error, info.value.cause) == ("States.Runtime", message)
