"""Resolved values of state fields that may come from a path or a JSONata expression:
Wait's end time, Map items/limits/item input, Task timeouts, Fail error and cause.

Messages are AWS's, taken from executions recorded on AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagestep.asl.states import Fail, Map, State, Task, Wait
from sagestep.engine import jsonata_eval, payload
from sagestep.engine.dataflow import Vars, jsonata_env
from sagestep.engine.intrinsics import java_string
from sagestep.engine.payload import Scope, compact
from sagestep.engine.states_error import query_error, runtime
from sagestep.engine.timestamps import parse_timestamp

# AWS rejects waits beyond a signed 32-bit number of seconds.
MAX_WAIT_SECONDS = 2**31 - 1


def _effective(state: State, raw_input: Any, ctx: Mapping[str, Any], variables: Vars) -> Scope:
    scope = Scope(raw_input, ctx, variables)
    return scope.on(payload.apply_path(getattr(state, "input_path", "$"), scope))


def _jsonata(
    state: State, value: Any, raw_input: Any, ctx: Mapping[str, Any], variables: Vars, field: str
) -> Any:
    return jsonata_eval.render(value, jsonata_env(raw_input, ctx, variables), field)


def wait_until(
    state: Wait, raw_input: Any, ctx: Mapping[str, Any], variables: Vars, now: float
) -> float:
    """Epoch seconds at which a Wait state ends."""
    if state.jsonata:
        return _wait_jsonata(state, raw_input, ctx, variables, now)
    if state.seconds is not None:
        return _checked(now, now + int(state.seconds))
    if state.timestamp is not None:
        return _checked(now, _timestamp_or_fail(state.timestamp, "Timestamp", None))
    scope = _effective(state, raw_input, ctx, variables)
    if state.seconds_path is not None:
        value = payload.resolve_field(state.seconds_path, scope, "SecondsPath")
        return _checked(now, now + _seconds(value, state.seconds_path))
    assert state.timestamp_path is not None, "validated Wait states set one of four fields"
    value = payload.resolve_field(state.timestamp_path, scope, "TimestampPath")
    return _checked(now, _timestamp_or_fail(value, "TimestampPath", state.timestamp_path))


def _wait_jsonata(
    state: Wait, raw_input: Any, ctx: Mapping[str, Any], variables: Vars, now: float
) -> float:
    if state.seconds is not None:
        seconds = _jsonata(state, state.seconds, raw_input, ctx, variables, "Seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise query_error(
                f"The Seconds field must be a non-negative integer, but was: {compact(seconds)}"
            )
        return _checked(now, now + int(seconds))
    value = _jsonata(state, state.timestamp, raw_input, ctx, variables, "Timestamp")
    at = parse_timestamp(value)
    if at is None:
        raise query_error(
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time"
            f" format string: {java_string(value)}"
        )
    return _checked(now, at)


def _seconds(value: Any, path: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not float(value).is_integer()
    ):
        raise runtime(
            f"The SecondsPath parameter cannot be parsed as a long value: {path} == {java_string(value)}"
        )
    if value < 0:
        raise runtime(
            f"The SecondsPath parameter references a negative value: {path} == {java_string(value)}"
        )
    return int(value)


def _timestamp_or_fail(value: Any, field: str, path: str | None) -> float:
    at = parse_timestamp(value)
    if at is None:
        raise runtime(
            f"The {field} parameter does not reference a valid ISO-8601 extended offset"
            f" date-time format string: {path} == {java_string(value)}"
        )
    return at


def _checked(now: float, at: float) -> float:
    if at - now > MAX_WAIT_SECONDS:
        raise runtime("Wait state delay is too long.")
    return at


def map_items(state: Map, raw_input: Any, ctx: Mapping[str, Any], variables: Vars) -> list[Any]:
    """The items a Map state iterates over."""
    if state.jsonata:
        if state.items is None:
            return _array_input(raw_input)
        items = _jsonata(state, state.items, raw_input, ctx, variables, "Items")
        return list(jsonata_eval.expect(items, "array", state.items, "Items"))
    scope = _effective(state, raw_input, ctx, variables)
    # AWS words a non-array the same way in both query languages.
    return _array_input(payload.apply_path(state.items_path, scope))


def _array_input(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise query_error(f"Map state input must be an array but was: {compact(value)}")
    return value


def item_input(
    state: Map, item: Any, raw_input: Any, item_ctx: Mapping[str, Any], variables: Vars
) -> Any:
    """One iteration's input: ItemSelector (or legacy Parameters) over ``item_ctx``, whose
    ``Map.Item`` holds the item (see ``context.map_item_context``); else the item itself."""
    selector = state.selector
    if selector is None:
        return item
    if state.jsonata:
        return _jsonata(state, selector, raw_input, item_ctx, variables, "ItemSelector")
    scope = _effective(state, raw_input, item_ctx, variables)
    return payload.render(selector, scope)


@dataclass(frozen=True)
class MapLimits:
    """Resolved Map limits: 0 concurrency means unlimited; None tolerance means not set."""

    max_concurrency: int
    tolerated_count: int | None
    tolerated_percentage: float | None


def map_limits(state: Map, raw_input: Any, ctx: Mapping[str, Any], variables: Vars) -> MapLimits:
    """MaxConcurrency and ToleratedFailureCount/Percentage, from literals, paths or JSONata."""
    concurrency = _limit(state, "MaxConcurrency", raw_input, ctx, variables, "integer")
    count = _limit(state, "ToleratedFailureCount", raw_input, ctx, variables, "integer")
    percent = _limit(state, "ToleratedFailurePercentage", raw_input, ctx, variables, "float")
    if concurrency is not None and concurrency < 0:
        raise runtime("MaxConcurrency cannot be negative.")
    if count is not None and count < 0:
        raise runtime("ToleratedFailureCount cannot be negative.")
    if percent is not None and not 0 <= percent <= 100:
        raise runtime("ToleratedFailurePercentage must be between 0 and 100.")
    return MapLimits(int(concurrency or 0), None if count is None else int(count), percent)


_FIELD_ATTR = {
    "MaxConcurrency": "max_concurrency",
    "ToleratedFailureCount": "tolerated_failure_count",
    "ToleratedFailurePercentage": "tolerated_failure_percentage",
}


def _limit(
    state: Map, field: str, raw_input: Any, ctx: Mapping[str, Any], variables: Vars, kind: str
) -> float | None:
    attr = _FIELD_ATTR[field]
    value = getattr(state, attr)
    path = getattr(state, attr + "_path")
    if state.jsonata and value is not None:
        value = _jsonata(state, value, raw_input, ctx, variables, field)
    elif path is not None:
        scope = _effective(state, raw_input, ctx, variables)
        value = payload.resolve_field(path, scope, field + "Path")
        return _parse_number(value, kind, f"The {field}Path field refers to value", path)
    if value is None:
        return None
    return _parse_number(value, kind, f"The {field} field refers to value", None)


def _parse_number(value: Any, kind: str, prefix: str, path: str | None) -> float:
    text = value if isinstance(value, str) else compact(value)
    try:
        number = float(text) if kind == "float" else int(text)
    except ValueError:
        where = f": {path}" if path else ""
        raise runtime(
            f'{prefix} "{java_string(value)}" which is not a valid {kind}{where}'
        ) from None
    return number


def task_timeouts(
    state: Task, raw_input: Any, ctx: Mapping[str, Any], variables: Vars
) -> tuple[int | None, int | None]:
    """``(TimeoutSeconds, HeartbeatSeconds)`` of a Task, None where unset."""
    return (
        _seconds_field(state, "TimeoutSeconds", raw_input, ctx, variables),
        _seconds_field(state, "HeartbeatSeconds", raw_input, ctx, variables),
    )


def _seconds_field(
    state: Task, field: str, raw_input: Any, ctx: Mapping[str, Any], variables: Vars
) -> int | None:
    attr = "timeout_seconds" if field == "TimeoutSeconds" else "heartbeat_seconds"
    value, path = getattr(state, attr), getattr(state, attr + "_path")
    if state.jsonata and value is not None:
        value = _jsonata(state, value, raw_input, ctx, variables, field)
    elif path is not None:
        value = payload.resolve_field(
            path, _effective(state, raw_input, ctx, variables), field + "Path"
        )
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise runtime(f"The {field} field must be a positive integer, but was: {compact(value)}")
    return int(value)


def fail_error_cause(
    state: Fail, raw_input: Any, ctx: Mapping[str, Any], variables: Vars
) -> tuple[str | None, str | None]:
    """``(Error, Cause)`` of a Fail state."""
    if state.jsonata:
        error = _jsonata(state, state.error, raw_input, ctx, variables, "Error")
        cause = _jsonata(state, state.cause, raw_input, ctx, variables, "Cause")
        return _text(error), _text(cause)
    scope = Scope(raw_input, ctx, variables)
    error, cause = state.error, state.cause
    if state.error_path is not None:
        error = payload.dynamic(state.error_path, scope, "ErrorPath")
    if state.cause_path is not None:
        cause = payload.dynamic(state.cause_path, scope, "CausePath")
    return _text(error), _text(cause)


def _text(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else compact(value)
