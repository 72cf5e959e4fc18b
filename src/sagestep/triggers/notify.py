"""The notification Lambda: execution status changes -> one SNS message per run outcome.

Ships as a Lambda (``sagestep package-lambda`` builds notify.zip), so it imports only the
standard library, boto3 and sagestep.triggers.causes. Events it understands:

- EventBridge "Step Functions Execution Status Change" of the generic state machine. The
  execution history says which stages ran and which one ended the run (TIMED_OUT and
  ABORTED runs can only be reported from here: the state machine is no longer running).
- a direct call ``{"pipeline", "stage", "status", "execution"?, "message"?, "error"?,
  "cause"?}`` (a ``lambda:invoke`` task, or a person testing the topic).

Custom messages follow seed 001's ``custom_notification_config`` entries
``{step_name, step_status, step_custom_message}`` (seed 001 read ``step_msg`` and so never
sent one). ``step_name`` is a stage or ``execution``, ``*`` matches any stage or status, and
statuses compare case-insensitively. A matching message marks the subject "Action Required".
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sagestep.triggers.causes import run_cause

SUBJECT_LIMIT = 100  # SNS Publish: Subject <= 100 ASCII characters, no line breaks.
ACTION_REQUIRED = " - Action Required"
ENDED = {"FAILED": "Failed", "TIMED_OUT": "TimedOut", "ABORTED": "Aborted"}

# Words of the compiled machine's state names -> stage (first match wins; see asl/compile.py).
_STAGE_WORDS = (
    ("data quality", "data_quality"),
    ("model quality", "model_quality"),
    ("baseline", "baseline"),
    ("batch transform", "batch_transform"),
    ("model package", "register"),
    ("register", "register"),
    ("create model", "create_model"),
    ("endpoint", "deploy"),
    ("deploy", "deploy"),
    ("preprocessing", "preprocessing"),
    ("postprocessing", "postprocessing"),
    ("training", "training"),
    ("tuning", "tuning"),
    ("evaluation", "evaluation"),
    ("gate", "gate"),
    ("approval", "approval"),
    ("notify success", "notify"),
)


@dataclass(frozen=True)
class StatusChange:
    """One status change of a pipeline run (``stage`` "execution") or of one stage."""

    pipeline: str
    stage: str
    status: str
    execution: str = ""
    execution_arn: str = ""
    error: str = ""
    cause: str = ""
    message: str = ""
    stages: tuple[tuple[str, str], ...] = ()  # (stage, status) in the order they ran
    machine_notified: bool = False  # the run's own notify stage already published this


@dataclass(frozen=True)
class Notification:
    """What goes to SNS for one status change."""

    subject: str
    message: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    custom: bool = False


def parse_event(event: Mapping[str, Any]) -> StatusChange | None:
    """The status change an event reports, or None when it is not about a sagestep run."""
    if event.get("detail-type") == "Step Functions Execution Status Change":
        return _execution_change(event.get("detail") or {})
    if "status" in event and ("stage" in event or "pipeline" in event):
        return StatusChange(
            pipeline=str(event.get("pipeline", "")),
            stage=str(event.get("stage", "execution")),
            status=str(event["status"]),
            execution=str(event.get("execution", "")),
            error=str(event.get("error", "")),
            cause=str(event.get("cause", "")),
            message=str(event.get("message", "")),
        )
    return None


def _execution_change(detail: Mapping[str, Any]) -> StatusChange:
    run_input = _json_object(detail.get("input"))
    status = str(detail.get("status", ""))
    notify = (run_input.get("stages") or {}).get("notify") or {}
    pipeline = run_input.get("pipeline") or detail.get("stateMachineArn", "").rsplit(":", 1)[-1]
    return StatusChange(
        pipeline=str(pipeline),
        stage="execution",
        status=status,
        execution=str(detail.get("name", "")),
        execution_arn=str(detail.get("executionArn", "")),
        error=str(detail.get("error") or ""),
        # The generic machine fails in a Lambda Task, whose cause Lambda wraps as JSON.
        cause=run_cause(str(detail.get("error") or ""), str(detail.get("cause") or "")),
        machine_notified=bool(notify.get("run")) and status in ("SUCCEEDED", "FAILED"),
    )


def _json_object(raw: Any) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return {}
    return value if isinstance(value, Mapping) else {}


def stage_of(state_name: str) -> str | None:
    """The pipeline stage a state of the compiled machine belongs to (None: a routing state)."""
    name = state_name.lower()
    if name.endswith("?") or name in ("succeeded", "failed") or "notify fail" in name:
        return None
    return next((stage for words, stage in _STAGE_WORDS if words in name), None)


def stages_from_history(events: Iterable[Mapping[str, Any]], status: str) -> list[tuple[str, str]]:
    """(stage, status) of every stage the run entered, from its execution history."""
    result: dict[str, str] = {}
    for event in events:
        if event.get("type") == "ExecutionRedriven":  # the failed stage runs again
            result = {s: "Running" if state == "Failed" else state for s, state in result.items()}
        if not str(event.get("type", "")).endswith("StateEntered"):
            continue
        details = event.get("stateEnteredEventDetails") or {}
        stage = stage_of(str(details.get("name", "")))
        if stage is None:
            continue
        failed = str(details.get("name", "")).lower().endswith(("failed", "rejected", "broken"))
        for earlier, state in result.items():
            if state == "Running" and earlier != stage:
                result[earlier] = "Succeeded"
        result[stage] = "Failed" if failed else result.get(stage, "Running")
    final = "Succeeded" if status == "SUCCEEDED" else ENDED.get(status, "Running")
    return [(s, final if state == "Running" else state) for s, state in result.items()]


def with_history(change: StatusChange, sfn: Any) -> StatusChange:
    """``change`` with the stages of its run, read from the execution history."""
    if not change.execution_arn or change.status == "RUNNING":
        return change
    events: list[Mapping[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": change.execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page.get("events", []))
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return replace(change, stages=tuple(stages_from_history(events, change.status)))


def custom_messages(change: StatusChange, config: Sequence[Mapping[str, Any]]) -> list[str]:
    """Configured messages for the run's status and for the status of each of its stages."""
    pairs = [(change.stage, change.status), *change.stages]
    found: list[str] = []
    for entry in config:
        name = str(entry.get("step_name", ""))
        status = str(entry.get("step_status", "")).lower()
        for stage, stage_status in pairs:
            if name in ("*", stage) and status in ("*", stage_status.lower()):
                text = str(entry.get("step_custom_message", ""))
                if text and text not in found:
                    found.append(text)
    return found


def build_notification(change: StatusChange, config: Sequence[Mapping[str, Any]]) -> Notification:
    """Subject, body and message attributes for one status change."""
    custom = custom_messages(change, config)
    subject = f"sagestep {change.pipeline or '?'}: {change.stage} {change.status}"
    if custom:
        subject = subject[: SUBJECT_LIMIT - len(ACTION_REQUIRED)] + ACTION_REQUIRED
    subject = "".join(c if 32 <= ord(c) < 127 else "?" for c in subject)[:SUBJECT_LIMIT]
    ended = [s for s, status in change.stages if status not in ("Succeeded", "Running")]
    lines = [*custom, *([change.message] if change.message else [])]
    lines += ([""] if lines else []) + [f"Pipeline: {change.pipeline}", f"Status: {change.status}"]
    extra = (
        ("Stage", change.stage if change.stage != "execution" else ""),
        ("Ended in stage", ended[-1] if ended else ""),
        ("Execution", change.execution_arn or change.execution),
        ("Error", change.error),
        ("Cause", change.cause),
    )
    lines += [f"{k}: {v}" for k, v in extra if v]
    if change.stages:
        lines += ["", "Stages:"] + [f"  {stage}: {status}" for stage, status in change.stages]
    attributes = {"pipeline": change.pipeline, "stage": change.stage, "status": change.status}
    return Notification(
        subject=subject,
        message="\n".join(lines),
        attributes={k: v for k, v in attributes.items() if v},
        custom=bool(custom),
    )


def load_config(raw: str | None) -> list[Mapping[str, Any]]:
    """Parse SAGESTEP_CUSTOM_NOTIFICATION_CONFIG (a JSON list); bad values name the fix."""
    hint = "set it to a JSON list of {step_name, step_status, step_custom_message} objects"
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ValueError(
            f"SAGESTEP_CUSTOM_NOTIFICATION_CONFIG is not JSON ({exc}); {hint}"
        ) from exc
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ValueError(f"SAGESTEP_CUSTOM_NOTIFICATION_CONFIG is not a list of objects; {hint}")
    return value


def handler(
    event: Mapping[str, Any], context: Any = None, sns: Any = None, sfn: Any = None
) -> dict[str, Any]:
    """Lambda entry point: publish one SNS message for a sagestep status change."""
    change = parse_event(event)
    if change is None:
        return {"published": False, "reason": "not a sagestep status change"}
    topic = os.environ.get("SAGESTEP_TOPIC_ARN")
    if not topic:
        raise ValueError("SAGESTEP_TOPIC_ARN is not set; the Terraform module sets it")
    config = load_config(os.environ.get("SAGESTEP_CUSTOM_NOTIFICATION_CONFIG"))
    if change.execution_arn:
        import boto3

        change = with_history(change, sfn or boto3.client("stepfunctions"))
    note = build_notification(change, config)
    if change.machine_notified and not note.custom:
        # The run's notify stage published its own success/failure message already.
        return {"published": False, "reason": "the state machine notified", "subject": note.subject}
    if sns is None:
        import boto3

        sns = boto3.client("sns")
    response = sns.publish(
        TopicArn=topic,
        Subject=note.subject,
        Message=note.message,
        MessageAttributes={
            k: {"DataType": "String", "StringValue": v} for k, v in note.attributes.items()
        },
    )
    return {"published": True, "message_id": response.get("MessageId"), "subject": note.subject}

