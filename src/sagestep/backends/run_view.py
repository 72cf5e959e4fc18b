"""Run views from history events: stage statuses with RETRYING, failure summary, event rows.

Pure functions over boto3 GetExecutionHistory events (local or AWS); ``backends.views``
reads the events and caches, this module folds them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sagestep.backends import progress
from sagestep.backends.base import RunInfo, StageInfo, find_task_token
from sagestep.backends.runs import enabled_stages
from sagestep.triggers.causes import run_cause

FAILURE_EVENTS = ("TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut")


@dataclass(frozen=True)
class StageView:
    """A stage as a viewer shows it: StageInfo plus RETRYING and its failed attempts."""

    stage: str
    status: str  # PENDING | RUNNING | RETRYING | WAITING_FOR_* | SUCCEEDED | FAILED | ABORTED | SKIPPED
    started: float | None = None
    ended: float | None = None
    jobs: tuple[str, ...] = ()
    error: str = ""
    failed_attempts: int = 0  # task failures inside the stage (retried or final)

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "status": self.status, "started": self.started,
                "ended": self.ended, "jobs": list(self.jobs), "error": self.error,
                "failed_attempts": self.failed_attempts}


@dataclass(frozen=True)
class RunView:
    """One run: its description, stages, and the history events after ``after_event``."""

    info: RunInfo
    stages: tuple[StageView, ...]
    events: tuple[dict[str, Any], ...]
    last_event: int
    waiting_approval: bool
    failure: Mapping[str, str] | None = None  # stage, error, cause (reason first)

    def to_dict(self) -> dict[str, Any]:
        return {"info": self.info.to_dict(), "stages": [s.to_dict() for s in self.stages],
                "events": [event_row(e) for e in self.events], "last_event": self.last_event,
                "waiting_approval": self.waiting_approval, "failure": self.failure}


def metrics_of(state: Mapping[str, Any]) -> dict[str, float]:
    """``{metric: value}`` of a run's state: training/best-training metrics and the gate."""
    found: dict[str, float] = {}
    results = state.get("results") or {}
    if not isinstance(results, Mapping):
        return found
    for key in ("training", "best_training"):
        job = results.get(key) or {}
        for metric in (job.get("FinalMetricDataList") or []) if isinstance(job, Mapping) else []:
            try:
                found[str(metric.get("MetricName"))] = float(metric.get("Value"))
            except (TypeError, ValueError):
                continue
    gate = results.get("gate")
    if isinstance(gate, Mapping) and isinstance(gate.get("value"), int | float):
        found.setdefault(f"gate:{gate.get('metric')}", float(gate["value"]))
    return found


def build_view(info: RunInfo, events: Sequence[dict[str, Any]]) -> RunView:
    base = progress.stages(events, info.status, enabled_stages(info.input))
    failures: dict[str, int] = {}
    last_task: dict[str, str] = {}
    current: str | None = None
    for event, owner in owned(events):
        current = owner
        kind = str(event.get("type"))
        if owner is None:
            continue
        if kind in FAILURE_EVENTS:
            failures[owner] = failures.get(owner, 0) + 1
            last_task[owner] = "failed"
        elif kind in ("TaskScheduled", "TaskSucceeded", "TaskStarted"):
            last_task[owner] = kind
    live = current if info.status == "RUNNING" else None  # only the stage running now retries
    stages = tuple(_stage_view(s, failures.get(s.stage, 0), last_task.get(s.stage), s.stage == live)
                   for s in base)
    waiting = info.status == "RUNNING" and find_task_token(events) is not None
    last = int(events[-1].get("id", 0)) if events else 0
    return RunView(info, stages, tuple(events), last, waiting, _failure(info, stages))


def _stage_view(s: StageInfo, failures: int, last_task: str | None, live: bool) -> StageView:
    status = s.status
    # A task of the stage running now failed and is scheduled again (Retry): RETRYING. The
    # stage may read SUCCEEDED in progress.stages, which closes it at the failure's time.
    if (live and failures and status in ("RUNNING", "SUCCEEDED")
            and last_task in ("failed", "TaskScheduled", "TaskStarted")):
        status = "RETRYING"
    return StageView(s.stage, status, s.started, s.ended, s.jobs, reason(s.detail), failures)


def _failure(info: RunInfo, stages: Sequence[StageView]) -> dict[str, str] | None:
    if info.status not in ("FAILED", "TIMED_OUT", "ABORTED"):
        return None
    failed = next((s for s in stages if s.status in ("FAILED", "ABORTED")), None)
    return {"stage": failed.stage if failed else "", "error": info.error or info.status,
            "cause": reason(info.cause) or (failed.error if failed else "")}


def reason(text: str) -> str:
    """A failed .sync job's cause is its whole Describe*Job JSON: its FailureReason says why."""
    head, sep, tail = text.partition("{")
    try:
        described = json.loads(sep + tail) if sep else None
    except ValueError:
        return text
    if isinstance(described, dict) and described.get("FailureReason"):
        name = next((str(v) for k, v in described.items() if str(k).endswith("JobName")), "")
        return f"{head}{name + ': ' if name else ''}{described['FailureReason']}"
    return text


def event_row(event: Mapping[str, Any]) -> dict[str, Any]:
    """A history event as a table row: id, time, type, state name, short detail."""
    found = details(event)
    name = str(found.get("name", ""))
    detail = ""
    if "error" in found or "cause" in found:
        error = str(found.get("error", ""))
        detail = f"{error}: {reason(run_cause(error, str(found.get('cause', ''))))}"
    elif "resource" in found:
        detail = f"{found.get('resourceType', '')}:{found.get('resource', '')}"
    return {"id": int(event.get("id", 0)), "at": iso(event.get("timestamp")),
            "type": str(event.get("type", "")), "name": name, "detail": detail[:500]}


def owned(events: Sequence[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], str | None]]:
    """Each event with the stage whose state was last entered before it."""
    current: str | None = None
    out = []
    for event in events:
        entered = event.get("stateEnteredEventDetails")
        if entered:
            current = progress.stage_of(str(entered.get("name", "")))
        out.append((event, current))
    return out


def details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    found: Mapping[str, Any] = next(
        (v for k, v in event.items() if str(k).endswith("EventDetails") and isinstance(v, Mapping)),
        {},
    )
    return found


def iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else str(value)
