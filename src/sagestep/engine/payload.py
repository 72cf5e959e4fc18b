"""JSONPath-mode data flow: resolving paths against input / context / variables, and
rendering payload templates (Parameters, ResultSelector, ItemSelector, Assign).

https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagestep.asl.intrinsic import is_intrinsic, parse_intrinsic
from sagestep.asl.jsonpath import parse_path
from sagestep.engine import intrinsics
from sagestep.engine.paths import PathMissing, put, select
from sagestep.engine.states_error import RESULT_PATH, StatesError, runtime


@dataclass(frozen=True)
class Scope:
    """What paths can reach: ``$`` (data), ``$$`` (context object), ``$name`` (variables)."""

    data: Any
    ctx: Mapping[str, Any]
    variables: Mapping[str, Any]

    def on(self, data: Any) -> Scope:
        """The same scope with ``$`` bound to ``data``."""
        return Scope(data, self.ctx, self.variables)


def compact(value: Any) -> str:
    """JSON as AWS prints it inside messages (no spaces)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def resolve(path: str, scope: Scope) -> Any:
    """Value of ``path`` in ``scope``; raises :class:`PathMissing` (or KeyError-free runtime
    error for an unknown variable)."""
    parsed = parse_path(path)
    if parsed.root == "$$":
        return select(parsed, scope.ctx)
    if parsed.root == "$":
        return select(parsed, scope.data)
    name = parsed.variable or ""
    if name not in scope.variables:
        raise PathMissing(f"The variable '{name}' is not defined")
    return select(parsed, scope.variables[name])


def resolve_field(path: str, scope: Scope, field: str) -> Any:
    """``resolve`` with AWS's message for a ``.$`` field / ErrorPath / CausePath."""
    try:
        return resolve(path, scope)
    except PathMissing as exc:
        raise runtime(
            f"The JSONPath '{path}' specified for the field '{field}' could not be found"
            f" in the input '{compact(scope.data)}'"
        ) from exc


def apply_path(path: str | None, scope: Scope) -> Any:
    """InputPath/OutputPath/ItemsPath: ``None`` gives ``{}``; a missing path is States.Runtime."""
    if path is None:
        return {}
    if path == "$":
        return scope.data
    try:
        return resolve(path, scope)
    except PathMissing as exc:
        raise runtime(f"Invalid path '{path}' : {exc.detail}") from exc


def dynamic(expression: str, scope: Scope, field: str) -> Any:
    """Value of a ``.$`` field: an intrinsic function call or a path."""
    if is_intrinsic(expression):
        return intrinsics.evaluate(
            parse_intrinsic(expression), lambda p: resolve_field(p, scope, field)
        )
    return resolve_field(expression, scope, field)


def render(template: Any, scope: Scope) -> Any:
    """A payload template with every ``key.$`` replaced by ``key`` and its evaluated value."""
    if isinstance(template, Mapping):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                out[key[:-2]] = dynamic(value, scope, key)
            else:
                out[key] = render(value, scope)
        return out
    if isinstance(template, list):
        return [render(item, scope) for item in template]
    return template


def apply_result_path(path: str | None, state_input: Any, result: Any) -> Any:
    """ResultPath: ``$`` -> result, ``None`` -> input, else result merged into the input."""
    if path is None:
        return state_input
    if path == "$":
        return result
    try:
        return put(state_input, path, result)
    except ValueError as exc:
        raise StatesError(
            RESULT_PATH,
            f'Unable to apply ResultPath "{path}" to input "{compact(state_input)}": {exc}',
        ) from exc
