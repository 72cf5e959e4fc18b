"""Runs one leased execution forward: the scheduler of its threads.

Persist, then act: pure states (Pass, Choice, ...) run in memory and their events are
committed in batches; before any integration is called the batch holding its
``TaskScheduled`` event (the intent) is committed. Every state follows one sequence:
``enter`` (StateEntered) -> its runner's work -> ``exit`` (StateExited) -> next, with failures
going through :meth:`Interpreter.fail_state` (Retry -> Catch -> uncaught).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from sagestep.asl.states import State, StateMachine
from sagestep.clock import Clock
from sagestep.engine import dataflow, dispatch, fanout
from sagestep.engine import failure as errors
from sagestep.engine.call_pool import CallPool
from sagestep.engine.execution import ContextObject, ExecutionInfo
from sagestep.engine.failure import Failure
from sagestep.engine.history import Event, data_details, payload
from sagestep.engine.integration import Integrations, lookup
from sagestep.engine.journal import Ending, Journal, NewToken
from sagestep.engine.retry import delay, pick_catcher, pick_retrier
from sagestep.engine.states_error import StatesError
from sagestep.engine.thread_store import ThreadStore
from sagestep.engine.threads import EFFECT, RESUME, RUN, WAIT, Snapshot, Thread, ThreadChanges

__all__ = ["ExecutionInfo", "Interpreter"]

BATCH_EVENTS = 5000
_RETRYABLE = frozenset({"Task", "Parallel", "Map"})  # $$.State.RetryCount exists only there
PAYLOAD_LIMIT = 262_144  # bytes, https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html
HISTORY_LIMIT = 25_000
_ABORTABLE = frozenset({"Task", "Wait", "Map", "Parallel"})


class Interpreter:
    """One pass over a leased execution; :meth:`run` returns when it is blocked or closed."""

    def __init__(self, info: ExecutionInfo, machine: StateMachine, snapshot: Snapshot | None,
                 next_event: int, journal: Journal, integrations: Integrations, clock: Clock,
                 owner: str, region: str = "us-east-1",
                 store: ThreadStore | None = None, calls: CallPool | None = None) -> None:
        self.info = info
        self.machine = machine
        self.snap = snapshot or Snapshot({})
        self.fresh = snapshot is None
        self.store = store or ThreadStore()
        self.calls = calls  # None: pooled calls run inline (a foreground run_once loop)
        # Threads touched since the last commit: only these are written (see thread_store).
        self.dirty: set[int] = set() if store is not None else set(self.snap.threads)
        self.next_event = next_event
        self.journal = journal
        self.integrations = integrations
        self.clock = clock
        self.owner = owner
        self.region = region
        self.now = clock.now()
        self.events: list[Event] = []
        self.tokens: list[NewToken] = []
        self.token_updates: list[tuple[str, str]] = []
        self.ready: deque[Thread] = deque()
        self.effects: list[Thread] = []
        self.scheduled_now: set[int] = set()
        self.ending: Ending | None = None
        self.kept: dict[str, Any] | None = None  # set by fanout while a Map/Parallel fails
        self.lost = False
        self._machines: dict[tuple[Any, ...], StateMachine] = {(): machine}
        self.ctx = ContextObject(info)

    # -- lookups -------------------------------------------------------------------------------

    def machine_for(self, scope: tuple[Any, ...]) -> StateMachine:
        found = self._machines.get(scope)
        if found is None:
            parent = self.machine_for(scope[:-2])
            owner: Any = parent.states[scope[-2]]
            found = owner.branches[scope[-1]] if scope[-1] >= 0 else owner.body
            self._machines[scope] = found
        return found

    def state_of(self, t: Thread) -> State:
        return self.machine_for(t.scope).states[t.state]

    def context(self, t: Thread, token: str | None = None) -> dict[str, Any]:
        """The context object ``$$`` for ``t``'s current state."""
        return self.ctx.of(t.state, t.entered, sum(t.retries.values()),
                           bool(t.retries) or self.state_of(t).TYPE in _RETRYABLE, token)

    def variables(self, t: Thread) -> dict[str, Any]:
        """Variables visible to ``t``: its own over those of the scopes enclosing it."""
        if t.parent is None:
            return t.vars
        outer = self.variables(self.snap.threads[t.parent])
        return {**outer, **t.vars} if t.vars else outer

    # -- events --------------------------------------------------------------------------------

    def emit(self, t: Thread | None, kind: str, details: dict[str, Any] | None = None,
             previous: int | None = None) -> int:
        if t is not None and t.quiet:
            return t.last_event
        eid = self.next_event
        self.next_event += 1
        prev = previous if previous is not None else (t.last_event if t is not None else 0)
        self.events.append(Event(eid, kind, self.now, prev, details))
        if t is not None:
            t.last_event = eid
            self.dirty.add(t.id)
        return eid

    def step_done(self) -> None:
        """Between two steps: commit once the batch is full (never inside a step, so every
        thread a step changed is written with it)."""
        if len(self.events) >= BATCH_EVENTS and self.ending is None:
            self.flush()

    # -- the state sequence --------------------------------------------------------------------

    def new_thread(self, parent: Thread | None, index: int, scope: tuple[Any, ...],
                   last_event: int) -> Thread:
        tid = 0 if parent is None else self.snap.next_thread
        if parent is not None:
            self.snap.next_thread += 1
        t = Thread(tid, None if parent is None else parent.id, index, scope, "", None,
                   last_event=last_event, quiet=parent is not None and parent.quiet)
        self.snap.threads[tid] = t
        self.dirty.add(tid)
        return t

    def enter(self, t: Thread, name: str, value: Any) -> None:
        state = self.machine_for(t.scope).states[name]
        t.state, t.input, t.retries, t.entered = name, value, {}, self.now
        t.phase, t.task, t.wait, t.fan, t.kept = RUN, None, None, None, None
        text = payload(value)
        t.entered_event = self.emit(t, state.TYPE + "StateEntered",
                                    data_details(name=name, input=text))
        if len(text) > PAYLOAD_LIMIT // 4 and len(text.encode()) > PAYLOAD_LIMIT:
            self.finish(t, failure=_too_large(name))
            return
        self.ready.append(t)

    def exit(self, t: Thread, state: State, output: Any, assigned: dict[str, Any] | None = None,
             next_name: str | None = None) -> None:
        text = payload(output)
        details = data_details(name=state.name, output=text)
        if assigned:
            details["assignedVariables"] = {k: payload(v) for k, v in assigned.items()}
            details["assignedVariablesDetails"] = {"truncated": False}
            t.vars.update(assigned)
        self.emit(t, state.TYPE + "StateExited", details)
        if len(text) > PAYLOAD_LIMIT // 4 and len(text.encode()) > PAYLOAD_LIMIT:
            self.finish(t, failure=_too_large(state.name))
            return
        target = next_name if next_name is not None else getattr(state, "next", None)
        if target:
            self.enter(t, target, output)
        else:
            self.finish(t, output=output)

    def error_of(self, t: Thread, exc: StatesError) -> Failure:
        return exc.failure(t.state, t.entered_event)

    def fail_state(self, t: Thread, state: State, failure: Failure) -> None:
        """Retry, else Catch, else fail the thread (only Task/Parallel/Map have Retry/Catch)."""
        self.dirty.add(t.id)
        retriers = getattr(state, "retry", ())
        index = pick_retrier(retriers, failure.error)
        if index is not None:
            key = str(index)
            count = t.retries.get(key, 0)
            retrier = retriers[index]
            if count < retrier.max_attempts:
                t.retries[key] = count + 1
                seconds = delay(retrier, count)
                t.task, t.fan = None, None
                if seconds <= 0:
                    t.phase = RUN
                    self.ready.append(t)
                else:
                    t.phase, t.wait = WAIT, {"kind": "retry", "at": self.now + seconds}
                return
        catcher = pick_catcher(getattr(state, "catch", ()), failure.error)
        if catcher is None:
            self.finish(t, failure=failure)
            return
        try:
            output, assigned = dataflow.catch_output(
                state, catcher, t.input, failure.to_output(), self.context(t), self.variables(t))
        except StatesError as exc:
            self.finish(t, failure=self.error_of(t, exc))
            return
        self.exit(t, state, output, assigned, next_name=catcher.next)

    def finish(self, t: Thread, output: Any = None, failure: Failure | None = None) -> None:
        """``t`` ended: close the execution (root) or report to the Map/Parallel above."""
        t.phase, t.wait = "done", None
        self.dirty.add(t.id)
        if t.parent is not None:
            del self.snap.threads[t.id]
            self.dirty.add(t.parent)
            fanout.child_done(self, self.snap.threads[t.parent], t, output, failure)
            return
        if failure is None:
            text = payload(output)
            self.emit(t, "ExecutionSucceeded", data_details(output=text))
            self.close(Ending("SUCCEEDED", output=text))
        else:
            self.snap.failed_at = {"state": t.state, "input": t.input, "vars": t.vars,
                                   "scope": list(t.scope), "kept": self.kept}
            details = {k: v for k, v in (("error", failure.error), ("cause", failure.cause))
                       if v is not None}
            self.emit(t, "ExecutionFailed", details)
            self.close(Ending("FAILED", error=failure.error, cause=failure.cause))

    def close(self, ending: Ending) -> None:
        self.ending = ending
        self.ready.clear()
        self.effects.clear()

    def abort(self, kind: str, status: str, error: str | None, cause: str | None) -> None:
        """Close the execution as ABORTED or TIMED_OUT, stopping what it runs."""
        root = self.snap.threads.get(0)
        aborted = None
        if root is not None and root.phase != "done":
            aborted = self.state_of(root).TYPE
            self.snap.failed_at = {"state": root.state, "input": root.input, "vars": root.vars,
                                   "scope": [], "kept": fanout.kept_of(root)}
        for t in list(self.snap.threads.values()):
            fanout.stop_thread(self, t)
        self.close(Ending(status, error=error, cause=cause))  # first: no flush from emit
        if aborted in _ABORTABLE:  # e.g. TaskStateAborted, as AWS records it
            self.emit(root, f"{aborted}StateAborted")
        self.emit(root, kind, {k: v for k, v in (("error", error), ("cause", cause))
                               if v is not None})

    # -- the pass ------------------------------------------------------------------------------

    def start(self) -> None:
        root = self.new_thread(None, 0, (), last_event=0)
        if self.machine.timeout_seconds is not None:
            self.snap.deadline = self.info.started + float(self.machine.timeout_seconds)
        self.enter(root, self.machine.start_at, json.loads(self.info.input_text))

    def run(self) -> Ending | None:
        """Advance until every thread is blocked; the execution's ending if it closed."""
        if self.journal.stop_request(self.info.arn)[0]:
            if self.fresh:
                self.new_thread(None, 0, (), last_event=0)
            self.apply_stop()
            return self.ending
        if self.fresh:
            self.start()
        else:
            self._collect()
        while True:
            self._drain()
            self.flush()
            if not self.effects or self.lost or self.ending is not None:
                break
            effects, self.effects = self.effects, []
            for t in effects:
                if self.ending is not None or self.snap.threads.get(t.id) is not t:
                    continue
                self.now = self.clock.now()
                self.dirty.add(t.id)
                integration = self.integration_of(t)
                dispatch.PERFORMERS[type(integration)](self, t, self.state_of(t), integration)
                self.step_done()
            self.scheduled_now.clear()
        return self.ending

    def integration_of(self, t: Thread) -> Any:
        return lookup(self.integrations, getattr(self.state_of(t), "resource", ""))

    def _collect(self) -> None:
        """After a load: queue what is runnable, due or answered."""
        if self.snap.deadline is not None and self.now >= self.snap.deadline:
            self.abort("ExecutionTimedOut", "TIMED_OUT", errors.TIMEOUT, None)
            return
        for t in sorted(self.snap.threads.values(), key=lambda x: x.id):
            if self.lost:
                return  # another worker holds the execution now: act on nothing
            self.dirty.add(t.id)  # a waker may change it; unchanged ones are not rewritten
            if t.phase in (RUN, RESUME):
                self.ready.append(t)
            elif t.phase == EFFECT:
                self.effects.append(t)
            elif t.phase == WAIT and t.wait is not None:
                dispatch.WAKERS[t.wait["kind"]](self, t)
                self.step_done()

    def _drain(self) -> None:
        while self.ready and self.ending is None:
            t = self.ready.popleft()
            if self.snap.threads.get(t.id) is not t:
                continue  # aborted meanwhile
            state = self.state_of(t)
            self.dirty.add(t.id)
            if t.phase == RUN:
                dispatch.RUNNERS[state.TYPE](self, t, state)
            elif t.phase == RESUME:
                dispatch.RESUMERS[state.TYPE](self, t, state)
            self.step_done()

    def due(self) -> float | None:
        """When the execution needs a worker next; now while an effect is in flight, so a
        worker that dies before recording its result is replaced at once."""
        if self.effects or self.ready:
            return self.now
        times = [t.wait["at"] for t in self.snap.threads.values()
                 if t.phase == WAIT and t.wait is not None and t.wait.get("at") is not None]
        if self.snap.deadline is not None:
            times.append(self.snap.deadline)
        return min(times) if times else None

    def flush(self) -> None:
        """Commit the events and snapshot of this pass so far (the intent of any effect)."""
        if self.lost:
            return
        if self.next_event > HISTORY_LIMIT and self.ending is None:
            self.abort_history()
        status = self.journal.commit(
            self.info.arn, self.owner, self.events, self.snap.dumps(), self.next_event,
            self.due(), self.ending, self.now, self.tokens, self.token_updates,
            changes=self._changes())
        self.events, self.tokens, self.token_updates = [], [], []
        if status == "lost":
            self.lost = True
        elif status == "stop" and self.ending is None:
            self.apply_stop()

    def _changes(self) -> ThreadChanges | None:
        """The rows of the threads changed since the last commit."""
        dirty, self.dirty = self.dirty, set()
        if self.ending is not None:
            return None  # closing deletes every thread row
        return self.store.changes(self.snap.threads, dirty)

    def apply_stop(self) -> None:
        """StopExecution was requested: abort and commit at once."""
        _, error, cause = self.journal.stop_request(self.info.arn)
        self.abort("ExecutionAborted", "ABORTED", error, cause)
        self.journal.commit(self.info.arn, self.owner, self.events, self.snap.dumps(),
                            self.next_event, None, self.ending, self.now, self.tokens,
                            self.token_updates, force=True, changes=self._changes())
        self.events, self.tokens, self.token_updates = [], [], []

    def abort_history(self) -> None:
        """AWS fails an execution whose history reaches 25,000 events."""
        cause = f"The execution reached the maximum number of history events ({HISTORY_LIMIT})."
        self.close(Ending("FAILED", error=errors.RUNTIME, cause=cause))
        self.emit(self.snap.threads.get(0), "ExecutionFailed",
                  {"error": errors.RUNTIME, "cause": cause})


def _too_large(state: str) -> Failure:
    # AWS words it the same for a state's input and output.
    return Failure(errors.DATA_LIMIT,
                   f"The state/task '{state}' returned a result with a size exceeding the "
                   "maximum number of bytes service limit.")

