"""Lambda tasks run on the worker's call pool: a slow function blocks no other execution,
TimeoutSeconds interrupts the wait, and a call lost with its process is made again."""

from __future__ import annotations

import json
import threading
import time

import pytest

from sagestep.engine.call_pool import CallPool
from sagestep.engine.journal import Journal
from tests.engine.helpers import machine, run, runtime, types

FN = "arn:aws:lambda:us-east-1:123456789012:function:"


@pytest.fixture
def rt(tmp_path):
    runtime_ = runtime(tmp_path)
    yield runtime_
    runtime_.engine.close()


def _task(name: str, **extra) -> dict:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN + name,
                                             "End": True, **extra}}}


def test_slow_lambda_does_not_block_other_executions(rt) -> None:
    release = threading.Event()

    def slow(event, context):
        assert release.wait(20), "the fast execution never ran"
        return "slow done"

    rt.lambdas.register("slow", slow)
    rt.lambdas.register("fast", lambda event, context: "fast done")
    sfn = rt.client("stepfunctions")
    slow_arn = sfn.start_execution(stateMachineArn=machine(sfn, _task("slow"), "slow"),
                                   input="{}")["executionArn"]
    # Inline, the worker would be stuck in slow() and this would time out.
    fast = run(rt, _task("fast"), {}, name="fast", timeout=10)
    assert (fast["status"], json.loads(fast["output"])) == ("SUCCEEDED", "fast done")
    release.set()
    rt.engine.wait(slow_arn, timeout=10)
    slow_desc = sfn.describe_execution(executionArn=slow_arn)
    assert (slow_desc["status"], json.loads(slow_desc["output"])) == ("SUCCEEDED", "slow done")
    assert types(rt, slow_arn) == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
        "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
        "ExecutionSucceeded"]


def test_timeout_seconds_ends_the_wait_for_a_hung_lambda(rt) -> None:
    gate = threading.Event()
    rt.lambdas.register("hung", lambda event, context: gate.wait(30))
    started = time.monotonic()
    desc = run(rt, _task("hung", TimeoutSeconds=1), {}, timeout=10)
    gate.set()
    assert (desc["status"], desc["error"]) == ("FAILED", "States.Timeout")
    assert time.monotonic() - started < 8


def test_failing_lambda_reports_its_error_through_the_pool(rt) -> None:
    def boom(event, context):
        raise KeyError("nope")

    rt.lambdas.register("boom", boom)
    desc = run(rt, _task("boom"), {})
    assert (desc["status"], desc["error"]) == ("FAILED", "KeyError")


def test_call_lost_with_a_dead_owner_is_made_again(rt) -> None:
    calls: list[int] = []

    def once(event, context):
        calls.append(1)
        return len(calls)

    rt.lambdas.register("once", once)
    sfn = rt.client("stepfunctions")
    arn = machine(sfn, _task("once"), "lost")
    engine = rt.engine
    # The call was submitted by a worker process that has died since (pid 2**22+1 is unused):
    real_submit = CallPool.submit
    lost = {"n": 0}

    def submit_then_die(self, key, arn_, call):
        if lost["n"] == 0:
            lost["n"] += 1
            with self.journal.tx() as conn:
                conn.execute("INSERT OR REPLACE INTO sfn_calls (key, execution_arn, owner,"
                             " status) VALUES (?, ?, ?, 'RUNNING')",
                             (key, arn_, f"{self.owner.split(':')[0]}:4194305:dead"))
                self.journal.wake(conn, arn_, self.clock.now())
            return
        real_submit(self, key, arn_, call)

    CallPool.submit = submit_then_die  # type: ignore[method-assign]
    try:
        ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        engine.wait(ex, timeout=10)
    finally:
        CallPool.submit = real_submit  # type: ignore[method-assign]
    desc = sfn.describe_execution(executionArn=ex)
    assert (desc["status"], json.loads(desc["output"]), len(calls)) == ("SUCCEEDED", 1, 1)
    assert types(rt, ex).count("LambdaFunctionStarted") == 1


def test_wake_during_a_pass_survives_every_commit_of_that_pass(tmp_path) -> None:
    # A pooled call (or a callback) may end between two commits of one pass; the second
    # commit must not erase its wake-up, or the execution would wait forever.
    journal = Journal(tmp_path / "engine.db")
    with journal.tx() as conn:
        conn.execute("INSERT INTO sfn_queue (execution_arn, due) VALUES ('e', 0)")
    assert journal.claim("w", 1.0, 60, 10) == ["e"]
    with journal.tx() as conn:
        journal.wake(conn, "e", 2.0)
    for now in (3.0, 4.0):
        assert journal.commit("e", "w", [], None, 1, None, None, now) == "ok"
    assert journal.one("SELECT due FROM sfn_queue")[0] == 2.0
    assert journal.claim("w", 5.0, 60, 10) == ["e"]  # that pass reads the wake-up...
    journal.commit("e", "w", [], None, 1, None, None, 6.0)
    assert journal.one("SELECT due FROM sfn_queue")[0] is None  # ...so it is spent
    journal.close()


def test_call_running_under_a_dead_worker_is_claimed_again_without_any_wake(rt) -> None:
    """Issue 16: a Lambda call without TimeoutSeconds waits with no timer; when the worker
    running it dies, the next worker must find it (nothing else ever looks at it again)."""
    calls: list[int] = []

    def once(event, context):
        calls.append(1)
        return len(calls)

    rt.lambdas.register("once2", once)
    sfn = rt.client("stepfunctions")
    arn = machine(sfn, _task("once2"), "orphaned")
    real_submit = CallPool.submit
    lost = {"n": 0}

    def submit_then_die(self, key, arn_, call):
        if lost["n"] == 0:  # recorded RUNNING under a worker that died; nobody wakes it
            lost["n"] += 1
            with self.journal.tx() as conn:
                conn.execute("INSERT OR REPLACE INTO sfn_calls (key, execution_arn, owner,"
                             " status) VALUES (?, ?, ?, 'RUNNING')",
                             (key, arn_, f"{self.owner.split(':')[0]}:4194305:dead"))
            return
        real_submit(self, key, arn_, call)

    CallPool.submit = submit_then_die  # type: ignore[method-assign]
    try:
        ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        rt.engine.wait(ex, timeout=10)
    finally:
        CallPool.submit = real_submit  # type: ignore[method-assign]
    desc = sfn.describe_execution(executionArn=ex)
    assert (desc["status"], json.loads(desc["output"]), len(calls)) == ("SUCCEEDED", 1, 1)
