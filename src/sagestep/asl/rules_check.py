"""Definition checks for Retry, Catch and Choice rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagestep.asl import schema
from sagestep.asl.expressions import check_assign, check_jsonata, check_template
from sagestep.asl.jsonpath import PathSyntaxError, parse_path
from sagestep.asl.rules import OPERATORS, TYPE_TESTS

_JSONATA_RULE = frozenset({"Condition", "Next", "Assign", "Output", "Comment"})
_BOOLEAN = frozenset({"And", "Or", "Not"})


def _error(message: str, at: str) -> str:
    return f"SCHEMA_VALIDATION_FAILED: {message} at {at}"


def _check_error_equals(value: Any, at: str, last: bool) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(e, str) for e in value):
        return [_error("The field 'ErrorEquals' should be a non-empty array of strings", at)]
    if "States.ALL" in value and (len(value) > 1 or not last):
        return [_error("States.ALL must appear alone, in the last Retrier/Catcher", at)]
    return []


def _unknown(rule: Mapping[str, Any], allowed: frozenset[str], at: str) -> list[str]:
    return [
        _error(f"The field '{k}' is not supported", f"{at}/{k}") for k in rule if k not in allowed
    ]


def check_retriers(value: Any, at: str) -> list[str]:
    """Problems in a ``Retry`` list."""
    if not isinstance(value, list):
        return [_error("The field 'Retry' should be an array", at)]
    out: list[str] = []
    for i, rule in enumerate(value):
        where = f"{at}[{i}]"
        if not isinstance(rule, Mapping):
            out.append(_error("A Retrier must be an object", where))
            continue
        out += _unknown(rule, schema.RETRIER_FIELDS, where)
        out += _check_error_equals(
            rule.get("ErrorEquals"), f"{where}/ErrorEquals", i == len(value) - 1
        )
        out += _check_retrier_numbers(rule, where)
    return out


def _check_retrier_numbers(rule: Mapping[str, Any], where: str) -> list[str]:
    out: list[str] = []
    limits = {"IntervalSeconds": 1, "MaxAttempts": 0, "MaxDelaySeconds": 1}
    for key, low in limits.items():
        v = rule.get(key, low)
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= 99999999:
            out.append(
                _error(
                    f"The field '{key}' must be an integer from {low} to 99999999", f"{where}/{key}"
                )
            )
    rate = rule.get("BackoffRate", 2.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 1.0:
        out.append(
            _error("The field 'BackoffRate' must be a number >= 1.0", f"{where}/BackoffRate")
        )
    if rule.get("JitterStrategy", "NONE") not in ("FULL", "NONE"):
        out.append(
            _error("The field 'JitterStrategy' must be FULL or NONE", f"{where}/JitterStrategy")
        )
    return out


def check_catchers(value: Any, at: str, language: str) -> list[str]:
    """Problems in a ``Catch`` list."""
    if not isinstance(value, list):
        return [_error("The field 'Catch' should be an array", at)]
    out: list[str] = []
    allowed = schema.CATCHER_FIELDS - ({"ResultPath"} if language == "JSONata" else {"Output"})
    for i, rule in enumerate(value):
        where = f"{at}[{i}]"
        if not isinstance(rule, Mapping):
            out.append(_error("A Catcher must be an object", where))
            continue
        out += _unknown(rule, allowed, where)
        out += _check_error_equals(
            rule.get("ErrorEquals"), f"{where}/ErrorEquals", i == len(value) - 1
        )
        if not isinstance(rule.get("Next"), str):
            out.append(_error("These fields are required: [Next]", where))
        result_path = rule.get("ResultPath", "$")
        if result_path is not None:
            out += _check_reference(result_path, f"{where}/ResultPath")
        if "Output" in rule:
            out += check_template(rule["Output"], f"{where}/Output", language)
        if "Assign" in rule:
            out += check_assign(rule["Assign"], f"{where}/Assign", language)
    return out


def _check_reference(value: Any, at: str) -> list[str]:
    try:
        ok = isinstance(value, str) and parse_path(value).is_reference
    except (PathSyntaxError, ValueError):
        ok = False
    return [] if ok else [_error("The value for the field must be a valid ReferencePath", at)]


def check_choices(value: Any, at: str, language: str) -> list[str]:
    """Problems in a Choice state's ``Choices`` list."""
    if not isinstance(value, list) or not value:
        return [_error("The field 'Choices' should be a non-empty array", at)]
    out: list[str] = []
    for i, rule in enumerate(value):
        where = f"{at}[{i}]"
        if isinstance(rule, Mapping) and not isinstance(rule.get("Next"), str):
            out.append(_error("These fields are required: [Next]", where))
        out += check_rule(rule, where, language, top=True)
    return out


def check_rule(rule: Any, at: str, language: str, top: bool = False) -> list[str]:
    """Problems in one Choice rule (recursing into And/Or/Not)."""
    if not isinstance(rule, Mapping):
        return [_error("A Choice rule must be an object", at)]
    if language == "JSONata":
        out = _unknown(rule, _JSONATA_RULE, at)
        condition = rule.get("Condition")
        if "Condition" not in rule:
            out.append(_error("These fields are required: [Condition]", at))
        elif isinstance(condition, str):
            out += check_jsonata(condition, f"{at}/Condition")
        for key, check in (("Assign", check_assign), ("Output", check_template)):
            if key in rule:
                out += check(rule[key], f"{at}/{key}", language)
        return out
    extra = {"Next", "Assign", "Comment"} if top else {"Comment"}
    ops = [k for k in rule if k in OPERATORS or k in _BOOLEAN]
    out = _unknown(rule, frozenset({"Variable", *OPERATORS, *_BOOLEAN, *extra}), at)
    if len(ops) != 1:
        return out + [_error("A Choice rule needs exactly one comparison or And/Or/Not", at)]
    op = ops[0]
    if op in _BOOLEAN:
        return out + _check_boolean(op, rule[op], f"{at}/{op}", language)
    if not isinstance(rule.get("Variable"), str):
        return out + [_error("These fields are required: [Variable]", at)]
    out += _check_operand_path(rule["Variable"], f"{at}/Variable")
    return out + _check_operand(op, rule[op], f"{at}/{op}")


def _check_boolean(op: str, value: Any, at: str, language: str) -> list[str]:
    if op == "Not":
        return check_rule(value, at, language)
    if not isinstance(value, list) or not value:
        return [_error(f"The field '{op}' should be a non-empty array", at)]
    return [p for i, r in enumerate(value) for p in check_rule(r, f"{at}[{i}]", language)]


def _check_operand_path(value: Any, at: str) -> list[str]:
    try:
        if isinstance(value, str):
            parse_path(value)
            return []
    except (PathSyntaxError, ValueError):
        pass
    return [_error("The value must be a valid JSONPath", at)]


def _check_operand(op: str, value: Any, at: str) -> list[str]:
    if op.endswith("Path"):
        return _check_operand_path(value, at)
    if op in TYPE_TESTS or op.startswith("Boolean"):
        ok = isinstance(value, bool)
    elif op.startswith("Numeric"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    return [] if ok else [_error(f"The value of '{op}' has the wrong type", at)]
