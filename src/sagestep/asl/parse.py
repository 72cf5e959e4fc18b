"""``parse_definition``: ASL JSON -> validated, typed :class:`StateMachine`."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sagestep.asl.rules import OPERATORS, Catcher, ChoiceRule, Retrier
from sagestep.asl.states import JSONATA, JSONPATH, STATE_TYPES, State, StateMachine
from sagestep.asl.validate import check_machine
from sagestep.errors import DefinitionError

R = TypeVar("R")


def parse_definition(definition: Mapping[str, Any] | str) -> StateMachine:
    """Validate ``definition`` like AWS and return its typed records.

    Raises :class:`~sagestep.errors.DefinitionError` whose message lists every problem as
    AWS words it (``SCHEMA_VALIDATION_FAILED: ... at /States/MyState/Next``).
    """
    raw = _load(definition)
    problems = check_machine(raw, "", JSONPATH)
    if problems:
        listed = ", ".join(f"'{p}'" for p in problems)
        raise DefinitionError(f"Invalid State Machine Definition: {listed}")
    return build_machine(raw, JSONPATH)


def _load(definition: Mapping[str, Any] | str) -> Any:
    if not isinstance(definition, str):
        return definition
    try:
        return json.loads(definition)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            f"Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {exc.msg}"
            f" at line {exc.lineno}, column {exc.colno}'"
        ) from exc


def build_machine(raw: Mapping[str, Any], inherited: str) -> StateMachine:
    """Records of an already validated machine, branch or processor."""
    language = raw.get("QueryLanguage", inherited)
    states = {name: build_state(name, s, language) for name, s in raw["States"].items()}
    return _build(StateMachine, raw, language, states=states)


def build_state(name: str, raw: Mapping[str, Any], inherited: str) -> State:
    """Record of one validated state."""
    cls = STATE_TYPES[raw["Type"]]
    language = raw.get("QueryLanguage", inherited)
    extra: dict[str, Any] = {"name": name, "jsonata": language == JSONATA}
    return _build(cls, raw, language, **extra)


def _build(cls: Callable[..., R], raw: Mapping[str, Any], language: str, **extra: Any) -> R:
    kwargs = dict(extra)
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        key = f.metadata.get("aws")
        if isinstance(key, str) and key in raw and f.name not in kwargs:
            kwargs[f.name] = _convert(key, raw[key], language)
    return cls(**kwargs)


def _convert(key: str, value: Any, language: str) -> Any:
    if key == "Retry":
        return tuple(_build(Retrier, r, language) for r in value)
    if key == "Catch":
        return tuple(_build(Catcher, c, language) for c in value)
    if key in ("Choices", "And", "Or"):
        return tuple(build_rule(r, language) for r in value)
    if key == "Not":
        return build_rule(value, language)
    if key == "Branches":
        return tuple(build_machine(b, language) for b in value)
    if key in ("ItemProcessor", "Iterator"):
        return build_machine(value, language)
    if key == "ErrorEquals":
        return tuple(value)
    return value


def build_rule(raw: Mapping[str, Any], language: str) -> ChoiceRule:
    """Record of one Choice rule."""
    ops = [k for k in raw if k in OPERATORS]
    extra: dict[str, Any] = {}
    if ops:
        extra = {"operator": ops[0], "operand": raw[ops[0]]}
    return _build(ChoiceRule, raw, language, **extra)
