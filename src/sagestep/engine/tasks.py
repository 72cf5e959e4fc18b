"""The Task state: schedule (persisted intent), perform the integration, resume with its result.

Request-response calls and callback sends run right after the batch holding their
``TaskScheduled`` event is committed; Lambda calls (``Call.pooled``) go to the worker's
:class:`~sagestep.engine.call_pool.CallPool` and the thread waits for their outcome row. ``.sync`` jobs are started once: a fresh attempt calls
start; an attempt found in a reloaded snapshot (the process died after committing the
intent) describes the job first and attaches to it when it exists. Polling, task timeouts
and heartbeats are stored timers (``wait["at"]``).
"""

from __future__ import annotations

import contextlib
import json
import secrets
from typing import TYPE_CHECKING, Any

from sagestep.engine import dataflow, state_fields
from sagestep.engine import failure as names
from sagestep.engine.failure import Failure, TaskError
from sagestep.engine.history import data_details, payload
from sagestep.engine.integration import Call, Callback, CallContext, Job, resource_parts
from sagestep.engine.journal import NewToken
from sagestep.engine.states_error import StatesError
from sagestep.engine.threads import EFFECT, RESUME, WAIT, Thread

if TYPE_CHECKING:
    from sagestep.engine.interpreter import Interpreter


def new_token() -> str:
    """An opaque task token (AWS allows up to 2048 characters; these are 88)."""
    return secrets.token_urlsafe(66)


def run_task(run: Interpreter, t: Thread, state: Any) -> None:
    """Evaluate the parameters and schedule the call (performed after the next commit)."""
    try:
        integration = run.integration_of(t)
    except TaskError as exc:
        run.finish(t, failure=exc.failure)
        return
    token = new_token() if isinstance(integration, Callback) else None
    ctx = run.context(t, token)
    variables = run.variables(t)
    try:
        timeout, heartbeat = state_fields.task_timeouts(state, t.input, ctx, variables)
        params = dataflow.state_input(state, t.input, ctx, variables)
    except StatesError as exc:
        run.fail_state(t, state, run.error_of(t, exc))
        return
    kind, action = resource_parts(state.resource)
    if isinstance(integration, Call) and integration.lambda_events:
        details: dict[str, Any] = {"resource": state.resource, "input": payload(params),
                                   "inputDetails": {"truncated": False}}
        if timeout is not None:
            details["timeoutInSeconds"] = int(timeout)
        run.emit(t, "LambdaFunctionScheduled", details)
    else:
        details = {"resourceType": kind, "resource": action, "region": run.region,
                   "parameters": payload(params)}
        if timeout is not None:
            details["timeoutInSeconds"] = int(timeout)
        if heartbeat is not None:
            details["heartbeatInSeconds"] = int(heartbeat)
        run.emit(t, "TaskScheduled", details)
    t.task = {"params": params, "token": token, "stage": "start", "started": run.now,
              "deadline": None if timeout is None else run.now + float(timeout),
              "heartbeat": heartbeat}
    if token is not None:
        run.tokens.append(NewToken(token, run.info.arn))
    t.phase = EFFECT
    run.effects.append(t)
    run.scheduled_now.add(t.id)


def _started(run: Interpreter, t: Thread, state: Any, lambda_events: bool = False) -> None:
    if lambda_events:
        run.emit(t, "LambdaFunctionStarted")
    else:
        kind, action = resource_parts(state.resource)
        run.emit(t, "TaskStarted", {"resourceType": kind, "resource": action})


def _resume_with(run: Interpreter, t: Thread, result: Any = None,
                 failure: Failure | None = None, timed_out: bool = False) -> None:
    assert t.task is not None
    t.task.update(result=result, failure=None if failure is None else
                  [failure.error, failure.cause], timed_out=timed_out)
    t.phase, t.wait = RESUME, None
    run.ready.append(t)


def _context(run: Interpreter, t: Thread, state: Any) -> CallContext:
    assert t.task is not None
    return CallContext(state.resource, run.info.arn, t.state, t.task.get("token"),
                       attempt=f"{t.id}.{t.entered_event}.{sum(t.retries.values())}")


def perform_call(run: Interpreter, t: Thread, state: Any, integration: Call) -> None:
    assert t.task is not None
    _started(run, t, state, integration.lambda_events)
    if integration.pooled and run.calls is not None:
        _submit(run, t, state, integration)
        return
    _call_inline(run, t, state, integration)


def _call_inline(run: Interpreter, t: Thread, state: Any, integration: Call) -> None:
    assert t.task is not None
    try:
        result = integration.invoke(t.task["params"], _context(run, t, state))
    except TaskError as exc:
        _resume_with(run, t, failure=exc.failure)
        return
    deadline = t.task.get("deadline")
    # A synchronous call cannot be interrupted; past its TimeoutSeconds it counts as timed out.
    if deadline is not None and run.clock.now() > deadline:
        _resume_with(run, t, failure=Failure(names.TIMEOUT, None), timed_out=True)
        return
    _resume_with(run, t, result=result)


def _submit(run: Interpreter, t: Thread, state: Any, integration: Call) -> None:
    """Hand the call to the pool; the thread waits for its row (or its TimeoutSeconds)."""
    assert t.task is not None and run.calls is not None
    ctx = _context(run, t, state)
    key = f"{run.info.arn}#{ctx.attempt}"
    t.phase, t.wait = WAIT, {"kind": "call", "key": key, "at": t.task.get("deadline")}
    params = t.task["params"]
    run.calls.submit(key, run.info.arn, lambda: integration.invoke(params, ctx))


def wake_call(run: Interpreter, t: Thread) -> None:
    """A pooled call: done -> resume; past TimeoutSeconds -> time out; lost -> call again."""
    assert t.task is not None and t.wait is not None
    row = run.journal.one("SELECT owner, status, result, error, cause FROM sfn_calls"
                          " WHERE key = ?", (t.wait["key"],))
    if row is not None and row["status"] == "DONE":
        if row["error"] is not None:
            _resume_with(run, t, failure=Failure(row["error"], row["cause"]))
        else:
            _resume_with(run, t, result=json.loads(row["result"]))
        return
    deadline = t.task.get("deadline")
    if deadline is not None and run.now >= deadline:  # the late outcome is ignored
        _resume_with(run, t, failure=Failure(names.TIMEOUT, None), timed_out=True)
        return
    owner = row["owner"] if row is not None else None
    if run.calls is not None and owner is not None and run.calls.alive(owner):
        return  # still running; the pool wakes the execution when it ends
    # The process running it died (at-least-once, as on AWS): call again, no new TaskStarted.
    integration = run.integration_of(t)
    assert isinstance(integration, Call)
    if run.calls is not None:
        _submit(run, t, run.state_of(t), integration)
    else:
        _call_inline(run, t, run.state_of(t), integration)


def perform_callback(run: Interpreter, t: Thread, state: Any, integration: Callback) -> None:
    assert t.task is not None
    _started(run, t, state)
    try:
        response = integration.invoke(t.task["params"], _context(run, t, state))
    except TaskError as exc:
        _resume_with(run, t, failure=exc.failure)
        return
    kind, action = resource_parts(state.resource)
    run.emit(t, "TaskSubmitted", {"resourceType": kind, "resource": action,
                                  **data_details(output=payload(response))})
    t.task["stage"] = "token"
    t.phase, t.wait = WAIT, {"kind": "token", "token": t.task["token"],
                             "at": _token_due(t, t.task["started"])}


def _token_due(t: Thread, last_beat: float) -> float | None:
    assert t.task is not None
    times = [x for x in (t.task.get("deadline"),) if x is not None]
    if t.task.get("heartbeat") is not None:
        times.append(last_beat + float(t.task["heartbeat"]))
    return min(times) if times else None


def wake_token(run: Interpreter, t: Thread) -> None:
    """A token wait: answered -> resume; past TimeoutSeconds/HeartbeatSeconds -> time out."""
    assert t.task is not None and t.wait is not None
    row = run.journal.token(t.task["token"])
    if row is not None and row["status"] == "SUCCEEDED":
        _resume_with(run, t, result=json.loads(row["output"]))
        return
    if row is not None and row["status"] == "FAILED":
        _resume_with(run, t, failure=Failure(row["error"], row["cause"]))
        return
    deadline = t.task.get("deadline")
    if deadline is not None and run.now >= deadline:
        run.token_updates.append((t.task["token"], "TIMED_OUT"))
        _resume_with(run, t, failure=Failure(names.TIMEOUT, None), timed_out=True)
        return
    if t.task.get("heartbeat") is not None:
        beat = row["heartbeat"] if row is not None and row["heartbeat"] else t.task["started"]
        if run.now >= beat + float(t.task["heartbeat"]):
            run.token_updates.append((t.task["token"], "TIMED_OUT"))
            _resume_with(run, t, failure=Failure(names.HEARTBEAT_TIMEOUT, None), timed_out=True)
            return
        t.wait["at"] = _token_due(t, beat)


def perform_job(run: Interpreter, t: Thread, state: Any, job: Job) -> None:
    assert t.task is not None
    params = t.task["params"]
    try:
        name = job.job_name(params, _context(run, t, state))
        if t.task["stage"] == "start":
            _started(run, t, state)
            found = None if t.id in run.scheduled_now else job.describe(name)
            created = _attach(found) if found is not None else job.start(params, name)
            kind, action = resource_parts(state.resource)
            run.emit(t, "TaskSubmitted", {"resourceType": kind, "resource": action,
                                          **data_details(output=payload(created))})
            t.task.update(stage="poll", job=name)
            _poll_later(run, t, job)
            return
        described = job.describe(name)
    except TaskError as exc:
        _resume_with(run, t, failure=exc.failure)
        return
    status = None if described is None else described.get(job.status_field)
    if status in job.succeeded:
        _resume_with(run, t, result=described)
    elif status in job.failed:
        _resume_with(run, t, failure=job.failure(described).failure)
    else:
        _poll_later(run, t, job, described)


def _attach(described: Any) -> Any:
    # The Create* response was lost with the crashed process; the job's ARN is all it held.
    return {k: v for k, v in described.items() if k.endswith("Arn") and "Job" in k}


def _poll_later(run: Interpreter, t: Thread, job: Job, described: Any = None) -> None:
    assert t.task is not None
    wait = job.poll_seconds
    if job.poll_after is not None and described is not None:
        wait = job.poll_after(described)
    at = run.now + wait
    deadline = t.task.get("deadline")
    t.phase, t.wait = WAIT, {"kind": "poll", "at": at if deadline is None else min(at, deadline)}


def wake_poll(run: Interpreter, t: Thread) -> None:
    """A .sync job's poll timer (or its TimeoutSeconds) is due."""
    assert t.task is not None and t.wait is not None
    if t.wait["at"] > run.now:
        return
    deadline = t.task.get("deadline")
    if deadline is not None and run.now >= deadline:
        stop_job(run, t)
        _resume_with(run, t, failure=Failure(names.TIMEOUT, None), timed_out=True)
        return
    t.phase, t.wait = EFFECT, None
    run.effects.append(t)


def stop_job(run: Interpreter, t: Thread) -> None:
    """Best effort, as on AWS: ask the service to stop the job this task waits for."""
    if t.task is None or t.task.get("job") is None:
        return
    integration = run.integration_of(t)
    if isinstance(integration, Job) and integration.stop is not None:
        with contextlib.suppress(Exception):  # AWS also ignores a failed stop
            integration.stop(t.task["job"])


def resume_task(run: Interpreter, t: Thread, state: Any) -> None:
    """Record the outcome (TaskSucceeded/Failed/TimedOut) and continue or fail."""
    assert t.task is not None
    task, lambda_events = t.task, _lambda_events(run, t)
    kind, action = resource_parts(state.resource)
    prefix = {} if lambda_events else {"resourceType": kind, "resource": action}
    family = "LambdaFunction" if lambda_events else "Task"
    if task.get("failure") is not None:
        error, cause = task["failure"]
        details = {**prefix, **{k: v for k, v in (("error", error), ("cause", cause))
                                if v is not None}}
        run.emit(t, f"{family}TimedOut" if task.get("timed_out") else f"{family}Failed", details)
        run.fail_state(t, state, Failure(error, cause))
        return
    result = task.get("result")
    run.emit(t, f"{family}Succeeded", {**prefix, **data_details(output=payload(result))})
    try:
        output, assigned = dataflow.state_output(state, t.input, result, run.context(t),
                                                 run.variables(t))
    except StatesError as exc:
        run.fail_state(t, state, run.error_of(t, exc))
        return
    run.exit(t, state, output, assigned)


def _lambda_events(run: Interpreter, t: Thread) -> bool:
    try:
        integration = run.integration_of(t)
    except TaskError:
        return False
    return isinstance(integration, Call) and integration.lambda_events
