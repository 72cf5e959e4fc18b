"""Choice rules (JSONPath mode): data tests, Is* type tests, And/Or/Not.

https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
A comparison whose value has the wrong type is simply false; ``IsPresent`` is the only test
that tolerates a missing ``Variable``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sagestep.asl.rules import ChoiceRule
from sagestep.engine.paths import PathMissing
from sagestep.engine.payload import Scope, resolve
from sagestep.engine.states_error import runtime
from sagestep.engine.timestamps import parse_timestamp


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(op: str) -> str:
    for kind in ("Boolean", "Numeric", "String", "Timestamp"):
        if op.startswith(kind):
            return kind
    raise ValueError(f"unknown Choice operator {op}")


def _key(kind: str, value: Any) -> Any:
    """The comparable form of ``value`` for ``kind`` comparisons, or None if it has another type."""
    if kind == "Numeric":
        return value if _number(value) else None
    if kind == "Boolean":
        return value if isinstance(value, bool) else None
    if kind == "String":
        return value if isinstance(value, str) else None
    return parse_timestamp(value)


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: bool(a == b),
    "GreaterThan": lambda a, b: bool(a > b),
    "GreaterThanEquals": lambda a, b: bool(a >= b),
    "LessThan": lambda a, b: bool(a < b),
    "LessThanEquals": lambda a, b: bool(a <= b),
}

_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _number,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: parse_timestamp(v) is not None,
}


def matches(rule: ChoiceRule, scope: Scope) -> bool:
    """Whether ``rule`` holds for the state's effective input in ``scope``."""
    if rule.and_ is not None:
        return all(matches(r, scope) for r in rule.and_)
    if rule.or_ is not None:
        return any(matches(r, scope) for r in rule.or_)
    if rule.not_ is not None:
        return not matches(rule.not_, scope)
    op, variable = rule.operator or "", rule.variable or "$"
    if op == "IsPresent":
        return bool(_present(variable, scope) == rule.operand)
    value = _value(variable, scope)
    if op in _TYPE_TESTS:
        return bool(_TYPE_TESTS[op](value) == rule.operand)
    if op == "StringMatches":
        return isinstance(value, str) and bool(_wildcard(str(rule.operand)).fullmatch(value))
    operand = _value(str(rule.operand), scope) if op.endswith("Path") else rule.operand
    return _compare(op.removesuffix("Path"), value, operand)


def _compare(op: str, value: Any, operand: Any) -> bool:
    kind = _kind(op)
    left, right = _key(kind, value), _key(kind, operand)
    if left is None or right is None:
        return False
    return _RELATIONS[op[len(kind) :]](left, right)


def _present(path: str, scope: Scope) -> bool:
    try:
        resolve(path, scope)
    except PathMissing:
        return False
    return True


def _value(path: str, scope: Scope) -> Any:
    try:
        return resolve(path, scope)
    except PathMissing as exc:
        raise runtime(f"Invalid path '{path}' : {exc.detail}") from exc


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """StringMatches: ``*`` matches anything; ``\\*`` and ``\\\\`` are literal."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)
