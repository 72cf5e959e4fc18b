"""Workers: two on one database never run the same execution at once; stop is clean."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from types import SimpleNamespace

from sagestep.clock import SystemClock
from sagestep.engine.client import LocalStepFunctionsClient
from sagestep.engine.lambda_tasks import lambda_integrations
from sagestep.engine.service import EngineService
from sagestep.workspace import Workspace
from tests.engine.helpers import ROLE


def test_two_workers_share_the_queue_without_overlap(tmp_path) -> None:
    calls: Counter[str] = Counter()
    busy: set[str] = set()
    overlap: list[str] = []
    lock = threading.Lock()

    def work(name: str, event):
        with lock:
            if event["id"] in busy:
                overlap.append(event["id"])
            busy.add(event["id"])
            calls[event["id"]] += 1
        time.sleep(0.01)
        with lock:
            busy.discard(event["id"])
        return event["id"]

    ws = Workspace.resolve(tmp_path)
    services = [EngineService(ws, lambda_integrations(work), SystemClock()) for _ in range(2)]
    sfn = LocalStepFunctionsClient(SimpleNamespace(engine=services[0]))
    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:w",
        "Next": "W"}, "W": {"Type": "Wait", "Seconds": 0, "Next": "T2"},
        "T2": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:w",
               "InputPath": "$", "Parameters": {"id.$": "States.Format('{}-2', $)"},
               "End": True}}}
    arn = sfn.create_state_machine(name="m", definition=json.dumps(definition),
                                   roleArn=ROLE)["stateMachineArn"]
    for svc in services:
        svc.worker.start()
    arns = [sfn.start_execution(stateMachineArn=arn, input=json.dumps({"id": f"e{i}"}))
            ["executionArn"] for i in range(30)]
    for ex in arns:
        services[1].wait(ex, timeout=30)
    statuses = Counter(sfn.describe_execution(executionArn=ex)["status"] for ex in arns)
    for svc in services:
        svc.close()
    assert statuses == {"SUCCEEDED": 30}
    assert overlap == []
    assert set(calls.values()) == {1} and len(calls) == 60
    owners = {row[0] for row in services[0].journal.query(
        "SELECT lease_owner FROM sfn_queue")}
    assert owners <= {None}


def test_worker_stops_cleanly(tmp_path) -> None:
    svc = EngineService(Workspace.resolve(tmp_path), {}, SystemClock())
    svc.worker.start()
    thread = svc.worker._thread
    assert thread is not None and thread.is_alive()
    svc.close()
    assert not thread.is_alive()


def test_a_transient_database_error_pauses_the_execution_instead_of_failing_it(tmp_path) -> None:
    """Issue 16 / REVIEW S7: "database is locked" during a pass is retried, not States.Runtime."""
    import sqlite3

    from sagestep.engine import worker as worker_module
    from tests.engine.helpers import run as run_machine
    from tests.engine.helpers import runtime as make_runtime

    rt = make_runtime(tmp_path)
    real = worker_module.Worker.advance
    failures = {"n": 0}

    def flaky(self, arn):
        if failures["n"] < 2:
            failures["n"] += 1
            raise sqlite3.OperationalError("database is locked")
        return real(self, arn)

    worker_module.Worker.advance = flaky  # type: ignore[method-assign]
    try:
        desc = run_machine(rt, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                           {"x": 1}, timeout=20)
    finally:
        worker_module.Worker.advance = real  # type: ignore[method-assign]
        rt.engine.close()
    assert failures["n"] == 2
    assert desc["status"] == "SUCCEEDED", desc
