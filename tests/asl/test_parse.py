"""parse_definition: typed records, AWS-spelled to_dict, and InvalidDefinition messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagestep.asl import Catcher, Choice, Map, Pass, Retrier, Task, parse_definition
from sagestep.asl.record import OMIT
from sagestep.errors import DefinitionError

TRAIN = {
    "Comment": "train then choose",
    "StartAt": "Train",
    "States": {
        "Train": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
            "Parameters": {"TrainingJobName.$": "$$.Execution.Name"},
            "ResultPath": "$.training",
            "Retry": [{"ErrorEquals": ["SageMaker.AmazonSageMakerException"], "MaxAttempts": 5}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed", "ResultPath": "$.error"}],
            "Next": "Good?",
        },
        "Good?": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.training.Status", "StringEquals": "Completed", "Next": "Done"},
                {"Not": {"Variable": "$.x", "IsPresent": True}, "Next": "Failed"},
            ],
            "Default": "Failed",
        },
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "TrainingFailed", "CausePath": "$.error.Cause"},
    },
}


def test_records_are_typed_and_round_trip() -> None:
    machine = parse_definition(json.dumps(TRAIN))
    train = machine.states["Train"]
    assert isinstance(train, Task)
    assert train.retry == (Retrier(error_equals=("SageMaker.AmazonSageMakerException",), max_attempts=5),)
    assert train.catch == (Catcher(error_equals=("States.ALL",), next="Failed", result_path="$.error"),)
    assert train.next_names == ("Good?", "Failed")
    choice = machine.states["Good?"]
    assert isinstance(choice, Choice)
    assert choice.choices[0].operator == "StringEquals"
    assert choice.choices[1].not_ is not None and choice.choices[1].not_.operand is True
    assert machine.to_dict() == TRAIN


def test_defaults_are_aws_defaults_and_null_differs_from_absent() -> None:
    machine = parse_definition(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "ResultPath": None, "Result": None, "Next": "B"},
                "B": {"Type": "Pass", "End": True},
            },
        }
    )
    a, b = machine.states["A"], machine.states["B"]
    assert isinstance(a, Pass) and isinstance(b, Pass)
    assert (a.result_path, a.has_result, a.result) == (None, True, None)
    assert (b.result_path, b.input_path, b.has_result, b.output) == ("$", "$", False, OMIT)
    assert a.to_dict() == {"Type": "Pass", "Result": None, "ResultPath": None, "Next": "B"}


def test_query_language_is_inherited() -> None:
    machine = parse_definition(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "Items": "{% [1, 2] %}",
                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            },
        }
    )
    body = machine.states["M"]
    assert isinstance(body, Map) and body.jsonata
    assert body.body.states["P"].jsonata
    assert not body.distributed


def _problem(definition: dict[str, Any]) -> str:
    with pytest.raises(DefinitionError) as info:
        parse_definition(definition)
    return str(info.value)


def _one(state: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"StartAt": "A", "States": {"A": state, **more}}


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (_one({"Type": "Pass", "End": True, "Foo": 1}), "The field 'Foo' is not supported by Step Functions for a Pass state at /States/A/Foo"),
        (_one({"Type": "Pass"}), "SCHEMA_VALIDATION_FAILED: These fields are required: [Next or End] at /States/A"),
        (_one({"Type": "Pass", "Next": "Nope"}), "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A/Next"),
        (_one({"Type": "Pass", "End": True}, B={"Type": "Succeed"}), "State \"B\" is not reachable. at /States/B"),
        ({"StartAt": "X", "States": {"A": {"Type": "Succeed"}}}, "Missing 'Next' target: X at /StartAt"),
        (_one({"Type": "Pass", "End": True, "InputPath": "x"}), "The value for the field 'InputPath' must be a valid JSONPath"),
        (_one({"Type": "Pass", "End": True, "ResultPath": "$.a[*]"}), "must be a valid ReferencePath at /States/A/ResultPath"),
        (_one({"Type": "Pass", "End": True, "Parameters": {"x.$": "States.Nope(1)"}}), "unknown intrinsic function States.Nope in 'States.Nope(1)') at /States/A/Parameters/x.$"),
        (_one({"Type": "Pass", "End": True, "Output": {}}), "The field 'Output' is not supported for the JSONPath query language at /States/A/Output"),
        (_one({"Type": "Pass", "End": True, "QueryLanguage": "JSONata", "InputPath": "$"}), "The field 'InputPath' is not supported for the JSONata query language"),
        (_one({"Type": "Task", "Resource": "arn:x", "End": True, "Retry": [{"ErrorEquals": ["States.ALL", "X"]}]}), "States.ALL must appear alone"),
        (_one({"Type": "Task", "Resource": "arn:x", "End": True, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}, {"ErrorEquals": ["X"], "Next": "A"}]}), "States.ALL must appear alone, in the last Retrier/Catcher at /States/A/Catch[0]/ErrorEquals"),
        (_one({"Type": "Task", "Resource": "arn:x", "End": True, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}), "'BackoffRate' must be a number >= 1.0"),
        (_one({"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": "1", "Next": "A"}]}), "The value of 'NumericEquals' has the wrong type at /States/A/Choices[0]/NumericEquals"),
        (_one({"Type": "Choice", "Choices": [{"Variable": "$.a", "Next": "A"}]}), "A Choice rule needs exactly one comparison"),
        (_one({"Type": "Wait", "Seconds": -1, "End": True}), "non-negative integer at /States/A/Seconds"),
        (_one({"Type": "Bogus"}), "The field 'Type' must be one of"),
        (_one({"Type": "Map", "ItemsPath": "$.a[*]", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, "End": True}), "'ItemsPath' must be a valid ReferencePath"),
        (_one({"Type": "Wait", "End": True}), "One of [Seconds, Timestamp, SecondsPath, TimestampPath] is required at /States/A"),
        (_one({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}), "Only one of [Seconds, SecondsPath] may be set"),
        (_one({"Type": "Task", "Resource": "arn:x", "TimeoutSeconds": 5, "HeartbeatSeconds": 5, "End": True}), "HeartbeatSeconds must be smaller than TimeoutSeconds"),
        (_one({"Type": "Pass", "Next": "{% 'A' %}", "QueryLanguage": "JSONata"}), "The field 'Next' does not accept a JSONata expression"),
        (_one({"Type": "Pass", "End": True, "Assign": {"1x": 1}}), "'1x' is not a valid variable name"),
        (_one({"Type": "Pass", "End": True, "Assign": {"states.$": "$"}}), "'states' is not a valid variable name"),
        (_one({"Type": "Pass", "End": True, "QueryLanguage": "JSONata", "Output": "{% 1 + %}"}), "The JSONata expression is invalid"),
        (_one({"Type": "Pass", "End": True, "QueryLanguage": "JSONata", "Output": {"a": "{% $x"}}), "must be enclosed in '{%' and '%}' at /States/A/Output/a"),
        (_one({"Type": "Map", "End": True}), "These fields are required: [ItemProcessor] at /States/A"),
        (_one({"Type": "Parallel", "End": True, "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass"}}}]}), "[Next or End] at /States/A/Branches[0]/States/B"),
    ],
)
def test_invalid_definitions_name_state_and_field(definition: dict[str, Any], expected: str) -> None:
    message = _problem(definition)
    assert message.startswith("Invalid State Machine Definition: '")
    assert expected in message


def test_every_problem_is_listed() -> None:
    message = _problem(_one({"Type": "Pass", "Foo": 1}))
    assert "/States/A/Foo" in message and "[Next or End]" in message


def test_invalid_json_text() -> None:
    assert "INVALID_JSON_DESCRIPTION" in _problem("{not json")  # type: ignore[arg-type]
