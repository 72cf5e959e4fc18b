"""Parallel and Map: child threads per branch or item, results gathered in order.

An inline Map runs at most ``MaxConcurrency`` iterations at once (0 = all). A failed
iteration or branch fails the state (its error), unless a tolerated failure count or
percentage is set and not exceeded; over it the Map fails with
``States.ExceedToleratedFailureThreshold``. The other children are then aborted.

A redriven execution that failed in a top-level Map or Parallel keeps the iterations or
branches that succeeded (``Thread.kept``) and re-runs only the others, as AWS does; a failed
iteration or branch re-runs from its start, and a Map or Parallel nested deeper re-runs whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagestep.engine import dataflow, distributed, itemreader, state_fields
from sagestep.engine import failure as names
from sagestep.engine.batching import batch_inputs
from sagestep.engine.failure import Failure
from sagestep.engine.integration import CallContext
from sagestep.engine.states_error import StatesError
from sagestep.engine.threads import WAIT, Fan, Thread

# How often (in finished children) a running map run's DescribeMapRun record is refreshed.
MAP_RUN_RECORD_EVERY = 100

if TYPE_CHECKING:
    from sagestep.engine.interpreter import Interpreter


def run_parallel(run: Interpreter, t: Thread, state: Any) -> None:
    try:
        value = dataflow.state_input(state, t.input, run.context(t), run.variables(t))
    except StatesError as exc:
        run.fail_state(t, state, run.error_of(t, exc))
        return
    started = run.emit(t, "ParallelStateStarted")
    count = len(state.branches)
    t.fan = Fan(total=count, results=[None] * count, started=count, running=count,
                started_event=started)
    t.phase, t.wait = WAIT, {"kind": "children"}
    kept = _keep(t, state)
    t.fan.running -= len(kept)
    if t.fan.done == count:
        _complete(run, t, state)
        return
    for index, branch in enumerate(state.branches):
        if index in kept:
            continue
        child = run.new_thread(t, index, (*t.scope, state.name, index), last_event=started)
        run.enter(child, branch.start_at, value)


def run_map(run: Interpreter, t: Thread, state: Any) -> None:
    ctx, variables = run.context(t), run.variables(t)
    try:
        limits = state_fields.map_limits(state, t.input, ctx, variables)
        if not state.distributed:  # a distributed Map reads its items after MapRunStarted
            items = state_fields.map_items(state, t.input, ctx, variables)
    except StatesError as exc:
        run.fail_state(t, state, run.error_of(t, exc))
        return
    if state.distributed:
        started = run.emit(t, "MapStateStarted", {"length": 0})
        map_run = distributed.start(run, state, started, limits)
        started = run.emit(t, "MapRunStarted", {"mapRunArn": map_run["arn"]})
    else:
        map_run = None
        started = run.emit(t, "MapStateStarted", {"length": len(items)})
    prepared = False
    if state.distributed:
        try:
            items, prepared = _distributed_inputs(run, t, state, ctx, variables)
        except StatesError as exc:
            run.emit(t, "MapRunFailed", {"error": exc.error, "cause": exc.cause})
            run.emit(t, "MapStateFailed")
            run.fail_state(t, state, run.error_of(t, exc))
            return
    t.fan = Fan(total=len(items), results=[None] * len(items), limit=limits.max_concurrency,
                tolerated_count=limits.tolerated_count,
                tolerated_pct=limits.tolerated_percentage, items=list(items),
                started_event=started, map_run=map_run, prepared=prepared)
    t.phase, t.wait = WAIT, {"kind": "children"}
    _keep(t, state)
    distributed.record(run, t.fan, "RUNNING")
    if t.fan.done == t.fan.total:
        _complete(run, t, state)
        return
    _fill(run, t, state)


def _distributed_inputs(run: Interpreter, t: Thread, state: Any, ctx: dict[str, Any],
                        variables: Any) -> tuple[list[Any], bool]:
    """A distributed Map's items (ItemReader or input), as iteration inputs when batched."""
    if state.item_reader is not None:
        call = CallContext(str(state.item_reader.get("Resource", "")), run.info.arn, state.name)
        # ItemsPath is ignored next to an ItemReader, as AWS does (recorded:
        # test_map_item_reader_base_json_with_items_path, all three paths read the object).
        items = itemreader.read_items(state, run.integrations, t.input, ctx, variables, call)
    else:
        items = state_fields.map_items(state, t.input, ctx, variables)
    if state.item_batcher is None:
        return items, False
    selected = []
    for index, item in enumerate(items):
        item_ctx = {**ctx, "Map": {"Item": {"Index": index, "Value": item}}}
        selected.append(state_fields.item_input(state, item, t.input, item_ctx, variables))
    return batch_inputs(state, selected, t.input, ctx, variables), True


def _keep(t: Thread, state: Any) -> set[int]:
    """Redrive: take over the results of the slots that succeeded before; their indexes."""
    kept, t.kept = t.kept, None
    fan = t.fan
    assert fan is not None
    if not kept or kept.get("state") != state.name:
        return set()
    indexes = set()
    for index, result in kept["results"]:
        if 0 <= index < fan.total:
            fan.set_result(index, result)
            indexes.add(index)
    fan.done = len(indexes)
    return indexes


def _fill(run: Interpreter, t: Thread, state: Any) -> None:
    """Start iterations while MaxConcurrency allows."""
    fan = t.fan
    assert fan is not None and fan.items is not None
    while fan.started < fan.total and (fan.limit <= 0 or fan.running < fan.limit):
        index = fan.started
        if index in fan.ok:  # kept by a redrive: its result is in already
            fan.started += 1
            continue
        item = fan.items[index]
        if fan.map_run is None or fan.map_run.get("drop_items", True):
            fan.items[index] = None  # its slot row keeps it; memory need not
        ctx = run.context(t)
        ctx["Map"] = {"Item": {"Index": index, "Value": item}}
        try:
            value = item if fan.prepared else state_fields.item_input(
                state, item, t.input, ctx, run.variables(t))
        except StatesError as exc:
            _fail(run, t, state, run.error_of(t, exc))
            return
        fan.started += 1
        fan.running += 1
        previous = fan.started_event
        if not state.distributed:
            previous = run.emit(t, "MapIterationStarted", {"name": state.name, "index": index},
                                previous=fan.started_event)
            t.last_event = fan.started_event
        child = run.new_thread(t, index, (*t.scope, state.name, -1), last_event=previous)
        child.quiet = child.quiet or state.distributed
        run.enter(child, state.body.start_at, value)


def child_done(run: Interpreter, parent: Thread, child: Thread, output: Any,
               failure: Failure | None) -> None:
    """A branch or iteration ended: record it; complete, continue or fail the parent."""
    fan = parent.fan
    if fan is None:
        return
    state: Any = run.state_of(parent)
    fan.running -= 1
    fan.done += 1
    is_map = state.TYPE == "Map"
    if is_map and not state.distributed:
        kind = "MapIterationSucceeded" if failure is None else "MapIterationFailed"
        run.emit(parent, kind, {"name": state.name, "index": child.index},
                 previous=child.last_event)
    if failure is None:
        fan.set_result(child.index, output)
    else:
        fan.failures += 1
        fan.set_result(child.index, failure.to_output(), ok=False)
        if not is_map or _over_threshold(fan):
            _fail(run, parent, state, _map_failure(state, fan, failure) if is_map else failure)
            return
    if fan.map_run is not None and fan.done % MAP_RUN_RECORD_EVERY == 0:
        distributed.record(run, fan, "RUNNING")  # DescribeMapRun's counts as the run goes
    if fan.done == fan.total:
        _complete(run, parent, state)
    elif is_map:
        _fill(run, parent, state)


def _over_threshold(fan: Fan) -> bool:
    if fan.tolerated_count is None and fan.tolerated_pct is None:
        return True
    if fan.tolerated_count is not None and fan.failures > fan.tolerated_count:
        return True
    return (fan.tolerated_pct is not None and fan.total > 0
            and fan.failures * 100.0 / fan.total > fan.tolerated_pct)


def _map_failure(state: Any, fan: Fan, failure: Failure) -> Failure:
    if state.distributed or fan.tolerated_count is not None or fan.tolerated_pct is not None:
        return Failure(names.TOLERATED,
                       "The specified tolerated failure threshold was exceeded")
    return failure


def _fail(run: Interpreter, t: Thread, state: Any, failure: Failure) -> None:
    for other in list(run.snap.threads.values()):
        if other.parent == t.id:
            if state.TYPE == "Map" and not state.distributed:  # noqa: SIM102
                run.emit(t, "MapIterationAborted", {"name": state.name, "index": other.index})
            stop_thread(run, other)
    if state.TYPE == "Parallel":
        run.emit(t, "ParallelStateFailed")
    elif state.distributed:
        run.emit(t, "MapRunFailed", {"error": failure.error, "cause": failure.cause})
        if t.fan is not None:
            distributed.record(run, t.fan, "FAILED")
            distributed.write_on_failure(run, t, state, t.fan)
        run.emit(t, "MapStateFailed")
    else:
        run.emit(t, "MapStateFailed")
    # Should this fail the execution, a redrive keeps what succeeded (read in finish()).
    run.kept = kept_of(t)
    t.fan = None
    run.fail_state(t, state, failure)
    run.kept = None


def kept_of(t: Thread) -> dict[str, Any] | None:
    """What a redrive of the execution keeps of ``t``'s Map or Parallel (top level only)."""
    if t.parent is not None or t.fan is None:
        return None
    return {"state": t.state, "results": t.fan.kept()}


def _complete(run: Interpreter, t: Thread, state: Any) -> None:
    fan = t.fan
    assert fan is not None
    if state.TYPE == "Parallel":
        run.emit(t, "ParallelStateSucceeded")
    elif state.distributed:
        run.emit(t, "MapRunSucceeded")
    results: Any = fan.results
    try:
        if state.TYPE == "Map" and state.result_writer is not None and fan.map_run is not None:
            results = distributed.write_results(run, t, state, fan)
        if state.TYPE == "Map":
            distributed.record(run, fan, "SUCCEEDED", written=fan.done)
            run.emit(t, "MapStateSucceeded")
    except StatesError as exc:
        t.fan, t.wait = None, None
        run.fail_state(t, state, run.error_of(t, exc))
        return
    t.fan, t.wait = None, None
    try:
        output, assigned = dataflow.state_output(state, t.input, results, run.context(t),
                                                 run.variables(t))
    except StatesError as exc:
        run.fail_state(t, state, run.error_of(t, exc))
        return
    run.exit(t, state, output, assigned)


def stop_thread(run: Interpreter, t: Thread) -> None:
    """Abort ``t`` and everything below it: stop its job, close its token, forget it."""
    from sagestep.engine.tasks import stop_job

    for other in list(run.snap.threads.values()):
        if other.parent == t.id:
            stop_thread(run, other)
    if t.task is not None:
        stop_job(run, t)
        if t.task.get("token"):
            run.token_updates.append((t.task["token"], "CLOSED"))
    run.dirty.add(t.id)
    if t.parent is not None:
        run.snap.threads.pop(t.id, None)
