"""JSONata-mode evaluation: ``{% expression %}`` strings and templates holding them.

https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
Expressions see ``$states`` (input, context, and where defined result / errorOutput) and
every visible variable as ``$name``. AWS adds ``$partition``, ``$range``, ``$hash``,
``$random``, ``$uuid`` and ``$parse``. Failures raise ``States.QueryEvaluationError`` with
AWS's wording, naming the field as ``Output/result``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jsonata
from jsonata.jexception import JException
from jsonata.utils import Utils

from sagestep.asl.expressions import is_jsonata, jsonata_body
from sagestep.engine.jsonata_functions import register_functions
from sagestep.engine.states_error import StatesError, query_error


class Undefined(Exception):
    """Internal: an expression returned nothing."""


def bindings(states: Mapping[str, Any], variables: Mapping[str, Any]) -> dict[str, Any]:
    """The JSONata variable bindings: every variable, plus ``$states``."""
    out = {name: to_jsonata(value) for name, value in variables.items()}
    out["states"] = to_jsonata(dict(states))
    return out


def to_jsonata(value: Any) -> Any:
    """JSON -> jsonata-python values (``null`` is a marker, ``None`` means undefined)."""
    if value is None:
        return Utils.NULL_VALUE
    if isinstance(value, Mapping):
        return {k: to_jsonata(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_jsonata(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def from_jsonata(value: Any, expression: str, field: str) -> Any:
    """jsonata-python result -> JSON; functions are refused as AWS does."""
    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, Mapping):
        return {k: from_jsonata(v, expression, field) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [from_jsonata(v, expression, field) for v in value if v is not None]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise query_error(
        f"The JSONata expression '{expression}' specified for the field '{field}'"
        " returned an unsupported result type."
    )


@lru_cache(maxsize=4096)
def compiled(expression: str) -> jsonata.Jsonata:
    """The compiled expression (cached: compiling dominates evaluation time)."""
    expr = jsonata.Jsonata(expression)
    expr.set_output_convert_nulls(False)
    register_functions(expr)
    return expr


def evaluate(text: str, env: Mapping[str, Any], field: str) -> Any:
    """Value of a ``{% %}`` string (other values are returned as they are)."""
    if not is_jsonata(text):
        return text
    expression = jsonata_body(text)
    try:
        raw = compiled(expression).evaluate(None, dict(env))
    except StatesError:
        raise
    except (JException, Exception) as exc:  # jsonata-python raises plain errors too
        raise query_error(
            f"The JSONata expression '{expression}' specified for the field '{field}'"
            f" threw an error during evaluation. {_describe(exc)}"
        ) from exc
    if raw is None:
        raise query_error(
            f"The JSONata expression '{expression}' specified for the field '{field}'"
            " returned nothing (undefined)."
        )
    return from_jsonata(raw, expression, field)


def _describe(exc: Exception) -> str:
    code = getattr(exc, "error", None)
    message = str(exc)
    if isinstance(exc, JException) and code:
        detail = message.removesuffix(f" {code}") if message.endswith(code) else message
        return f"{code}: {detail}"
    return message


def render(template: Any, env: Mapping[str, Any], field: str) -> Any:
    """A JSONata template: every ``{% %}`` string inside it evaluated."""
    if isinstance(template, str):
        return evaluate(template, env, field)
    if isinstance(template, Mapping):
        return {k: render(v, env, f"{field}/{k}") for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, env, f"{field}[{i}]") for i, v in enumerate(template)]
    return template


def type_name(value: Any) -> str:
    """JSON type name as AWS's messages spell it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def expect(value: Any, expected: str, text: Any, field: str) -> Any:
    """``value`` if it has JSON type ``expected``, else AWS's unexpected-result-type error."""
    if type_name(value) == expected:
        return value
    expression = jsonata_body(text) if is_jsonata(text) else json.dumps(text)
    raise query_error(
        f"The JSONata expression '{expression}' specified for the field '{field}' returned an"
        f" unexpected result type. Expected '{expected}', but was '{type_name(value)}'"
        f" for value: {json.dumps(value, separators=(',', ':'))}"
    )
