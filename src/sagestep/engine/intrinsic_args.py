"""Argument checks shared by the intrinsic functions (all fail with States.IntrinsicFailure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sagestep.engine.states_error import INTRINSIC_FAILURE, StatesError

MAX_TEXT = 10000


def fail(message: str) -> StatesError:
    """A ``States.IntrinsicFailure`` with ``message``."""
    return StatesError(INTRINSIC_FAILURE, message)


def count(name: str, args: Sequence[Any], low: int, high: int | None = None) -> None:
    """Fail unless ``args`` has ``low`` to ``high`` (default: exactly ``low``) items."""
    high = low if high is None else high
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise fail(f"Function {name} takes {want} argument(s), got {len(args)}")


def number(value: Any) -> bool:
    """True for JSON numbers (booleans excluded)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def integer(name: str, value: Any, what: str) -> int:
    """``value`` as an int if it is an integral number, else fail naming ``what``."""
    if number(value) and float(value).is_integer():
        return int(value)
    raise fail(f"Function {name}: the {what} must be an integer, got {json.dumps(value)}")


def truncate(name: str, value: Any, what: str) -> int:
    """``value`` truncated to an int if it is a number, else fail naming ``what``."""
    if not number(value):
        raise fail(f"Function {name}: the {what} must be a number, got {json.dumps(value)}")
    return int(value)


def array(name: str, value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else fail."""
    if not isinstance(value, list):
        raise fail(f"Function {name}: the first argument must be an array, got {json.dumps(value)}")
    return value


def string_arg(name: str, value: Any, what: str = "argument") -> str:
    """``value`` if it is a string of at most MAX_TEXT characters, else fail."""
    if not isinstance(value, str):
        raise fail(f"Function {name}: the {what} must be a string, got {json.dumps(value)}")
    if len(value) > MAX_TEXT:
        raise fail(f"Function {name}: the {what} is longer than {MAX_TEXT} characters")
    return value
