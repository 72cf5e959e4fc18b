"""A monitoring breach routed as an EventBridge execution status change starts one retraining."""

from __future__ import annotations

import json

from sagestep.triggers.events import Ignored, Trigger, parse

CAUSE = "data_quality: CompletedWithViolations: 1 violation(s): x: baseline_drift_check"


def event(status="FAILED", cause=CAUSE, retrain="train-hpo", arn="arn:aws:states:r:1:execution:m:e1",
          error="Sagestep.MonitoringViolations"):
    run_input = {"pipeline": "inference", "names": {"data_quality": "dq-job"},
                 "stages": {"data_quality": {"run": True, "retrain": retrain},
                            "model_quality": {"run": False}}}
    return {"source": "aws.states", "detail-type": "Step Functions Execution Status Change",
            "time": "2026-01-01T00:00:00Z",
            "detail": {"executionArn": arn, "name": "e1", "status": status,
                       "input": json.dumps(run_input), "error": error,
                       "cause": cause}}


def test_breach_names_the_retraining_pipeline_with_the_run_as_trigger():
    (trigger,) = parse(event())
    assert isinstance(trigger, Trigger)
    assert (trigger.type, trigger.pipeline) == ("breach", "train-hpo")
    assert trigger.identity == "breach:arn:aws:states:r:1:execution:m:e1"
    assert trigger.params["breached_stage"] == "data_quality"
    assert trigger.params["breached_execution"] == "e1"
    assert trigger.params["violations"] == ("CompletedWithViolations: 1 violation(s): x: "
                                            "baseline_drift_check")
    assert parse(event())[0].identity == trigger.identity  # a redelivery: same identity


def test_other_failures_and_statuses_start_nothing():
    assert isinstance(parse(event(status="SUCCEEDED"))[0], Ignored)
    assert isinstance(parse(event(error="States.TaskFailed", cause="OOM"))[0], Ignored)
    assert isinstance(parse(event(cause="training: CompletedWithViolations"))[0], Ignored)
    assert isinstance(parse(event(retrain=None))[0], Ignored)
