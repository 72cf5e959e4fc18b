"""Runners of the states that call nothing outside: Pass, Choice, Wait, Succeed, Fail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagestep.engine import dataflow, state_fields
from sagestep.engine.failure import Failure
from sagestep.engine.history import data_details, payload
from sagestep.engine.states_error import StatesError
from sagestep.engine.threads import WAIT, Thread

if TYPE_CHECKING:
    from sagestep.engine.interpreter import Interpreter


def run_pass(run: Interpreter, t: Thread, state: Any) -> None:
    ctx, variables = run.context(t), run.variables(t)
    try:
        effective = dataflow.state_input(state, t.input, ctx, variables)
        output, assigned = dataflow.state_output(state, t.input, effective, ctx, variables)
    except StatesError as exc:
        run.finish(t, failure=run.error_of(t, exc))
        return
    run.exit(t, state, output, assigned)


def run_choice(run: Interpreter, t: Thread, state: Any) -> None:
    try:
        target, output, assigned = dataflow.choose(state, t.input, run.context(t),
                                                   run.variables(t))
    except StatesError as exc:
        run.finish(t, failure=run.error_of(t, exc))
        return
    run.exit(t, state, output, assigned, next_name=target)


def run_wait(run: Interpreter, t: Thread, state: Any) -> None:
    try:
        until = state_fields.wait_until(state, t.input, run.context(t), run.variables(t), run.now)
    except StatesError as exc:
        run.finish(t, failure=run.error_of(t, exc))
        return
    if until <= run.now:
        end_wait(run, t)
        return
    t.phase, t.wait = WAIT, {"kind": "timer", "at": until}


def end_wait(run: Interpreter, t: Thread) -> None:
    """The Wait state's time has come: apply its output and move on."""
    state = run.state_of(t)
    t.wait = None
    try:
        output, assigned = dataflow.state_output(state, t.input, t.input, run.context(t),
                                                 run.variables(t))
    except StatesError as exc:
        run.finish(t, failure=run.error_of(t, exc))
        return
    run.exit(t, state, output, assigned)


def run_succeed(run: Interpreter, t: Thread, state: Any) -> None:
    try:
        output, _ = dataflow.state_output(state, t.input, t.input, run.context(t),
                                          run.variables(t))
    except StatesError as exc:
        run.finish(t, failure=run.error_of(t, exc))
        return
    run.emit(t, "SucceedStateExited", data_details(name=state.name, output=payload(output)))
    run.finish(t, output=output)


def run_fail(run: Interpreter, t: Thread, state: Any) -> None:
    try:
        error, cause = state_fields.fail_error_cause(state, t.input, run.context(t), run.variables(t))
    except StatesError as exc:
        run.finish(t, failure=run.error_of(t, exc))
        return
    run.finish(t, failure=Failure(error, cause))


def wake_timer(run: Interpreter, t: Thread) -> None:
    """A Wait state's timer: due -> end the wait."""
    if t.wait is not None and t.wait["at"] <= run.now:
        end_wait(run, t)


def wake_retry(run: Interpreter, t: Thread) -> None:
    """Retry back-off: due -> run the state again (no new StateEntered, as on AWS)."""
    from sagestep.engine.threads import RUN

    if t.wait is not None and t.wait["at"] <= run.now:
        t.phase, t.wait = RUN, None
        run.ready.append(t)
