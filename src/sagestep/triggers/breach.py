"""A monitoring breach starts the retraining pipeline (seed 001's retraining loop).

Event: EventBridge "Step Functions Execution Status Change" of the generic state machine with
status FAILED (on AWS a rule of the Terraform module sends it to the router; locally
``Backend.send_event`` does). The run retrains only when a monitoring stage failed it
on violations (error ``Sagestep.MonitoringViolations``, cause ``<stage>:
CompletedWithViolations: ...``) and that stage names a ``retrain`` pipeline; any other failure (bad
input, out of memory) starts nothing, unlike seed 001's rule that retrains on every failure
of its step.

The trigger's identity is the failed execution's ARN: a second delivery of the same event
renders the same execution name, and Step Functions' ExecutionAlreadyExists makes it a
duplicate, so each breach starts exactly one retraining run.

Standard library only: this module ships inside the router Lambda.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sagestep.triggers.causes import run_cause

MONITOR_STAGES = ("data_quality", "model_quality")
BREACH = "CompletedWithViolations"
ERROR = "Sagestep.MonitoringViolations"  # pipeline.monitor_stages.BREACH_ERROR
DETAIL_TYPE = "Step Functions Execution Status Change"


def breach(detail: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]] | str:
    """(retrain pipeline, identity, params) of a breaching run, or why it starts nothing."""
    if detail.get("status") != "FAILED":
        return f"execution status {detail.get('status')}: only a FAILED run can breach"
    if detail.get("error") != ERROR:
        return "the run failed, but not because a monitoring check found violations"
    cause = run_cause(ERROR, str(detail.get("cause") or ""))  # the run fails in a Lambda Task
    stage, _, summary = cause.partition(": ")
    if stage not in MONITOR_STAGES or not summary.startswith(BREACH):
        return f"cause {str(detail.get('cause'))[:80]!r} names no monitoring stage"
    try:
        run_input = json.loads(str(detail.get("input") or "{}"))
    except ValueError:
        return "the execution input is not JSON"
    target = ((run_input.get("stages") or {}).get(stage) or {}).get("retrain")
    if not target:
        return f"stage {stage} breached but names no retrain pipeline"
    arn = str(detail.get("executionArn") or "")
    params = {"breached_pipeline": str(run_input.get("pipeline", "")),
              "breached_execution": str(detail.get("name", "")),
              "breached_execution_arn": arn, "breached_stage": stage,
              "violations": summary[:500]}
    return str(target), f"breach:{arn}", params
