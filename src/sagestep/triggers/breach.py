"""A monitoring breach starts the retraining pipeline (seed 001's retraining loop).

Event: EventBridge "Step Functions Execution Status Change" of the generic state machine with
status FAILED (on AWS a rule of the Terraform module sends it to the router; locally
``Backend.send_event`` does). The run retrains only when it failed in a monitoring stage
whose job found violations (its cause carries the ``CompletedWithViolations`` exit message of
``sagestep.monitor``) and that stage names a ``retrain`` pipeline; any other failure (bad
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

MONITOR_STAGES = ("data_quality", "model_quality")
BREACH = "CompletedWithViolations"
DETAIL_TYPE = "Step Functions Execution Status Change"


def breach(detail: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]] | str:
    """(retrain pipeline, identity, params) of a breaching run, or why it starts nothing."""
    if detail.get("status") != "FAILED":
        return f"execution status {detail.get('status')}: only a FAILED run can breach"
    try:
        run_input = json.loads(str(detail.get("input") or "{}"))
    except ValueError:
        return "the execution input is not JSON"
    cause = str(detail.get("cause") or "")
    if BREACH not in cause:
        return "the run failed, but not because a monitoring check found violations"
    stages = run_input.get("stages") or {}
    names = run_input.get("names") or {}
    for stage in MONITOR_STAGES:
        config = stages.get(stage) or {}
        job = str(names.get(stage) or "")
        if not config.get("run") or not job or job not in cause:
            continue
        target = config.get("retrain")
        if not target:
            return f"stage {stage} breached but names no retrain pipeline"
        arn = str(detail.get("executionArn") or "")
        params = {"breached_pipeline": str(run_input.get("pipeline", "")),
                  "breached_execution": str(detail.get("name", "")),
                  "breached_execution_arn": arn, "breached_stage": stage,
                  "violations": _summary(cause)}
        return str(target), f"breach:{arn}", params
    return "no monitoring stage of the run matches the failure"


def _summary(cause: str) -> str:
    start = cause.find(BREACH)
    text = cause[start:]
    end = text.find('"')  # the summary sits inside the DescribeProcessingJob JSON of the cause
    return (text if end < 0 else text[:end]).replace("\\n", " ")[:500]
