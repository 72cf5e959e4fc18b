"""Choice rules (JSONPath) and Choice states in both query languages."""

from __future__ import annotations

from typing import Any

import pytest

from sagestep.asl import Choice, parse_definition
from sagestep.asl.parse import build_rule
from sagestep.engine.choice import matches
from sagestep.engine.dataflow import choose
from sagestep.engine.payload import Scope
from sagestep.engine.states_error import StatesError

DATA = {"n": 5, "s": "log-2024.txt", "t": "2024-01-01T00:00:00Z", "b": True, "z": None, "lim": 5}


def holds(rule: dict[str, Any], variables: dict[str, Any] | None = None) -> bool:
    return bool(matches(build_rule(rule, "JSONPath"), Scope(DATA, {}, variables or {})))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"Variable": "$.n", "NumericEquals": 5}, True),
        ({"Variable": "$.n", "NumericEquals": 5.0}, True),
        ({"Variable": "$.s", "NumericEquals": 5}, False),
        ({"Variable": "$.n", "NumericLessThanEqualsPath": "$.lim"}, True),
        ({"Variable": "$.n", "NumericGreaterThanPath": "$lim"}, False),
        ({"Variable": "$.s", "StringMatches": "log-*.txt"}, True),
        ({"Variable": "$.s", "StringMatches": "log-\\*.txt"}, False),
        ({"Variable": "$.s", "StringGreaterThan": "log"}, True),
        ({"Variable": "$.t", "TimestampEquals": "2024-01-01T01:00:00+01:00"}, True),
        ({"Variable": "$.t", "TimestampLessThan": "2024-01-01T00:00:00.5Z"}, True),
        ({"Variable": "$.s", "TimestampLessThan": "2024-01-01T00:00:00Z"}, False),
        ({"Variable": "$.b", "BooleanEquals": True}, True),
        ({"Variable": "$.z", "IsNull": True}, True),
        ({"Variable": "$.missing", "IsPresent": False}, True),
        ({"Variable": "$.n", "IsNumeric": True}, True),
        ({"Variable": "$.b", "IsNumeric": False}, True),
        ({"Variable": "$.t", "IsTimestamp": True}, True),
        ({"Variable": "$.s", "IsString": True}, True),
        ({"And": [{"Variable": "$.n", "NumericGreaterThan": 1}, {"Not": {"Variable": "$.b", "BooleanEquals": False}}]}, True),
        ({"Or": [{"Variable": "$.n", "NumericLessThan": 1}, {"Variable": "$.z", "IsNull": False}]}, False),
    ],
)
def test_rules(rule: dict[str, Any], expected: bool) -> None:
    assert holds(rule, {"lim": 9}) is expected


def test_missing_variable_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as info:
        holds({"Variable": "$.missing", "NumericEquals": 1})
    assert info.value.error == "States.Runtime"
    assert "Invalid path '$.missing'" in info.value.cause


def _choice(definition: dict[str, Any]) -> Choice:
    state = parse_definition(definition).states["C"]
    assert isinstance(state, Choice)
    return state


def test_jsonpath_choice_assigns_rule_or_default() -> None:
    state = _choice({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "OutputPath": "$.v", "Default": "D", "Assign": {"who": "default"},
                  "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "D", "Assign": {"who.$": "$.v"}}]},
            "D": {"Type": "Succeed"},
        },
    })
    assert choose(state, {"v": 1}, {}, {}) == ("D", 1, {"who": 1})
    assert choose(state, {"v": 2}, {}, {}) == ("D", 2, {"who": "default"})


def test_jsonata_choice_condition_and_output() -> None:
    state = _choice({
        "QueryLanguage": "JSONata",
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice",
                  "Choices": [{"Condition": "{% $states.input.v > $limit %}", "Next": "D", "Output": "{% 'big' %}"}]},
            "D": {"Type": "Succeed"},
        },
    })
    assert choose(state, {"v": 3}, {}, {"limit": 2}) == ("D", "big", {})
    with pytest.raises(StatesError) as info:
        choose(state, {"v": 1}, {}, {"limit": 2})
    assert info.value.error == "States.NoChoiceMatched"
