"""Definition checks with AWS's InvalidDefinition wording (``CODE: message at /json/pointer``).

:func:`check_machine` returns every problem found (it does not stop at the first), so one
error message can list them all, as AWS does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagestep.asl import schema
from sagestep.asl.expressions import check_assign, check_dynamic, check_template, check_value
from sagestep.asl.graph import check_graph
from sagestep.asl.intrinsic import is_intrinsic
from sagestep.asl.jsonpath import PathSyntaxError, parse_path
from sagestep.asl.rules_check import check_catchers, check_choices, check_retriers

Problems = list[str]


def schema_error(message: str, where: str) -> str:
    """One SCHEMA_VALIDATION_FAILED problem at JSON pointer ``where``."""
    return f"SCHEMA_VALIDATION_FAILED: {message} at {where}"


def check_machine(
    raw: Any, where: str, language: str, allowed: frozenset[str] = schema.MACHINE_FIELDS
) -> Problems:
    """Every problem of a machine (top level, branch or Map processor) at pointer ``where``."""
    if not isinstance(raw, Mapping):
        return [schema_error("Expected an object", where or "/")]
    problems: Problems = []
    for key in raw:
        if key not in allowed:
            problems.append(schema_error(f"The field '{key}' is not supported", f"{where}/{key}"))
    language = _language(raw, where, language, problems)
    states = raw.get("States")
    if not isinstance(raw.get("StartAt"), str):
        problems.append(schema_error("The field 'StartAt' should be a string", where or "/"))
    if not isinstance(states, Mapping) or not states:
        problems.append(
            schema_error("The field 'States' should be a non-empty object", where or "/")
        )
        return problems
    for name, state in states.items():
        problems += check_state(name, state, f"{where}/States/{name}", language)
    problems += check_graph(raw, where)
    return problems


def _language(raw: Mapping[str, Any], where: str, inherited: str, problems: Problems) -> str:
    value = raw.get("QueryLanguage", inherited)
    if value not in schema.QUERY_LANGUAGES:
        problems.append(
            schema_error(
                f"The value '{value}' is not a valid QueryLanguage (JSONPath or JSONata)",
                f"{where}/QueryLanguage",
            )
        )
        return inherited
    if inherited == "JSONata" and value == "JSONPath":
        problems.append(
            schema_error(
                "A JSONPath state cannot be nested in a JSONata state machine",
                f"{where}/QueryLanguage",
            )
        )
    return str(value)


def check_state(name: str, raw: Any, where: str, language: str) -> Problems:
    """Every problem of one state at pointer ``where`` (``/States/<name>``)."""
    if not isinstance(raw, Mapping):
        return [schema_error("A state must be an object", where)]
    problems: Problems = []
    if len(name) > 80:
        problems.append(schema_error("State names must be at most 80 characters", where))
    kind = raw.get("Type")
    if not isinstance(kind, str) or kind not in schema.FIELDS:
        types = ", ".join(schema.FIELDS)
        return [schema_error(f"The field 'Type' must be one of: {types}", f"{where}/Type")]
    language = _language(raw, where, language, problems)
    allowed = schema.COMMON | schema.FIELDS[kind]
    forbidden = schema.JSONPATH_ONLY if language == "JSONata" else schema.JSONATA_ONLY
    for key in raw:
        if key not in allowed:
            problems.append(
                schema_error(
                    f"The field '{key}' is not supported by Step Functions for a {kind} state",
                    f"{where}/{key}",
                )
            )
        elif key in forbidden:
            problems.append(
                schema_error(
                    f"The field '{key}' is not supported for the {language} query language",
                    f"{where}/{key}",
                )
            )
    problems += _check_transition(kind, raw, where)
    problems += _check_exclusive(kind, raw, where)
    problems += _check_fields(raw, where, language)
    problems += _check_nested(kind, raw, where, language)
    return problems


def _check_transition(kind: str, raw: Mapping[str, Any], where: str) -> Problems:
    if kind in ("Choice", "Succeed", "Fail"):
        return []
    has_next, end = "Next" in raw, raw.get("End") is True
    if "End" in raw and not isinstance(raw["End"], bool):
        return [schema_error("The field 'End' should be a boolean", f"{where}/End")]
    if has_next and end:
        return [schema_error("Only one of 'Next' or 'End' may be set", where)]
    if not has_next and not end:
        return [schema_error("These fields are required: [Next or End]", where)]
    return []


# At most one of each group; Wait needs exactly one of its group.
_EXCLUSIVE = (
    ("Seconds", "Timestamp", "SecondsPath", "TimestampPath"),
    ("Error", "ErrorPath"),
    ("Cause", "CausePath"),
    ("TimeoutSeconds", "TimeoutSecondsPath"),
    ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
    ("ItemProcessor", "Iterator"),
    ("ItemSelector", "Parameters"),
)


def _check_exclusive(kind: str, raw: Mapping[str, Any], where: str) -> Problems:
    problems: Problems = []
    for group in _EXCLUSIVE:
        present = [k for k in group if k in raw]
        if len(present) > 1:
            listed = ", ".join(present)
            problems.append(schema_error(f"Only one of [{listed}] may be set", where))
    if kind == "Wait" and not any(k in raw for k in _EXCLUSIVE[0]):
        problems.append(
            schema_error(
                "One of [Seconds, Timestamp, SecondsPath, TimestampPath] is required", where
            )
        )
    timeout, heartbeat = raw.get("TimeoutSeconds"), raw.get("HeartbeatSeconds")
    if isinstance(timeout, int) and isinstance(heartbeat, int) and heartbeat >= timeout:
        problems.append(
            schema_error(
                "HeartbeatSeconds must be smaller than TimeoutSeconds", f"{where}/HeartbeatSeconds"
            )
        )
    return problems


_NOT_JSONATA = frozenset({"Next", "Default", "Resource", "Label", "Type", "QueryLanguage"})


def _check_fields(raw: Mapping[str, Any], where: str, language: str) -> Problems:
    problems: Problems = []
    for key, value in raw.items():
        at = f"{where}/{key}"
        if key in schema.STRING_FIELDS and not isinstance(value, str):
            problems.append(schema_error(f"The field '{key}' should be a string", at))
        elif key in _NOT_JSONATA and isinstance(value, str) and value.startswith("{%"):
            problems.append(
                schema_error(f"The field '{key}' does not accept a JSONata expression", at)
            )
        elif key in schema.PATHS or key in schema.REFERENCE_PATHS:
            problems += _check_path(key, value, at)
        elif key == "Assign":
            problems += check_assign(value, at, language)
        elif key in schema.TEMPLATES:
            problems += check_template(value, at, language)
        elif key in schema.JSONATA_SCALARS and language == "JSONata" and isinstance(value, str):
            problems += check_value(value, at, language)
        elif key in schema.INTEGER_FIELDS:
            problems += check_value(value, at, language, integer=True)
        elif key == "Retry":
            problems += check_retriers(value, at)
        elif key == "Catch":
            problems += check_catchers(value, at, language)
    return problems


def _check_path(key: str, value: Any, at: str) -> Problems:
    if value is None and key in ("InputPath", "OutputPath", "ResultPath"):
        return []
    if not isinstance(value, str):
        return [schema_error(f"The field '{key}' should be a string", at)]
    if key in ("ErrorPath", "CausePath") and is_intrinsic(value):
        return check_dynamic(value, at)
    try:
        path = parse_path(value)
    except (PathSyntaxError, ValueError) as exc:
        return [
            schema_error(f"The value for the field '{key}' must be a valid JSONPath ({exc})", at)
        ]
    if key in schema.REFERENCE_PATHS and (not path.is_reference or path.root != "$"):
        return [schema_error(f"The value for the field '{key}' must be a valid ReferencePath", at)]
    if key == "ItemsPath" and not path.is_reference:
        # ItemsPath is a reference path too, but may read the context object or a variable.
        return [schema_error(f"The value for the field '{key}' must be a valid ReferencePath", at)]
    return []


def _check_nested(kind: str, raw: Mapping[str, Any], where: str, language: str) -> Problems:
    if kind == "Choice":
        return check_choices(raw.get("Choices"), f"{where}/Choices", language)
    if kind == "Parallel":
        branches = raw.get("Branches")
        if not isinstance(branches, list) or not branches:
            return [schema_error("The field 'Branches' should be a non-empty array", where)]
        out: Problems = []
        for i, branch in enumerate(branches):
            out += check_machine(branch, f"{where}/Branches[{i}]", language, schema.BRANCH_FIELDS)
        return out
    if kind == "Map":
        body_key = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
        if body_key not in raw:
            return [schema_error("These fields are required: [ItemProcessor]", where)]
        return check_machine(
            raw[body_key], f"{where}/{body_key}", language, schema.PROCESSOR_FIELDS
        )
    if kind == "Task" and not isinstance(raw.get("Resource"), str):
        return [schema_error("These fields are required: [Resource]", where)]
    return []
