"""A minimal, in-memory, sequential driver over the pure data-flow API.

Not the engine: no journal, no timers, no integrations beyond what conformance cases without
``needs`` use. It exists so the data-flow modules can be checked against the AWS-recorded
corpus in milliseconds, independently of the durable interpreter.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sagestep.asl.states import (
    Choice,
    Fail,
    Map,
    Parallel,
    State,
    StateMachine,
    Succeed,
    Task,
    Wait,
)
from sagestep.engine import context, dataflow, state_fields
from sagestep.engine.retry import pick_catcher, pick_retrier
from sagestep.engine.states_error import StatesError

ARN = "arn:aws:states:us-east-1:111111111111"
NOW = 1.7e9


class Failed(Exception):
    """The execution failed with ``error``/``cause``."""

    def __init__(self, error: str | None, cause: str | None) -> None:
        super().__init__(error)
        self.error, self.cause = error, cause


class Driver:
    """Runs one execution; counts history-like events only to number state entries."""

    def __init__(self, execution_input: Any, express: bool = False) -> None:
        self.events = 1
        self.base = context.execution_context(
            execution_arn=f"{ARN}:execution:sm:exec",
            name="exec",
            execution_input=execution_input,
            start_time="2024-01-01T00:00:00.000Z",
            role_arn="arn:aws:iam::111111111111:role/r",
            state_machine_arn=f"{ARN}:stateMachine:sm",
            state_machine_name="sm",
            redrive_count=None if express else 0,
        )

    def run(self, machine: StateMachine, data: Any, variables: dict[str, Any]) -> Any:
        name = machine.start_at
        while True:
            state = machine.states[name]
            self.events += 1
            entered = self.events
            try:
                nxt, data = self._state(state, data, variables)
            except StatesError as exc:
                raise Failed(exc.error, exc.full_cause(state.name, entered)) from exc
            if nxt is None:
                return data
            name = nxt

    def _state(self, state: State, raw: Any, variables: dict[str, Any]) -> tuple[str | None, Any]:
        retry_count = 0 if isinstance(state, Task | Parallel | Map) else None
        ctx = context.state_context(
            self.base, state_name=state.name, entered_time="2024-01-01T00:00:00.000Z",
            retry_count=retry_count,
        )
        if isinstance(state, Fail):
            raise Failed(*state_fields.fail_error_cause(state, raw, ctx, variables))
        if isinstance(state, Choice):
            nxt, out, assigned = dataflow.choose(state, raw, ctx, variables)
            variables.update(assigned)
            return nxt, out
        retries: Counter[int] = Counter()
        while True:
            try:
                return self._attempt(state, raw, ctx, variables)
            except (Failed, StatesError) as exc:
                handled = self._handle(state, raw, ctx, variables, exc, retries)
                if handled is not None:
                    return handled

    def _handle(self, state: State, raw: Any, ctx: dict[str, Any], variables: dict[str, Any],
                exc: Failed | StatesError, retries: Counter[int]) -> tuple[str, Any] | None:
        error = exc.error
        cause = exc.full_cause(state.name, self.events) if isinstance(exc, StatesError) else exc.cause
        retry = getattr(state, "retry", ())
        index = pick_retrier(retry, error)
        if index is not None and retries[index] < retry[index].max_attempts:
            retries[index] += 1
            return None
        catcher = pick_catcher(getattr(state, "catch", ()), error)
        if catcher is None:
            raise Failed(error, cause) from None
        out, assigned = dataflow.catch_output(state, catcher, raw, {"Error": error, "Cause": cause}, ctx, variables)
        variables.update(assigned)
        return catcher.next, out

    def _attempt(self, state: State, raw: Any, ctx: dict[str, Any], variables: dict[str, Any]) -> tuple[str | None, Any]:
        effective = dataflow.state_input(state, raw, ctx, variables)
        result: Any = effective
        if isinstance(state, Task):
            state_fields.task_timeouts(state, raw, ctx, variables)
            raise Failed("Unsupported", f"the driver runs no integration ({state.resource})")
        if isinstance(state, Wait):
            state_fields.wait_until(state, raw, ctx, variables, NOW)
        elif isinstance(state, Parallel):
            result = [self.run(b, effective, dict(variables)) for b in state.branches]
        elif isinstance(state, Map):
            result = self._map(state, raw, ctx, variables)
        out, assigned = dataflow.state_output(state, raw, result, ctx, variables)
        dataflow.check_size(out, state.name)
        variables.update(assigned)
        nxt = None if isinstance(state, Succeed) or getattr(state, "end", False) else getattr(state, "next", None)
        return nxt, out

    def _map(self, state: Map, raw: Any, ctx: dict[str, Any], variables: dict[str, Any]) -> list[Any]:
        items = state_fields.map_items(state, raw, ctx, variables)
        state_fields.map_limits(state, raw, ctx, variables)
        out = []
        for index, item in enumerate(items):
            item_ctx = context.map_item_context(ctx, index, item)
            value = state_fields.item_input(state, item, raw, item_ctx, variables)
            out.append(self.run(state.body, value, dict(variables)))
        return out


def execute(machine: StateMachine, execution_input: Any, express: bool = False) -> dict[str, Any]:
    """``{status, output}`` or ``{status, error?, cause?}`` as the corpus records outcomes."""
    try:
        return {"status": "SUCCEEDED", "output": Driver(execution_input, express).run(machine, execution_input, {})}
    except Failed as exc:
        out: dict[str, Any] = {"status": "FAILED"}
        if exc.error is not None:
            out["error"] = exc.error
        if exc.cause is not None:
            out["cause"] = exc.cause
        return out
