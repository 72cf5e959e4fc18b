"""Data flow of one state, the same API for both query languages.

The interpreter drives every state through the same sequence::

    effective = state_input(state, raw_input, ctx, variables)          # InputPath+Parameters | Arguments
    result    = <the state's work on effective>                        # Pass/Wait/Succeed/Choice: effective
    output, assigned = state_output(state, raw_input, result, ctx, variables)

and on a caught error ``catch_output(state, catcher, raw_input, error_output, ctx, variables)``.
Choice states use :func:`choose`; Wait/Map/Task/Fail fields resolve through
``sagestep.engine.state_fields``. ``ctx`` is the ``$$`` context object
(``sagestep.engine.context``), ``variables`` the visible variables. ``assigned`` holds the
variables the state writes; both Assign and Output see the variables *before* assignment.
Every failure raises :class:`~sagestep.engine.states_error.StatesError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sagestep.asl.record import OMIT
from sagestep.asl.rules import Catcher, ChoiceRule
from sagestep.asl.states import Choice, Fail, Map, Parallel, Pass, State, Succeed, Task, Wait
from sagestep.engine import jsonata_eval, payload
from sagestep.engine.choice import matches
from sagestep.engine.payload import Scope
from sagestep.engine.states_error import DATA_LIMIT, NO_CHOICE, StatesError

Vars = Mapping[str, Any]
Assigned = dict[str, Any]
# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
MAX_PAYLOAD_BYTES = 262144


def jsonata_env(
    raw_input: Any, ctx: Mapping[str, Any], variables: Vars, **states: Any
) -> dict[str, Any]:
    """JSONata bindings: ``$states`` = {input, context, **states} plus the variables."""
    return jsonata_eval.bindings({"input": raw_input, "context": ctx, **states}, variables)


def state_input(state: State, raw_input: Any, ctx: Mapping[str, Any], variables: Vars) -> Any:
    """The effective input of ``state``: what its work (task, branches, items, ...) receives."""
    if state.jsonata:
        arguments = getattr(state, "arguments", None)
        if arguments is None:
            return raw_input
        env = jsonata_env(raw_input, ctx, variables)
        return jsonata_eval.render(arguments, env, "Arguments")
    if isinstance(state, Fail):
        return raw_input
    scope = Scope(raw_input, ctx, variables)
    effective = payload.apply_path(getattr(state, "input_path", "$"), scope)
    parameters = getattr(state, "parameters", None)
    if parameters is not None and isinstance(state, Pass | Task | Parallel):
        return payload.render(parameters, scope.on(effective))
    return effective


def state_output(
    state: State, raw_input: Any, result: Any, ctx: Mapping[str, Any], variables: Vars
) -> tuple[Any, Assigned]:
    """``(output, assigned variables)`` of ``state`` given its work's ``result``.

    Wait and Succeed states have no result: ``result`` is ignored and their effective input
    (after InputPath) is used.
    """
    if isinstance(state, Wait | Succeed):
        result = state_input(state, raw_input, ctx, variables)
    if state.jsonata:
        return _jsonata_output(state, raw_input, result, ctx, variables)
    if isinstance(state, Pass) and state.has_result:
        result = state.result
    scope = Scope(raw_input, ctx, variables)
    selector = getattr(state, "result_selector", None)
    if selector is not None:
        result = payload.render(selector, scope.on(result))
    assigned = _assign_jsonpath(getattr(state, "assign", None), scope.on(result))
    output = result
    if hasattr(state, "result_path"):
        output = payload.apply_result_path(state.result_path, raw_input, result)
    output = payload.apply_path(getattr(state, "output_path", "$"), scope.on(output))
    return output, assigned


def _jsonata_output(
    state: State, raw_input: Any, result: Any, ctx: Mapping[str, Any], variables: Vars
) -> tuple[Any, Assigned]:
    has_result = isinstance(state, Task | Parallel | Map)
    extra = {"result": result} if has_result else {}
    env = jsonata_env(raw_input, ctx, variables, **extra)
    assigned = _assign_jsonata(getattr(state, "assign", None), env)
    template = getattr(state, "output", OMIT)
    if template is OMIT:
        return (result if has_result else raw_input), assigned
    return jsonata_eval.render(template, env, "Output"), assigned


def _assign_jsonpath(assign: Mapping[str, Any] | None, scope: Scope) -> Assigned:
    if not assign:
        return {}
    rendered = payload.render(assign, scope)
    return check_assigned(dict(rendered))


def _assign_jsonata(assign: Mapping[str, Any] | None, env: Mapping[str, Any]) -> Assigned:
    if not assign:
        return {}
    return check_assigned(
        {k: jsonata_eval.render(v, env, f"Assign/{k}") for k, v in assign.items()}
    )


def catch_output(
    state: State,
    catcher: Catcher,
    raw_input: Any,
    error_output: Mapping[str, Any],
    ctx: Mapping[str, Any],
    variables: Vars,
) -> tuple[Any, Assigned]:
    """``(output, assigned)`` when ``catcher`` handles an error of ``state``."""
    if state.jsonata:
        env = jsonata_env(raw_input, ctx, variables, errorOutput=dict(error_output))
        assigned = _assign_jsonata(catcher.assign, env)
        if catcher.output is OMIT:
            return dict(error_output), assigned
        return jsonata_eval.render(catcher.output, env, "Output"), assigned
    scope = Scope(dict(error_output), ctx, variables)
    assigned = _assign_jsonpath(catcher.assign, scope)
    return payload.apply_result_path(catcher.result_path, raw_input, dict(error_output)), assigned


def choose(
    state: Choice, raw_input: Any, ctx: Mapping[str, Any], variables: Vars
) -> tuple[str, Any, Assigned]:
    """``(next state, output, assigned)`` of a Choice state."""
    if state.jsonata:
        return _choose_jsonata(state, raw_input, ctx, variables)
    scope = Scope(raw_input, ctx, variables)
    effective = payload.apply_path(state.input_path, scope)
    rule = next((r for r in state.choices if matches(r, scope.on(effective))), None)
    target = _target(state, rule)
    assign = rule.assign if rule is not None and rule.assign is not None else state.assign
    assigned = _assign_jsonpath(assign, scope.on(effective))
    return target, payload.apply_path(state.output_path, scope.on(effective)), assigned


def _choose_jsonata(
    state: Choice, raw_input: Any, ctx: Mapping[str, Any], variables: Vars
) -> tuple[str, Any, Assigned]:
    env = jsonata_env(raw_input, ctx, variables)
    rule = next((r for r in state.choices if _condition(r, env)), None)
    target = _target(state, rule)
    assign = rule.assign if rule is not None and rule.assign is not None else state.assign
    assigned = _assign_jsonata(assign, env)
    template = rule.output if rule is not None and rule.output is not OMIT else state.output
    output = raw_input if template is OMIT else jsonata_eval.render(template, env, "Output")
    return target, output, assigned


def _condition(rule: ChoiceRule, env: Mapping[str, Any]) -> bool:
    value = jsonata_eval.render(rule.condition, env, "Condition")
    return bool(jsonata_eval.expect(value, "boolean", rule.condition, "Condition"))


def _target(state: Choice, rule: ChoiceRule | None) -> str:
    if rule is not None and rule.next:
        return rule.next
    if state.default:
        return state.default
    raise StatesError(NO_CHOICE, "No Matches!")


def check_size(value: Any, state_name: str) -> None:
    """Raise States.DataLimitExceeded when ``value`` exceeds AWS's 256 KiB payload quota."""
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_PAYLOAD_BYTES:
        raise StatesError(
            DATA_LIMIT,
            f"The state/task '{state_name}' returned a result with a size exceeding the"
            " maximum number of bytes service limit.",
            prefixed=False,
        )


def check_assigned(assigned: Assigned) -> Assigned:
    """Assign limits: 256 KiB per variable and per state's assignments (AWS quotas)."""
    for name, value in assigned.items():
        if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_PAYLOAD_BYTES:
            raise StatesError(
                DATA_LIMIT, f"The variable '{name}' exceeds the 256 KiB size limit for variables."
            )
    if len(json.dumps(assigned, ensure_ascii=False).encode()) > MAX_PAYLOAD_BYTES:
        raise StatesError(DATA_LIMIT, "The assigned variables exceed the 256 KiB size limit.")
    return assigned
