"""EventBridge event-pattern matching, as event-bus rules do it.

https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
A pattern mirrors the event's nesting; every leaf is a list of alternatives (OR), fields
are AND-ed, and an event array matches when any element matches. Operators: exact,
prefix, suffix, equals-ignore-case, anything-but, numeric, cidr, exists, wildcard, $or.

Standard library only: this module ships inside the router Lambda.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any

_MISSING = object()
_NUMERIC_OPS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
OPERATORS = (
    "prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "cidr", "exists",
    "wildcard",
)


class PatternError(ValueError):
    """An event pattern is malformed; the message names the key path."""


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """True when ``event`` matches the EventBridge ``pattern``."""
    return _match_object(pattern, event, "$")


def validate(pattern: Any, path: str = "$") -> None:
    """Raise PatternError (naming the key path) if ``pattern`` is not a valid pattern."""
    if not isinstance(pattern, Mapping):
        raise PatternError(f"{path}: a pattern must be a JSON object, got {_kind(pattern)}")
    for key, value in pattern.items():
        where = f"{path}.{key}"
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise PatternError(f"{where}: $or needs a list of at least two patterns")
            for i, branch in enumerate(value):
                validate(branch, f"{where}[{i}]")
        elif isinstance(value, Mapping):
            validate(value, where)
        elif isinstance(value, list):
            if not value:
                raise PatternError(f"{where}: an empty list matches nothing; list the values")
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    _validate_operator(item, f"{where}[{i}]")
        else:
            raise PatternError(
                f"{where}: leaf values must be lists, e.g. [{json.dumps(value)}]"
            )


def _validate_operator(op: Mapping[str, Any], where: str) -> None:
    if len(op) != 1:
        raise PatternError(f"{where}: one operator per object, got {sorted(op)}")
    name, arg = next(iter(op.items()))
    if name not in OPERATORS:
        raise PatternError(f"{where}: unknown operator {name!r}; use one of {', '.join(OPERATORS)}")
    if name == "exists" and not isinstance(arg, bool):
        raise PatternError(f"{where}.exists: must be true or false")
    if name == "numeric":
        _numeric_terms(arg, where)
    if name == "cidr":
        try:
            ipaddress.ip_network(str(arg), strict=False)
        except ValueError as exc:
            raise PatternError(f"{where}.cidr: {exc}") from exc


def _match_object(pattern: Mapping[str, Any], event: Any, path: str) -> bool:
    for key, expected in pattern.items():
        if key == "$or":
            if not any(_match_object(branch, event, path) for branch in expected):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(expected, Mapping):
            if not _match_nested(expected, value, f"{path}.{key}"):
                return False
        elif not _match_leaf(expected, value):
            return False
    return True


def _match_nested(pattern: Mapping[str, Any], value: Any, path: str) -> bool:
    if isinstance(value, list):  # arrays of objects: any element may satisfy the pattern
        return any(_match_object(pattern, item, path) for item in value)
    if value is _MISSING:
        value = {}
    return _match_object(pattern, value, path)


def _match_leaf(alternatives: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for alt in alternatives:
        if isinstance(alt, Mapping) and "exists" in alt:
            present = value is not _MISSING
            if present == bool(alt["exists"]):
                return True
            continue
        if value is _MISSING:
            continue
        if any(_match_one(alt, v) for v in values):
            return True
    return False


def _match_one(alt: Any, value: Any) -> bool:
    if not isinstance(alt, Mapping):
        return _exact(alt, value)
    name, arg = next(iter(alt.items()))
    if name == "prefix":
        return _affix(arg, value, str.startswith)
    if name == "suffix":
        return _affix(arg, value, str.endswith)
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == str(arg).casefold()
    if name == "wildcard":
        return isinstance(value, str) and _wildcard(str(arg)).fullmatch(value) is not None
    if name == "anything-but":
        return _anything_but(arg, value)
    if name == "numeric":
        return _numeric(arg, value)
    if name == "cidr":
        return _cidr(str(arg), value)
    return False


def _exact(expected: Any, value: Any) -> bool:
    if expected is None or value is None:
        return expected is None and value is None
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    # Exact matching compares the JSON text: 300, 300.0 and 3.0e2 are different values.
    return json.dumps(expected) == json.dumps(value)


def _affix(arg: Any, value: Any, test: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(arg, Mapping):
        needle = str(arg.get("equals-ignore-case", ""))
        return bool(test(value.casefold(), needle.casefold()))
    return bool(test(value, str(arg)))


def _anything_but(arg: Any, value: Any) -> bool:
    if isinstance(arg, Mapping):
        return not _match_one(arg, value)
    options = arg if isinstance(arg, list) else [arg]
    return not any(_exact(option, value) for option in options)


def _numeric_terms(arg: Any, where: str) -> list[tuple[str, float]]:
    if not isinstance(arg, list) or not arg or len(arg) % 2:
        raise PatternError(f"{where}.numeric: expected [op, number, ...], got {json.dumps(arg)}")
    terms = []
    for op, num in zip(arg[::2], arg[1::2], strict=True):
        if op not in _NUMERIC_OPS or isinstance(num, bool) or not isinstance(num, int | float):
            raise PatternError(
                f"{where}.numeric: {op!r} {num!r} is not an operator ({', '.join(_NUMERIC_OPS)}) "
                "followed by a number"
            )
        terms.append((op, float(num)))
    return terms


def _numeric(arg: Any, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    terms = _numeric_terms(arg, "$")
    return all(_NUMERIC_OPS[op](float(value), num) for op, num in terms)


def _cidr(network: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


_wildcards: dict[str, re.Pattern[str]] = {}


def _wildcard(pattern: str) -> re.Pattern[str]:
    if pattern not in _wildcards:
        # "*" matches any run of characters; "\*" is a literal star.
        parts = re.split(r"(\\\*|\*)", pattern)
        regex = "".join(
            ".*" if p == "*" else re.escape("*") if p == "\\*" else re.escape(p) for p in parts
        )
        _wildcards[pattern] = re.compile(regex, re.DOTALL)
    return _wildcards[pattern]


def _kind(value: Any) -> str:
    return type(value).__name__
