"""Comparisons of JSON values as JSONPath filters evaluate them."""

from __future__ import annotations

import re
from typing import Any


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare_values(op: str, left: Any, right: Any) -> bool:
    """``left op right`` for ``== != < <= > >= =~``; mismatched types are unequal/unordered."""
    if op == "=~":
        return (
            isinstance(left, str)
            and isinstance(right, str)
            and bool(re.search(_regex(right), left))
        )
    if op in ("==", "!="):
        equal = _equal(left, right)
        return equal if op == "==" else not equal
    if _number(left) and _number(right) or isinstance(left, str) and isinstance(right, str):
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    return False


def _equal(left: Any, right: Any) -> bool:
    if _number(left) and _number(right):
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


def _regex(text: str) -> str:
    # Jayway writes regexes as /pattern/flags
    if len(text) >= 2 and text.startswith("/") and text.rfind("/") > 0:
        return text[1 : text.rfind("/")]
    return text
