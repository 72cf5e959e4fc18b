"""Stage status is true at every moment (issue 16), read from histories the real compiled
machine writes on the engine: retrying with its attempt and time, gate FAILED with its
numbers, failures never blamed on notify, WAITING_FOR_APPROVAL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagestep.backends.progress import stages
from sagestep.pipeline.compile import compile_json
from tests.pipeline.test_generic_run import _harness, _item


def _stages(h: Any, arn: str, definition: bool = True) -> dict[str, Any]:
    row = h.svc.journal.one("SELECT status FROM sfn_executions WHERE arn = ?", (arn,))
    events = [e.to_aws(True) for e in h.svc.history(arn, 0, 10_000, False)]
    machine = json.loads(compile_json()) if definition else None
    return {s.stage: s for s in stages(events, row["status"], None, machine)}


def _step_until(h: Any, arn: str, done: Any, limit: int = 200) -> None:
    for _ in range(limit):
        if done():
            return
        if not h.svc.worker.run_once():
            due = h.svc.journal.next_due()
            assert due is not None, "the run stopped before the moment under test"
            h.clock.skip_to(due)
    raise AssertionError("never reached the moment under test")


def test_a_stage_waiting_on_retry_says_which_attempt_comes_when(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=1.0, throttle=2)  # CreateProcessingJob throttled twice
    arn = h.start(item)
    _step_until(h, arn, lambda: _stages(h, arn)["preprocessing"].status == "RETRYING")
    info = _stages(h, arn)["preprocessing"]
    assert info.detail.startswith("retrying (attempt 2 of 5, next at "), info.detail
    assert info.detail.endswith(" UTC) after SageMaker.ThrottlingException"), info.detail
    assert h.run(arn)["status"] == "SUCCEEDED"
    assert _stages(h, arn)["preprocessing"].status == "SUCCEEDED"


def test_a_failed_gate_shows_gate_failed_with_metric_value_and_threshold(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=9999.0)
    arn = h.start(item)
    assert h.run(arn)["status"] == "FAILED"
    shown = _stages(h, arn)
    assert shown["gate"].status == "FAILED"
    assert shown["gate"].detail == ("Sagestep.GateFailed: gate failed: "
                                    "regression_metrics.mse.value = 9999, required <= 4000")
    assert shown.get("notify") is None or shown["notify"].status != "FAILED"


def test_a_job_failure_is_reported_on_its_stage_not_on_notify(tmp_path: Path) -> None:
    item = _item(tmp_path)
    h, _ = _harness(tmp_path, item, mse=1.0)
    from sagestep.triggers.render import render_run
    from tests.pipeline.test_generic_run import _trigger

    names = render_run({**item, "version": 7}, _trigger(), 0.0).input["names"]
    h.sm.fail_jobs = {names["training"] + "-0", names["training"] + "-1"}
    arn = h.start(item)
    assert h.run(arn)["status"] == "FAILED"
    shown = _stages(h, arn)
    assert shown["training"].status == "FAILED"
    assert [s for s, i in shown.items() if i.status == "FAILED"] == ["training"]


def test_a_run_at_its_manual_approval_waits_for_approval(tmp_path: Path) -> None:
    item = _item(tmp_path, approval={"run": True, "mode": "manual"})
    h, _ = _harness(tmp_path, item, mse=1.0)
    arn = h.start(item)
    h.run(arn)
    assert _stages(h, arn)["approval"].status == "WAITING_FOR_APPROVAL"


def test_a_stage_waiting_in_its_own_retry_policy_says_so(tmp_path: Path) -> None:
    from sagestep.triggers.render import render_run
    from tests.pipeline.test_generic_run import _trigger

    item = _item(tmp_path)
    item["stages"]["preprocessing"]["retry"] = {"max_attempts": 1, "interval_seconds": 60,
                                               "backoff_rate": 2.0}
    h, _ = _harness(tmp_path, item, mse=1.0)
    base = render_run({**item, "version": 7}, _trigger(), 0.0).input["names"]["preprocessing"]
    h.sm.fail_jobs = {f"{base}-0", f"{base}-1"}
    arn = h.start(item)
    _step_until(h, arn, lambda: _stages(h, arn)["preprocessing"].detail.startswith(
        "retrying (attempt 2 of 2"))
    info = _stages(h, arn)["preprocessing"]
    assert info.status == "RETRYING" and info.detail.endswith(" UTC) after States.TaskFailed")
    assert h.run(arn)["status"] == "SUCCEEDED"
