"""Checks of payload templates and JSONata-capable values at definition time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sagestep.asl.intrinsic import IntrinsicSyntaxError, is_intrinsic, parse_intrinsic
from sagestep.asl.jsonpath import PathSyntaxError, parse_path


def is_jsonata(value: Any) -> bool:
    """True for a ``{% expression %}`` string."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def jsonata_body(value: str) -> str:
    """The expression inside ``{% ... %}``."""
    return value[2:-2].strip()


def _error(message: str, at: str) -> str:
    return f"SCHEMA_VALIDATION_FAILED: {message} at {at}"


def check_template(value: Any, at: str, language: str) -> list[str]:
    """Problems in a Parameters/ResultSelector/ItemSelector/Arguments/Output/Assign value."""
    if isinstance(value, Mapping):
        out: list[str] = []
        for key, item in value.items():
            if language == "JSONPath" and isinstance(key, str) and key.endswith(".$"):
                out += check_dynamic(item, f"{at}/{key}")
            else:
                out += check_template(item, f"{at}/{key}", language)
        return out
    if isinstance(value, list):
        return [
            p for i, item in enumerate(value) for p in check_template(item, f"{at}[{i}]", language)
        ]
    if language == "JSONata" and isinstance(value, str) and value.startswith("{%"):
        return check_jsonata(value, at)
    return []


def check_jsonata(value: str, at: str) -> list[str]:
    """Problems of a ``{% %}`` string: enclosing and JSONata syntax."""
    if not is_jsonata(value):
        return [_error("A JSONata expression must be enclosed in '{%' and '%}'", at)]
    problem = _jsonata_syntax(jsonata_body(value))
    return [_error(f"The JSONata expression is invalid: {problem}", at)] if problem else []


@lru_cache(maxsize=4096)
def _jsonata_syntax(expression: str) -> str | None:
    # Imported here: most definitions have no JSONata, and `import sagestep.asl` stays light.
    import jsonata
    from jsonata.jexception import JException

    try:
        jsonata.Jsonata(expression)
    except (JException, ValueError, TypeError, IndexError) as exc:
        return str(exc)
    return None


_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")


def check_assign(value: Any, at: str, language: str) -> list[str]:
    """Problems of an ``Assign`` object: variable names and their values."""
    if not isinstance(value, Mapping):
        return [_error("The field 'Assign' should be an object", at)]
    out: list[str] = []
    for key in value:
        name = key[:-2] if language == "JSONPath" and key.endswith(".$") else key
        if not _VARIABLE.fullmatch(name) or name == "states":
            out.append(
                _error(
                    f"'{name}' is not a valid variable name (letters, digits and '_', not starting"
                    " with a digit, at most 80 characters, not 'states')",
                    f"{at}/{key}",
                )
            )
    return out + check_template(value, at, language)


def check_dynamic(value: Any, at: str) -> list[str]:
    """Problems in the value of a ``.$`` key: a JSONPath or an intrinsic function."""
    if not isinstance(value, str):
        return [_error("The value of a field ending in '.$' must be a JSONPath string", at)]
    try:
        if is_intrinsic(value):
            parse_intrinsic(value)
        else:
            parse_path(value)
    except (IntrinsicSyntaxError, PathSyntaxError, ValueError) as exc:
        return [
            _error(
                f"The value for the field must be a valid JSONPath or intrinsic function ({exc})",
                at,
            )
        ]
    return []


def check_value(value: Any, at: str, language: str, integer: bool = False) -> list[str]:
    """Problems in a scalar field that JSONata states may write as ``{% %}``."""
    if language == "JSONata" and isinstance(value, str) and value.startswith("{%"):
        return check_jsonata(value, at)
    if integer and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        return [_error("The value must be a non-negative integer", at)]
    return []
