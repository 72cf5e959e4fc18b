"""Stage-by-stage progress of an execution, read from its history events.

The generic state machine names each state after its stage ("training: job"); older or
hand-written machines (seed 002's "CheckTrainingRun", "TrainingJob") are matched by the
stage words in the name. Works on boto3 GetExecutionHistory events, local or AWS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sagestep.backends.base import RETRYING, WAITING_FOR_APPROVAL, StageInfo
from sagestep.pipeline.stages import STAGES
from sagestep.triggers.causes import run_cause

# Words (after lower-casing and dropping separators) that name each stage in a state name.
_ALIASES = (
    ("preprocessing", ("preprocessing", "preprocess", "etl")),
    ("postprocessing", ("postprocessing", "postprocess")),
    ("batch_transform", ("batchtransform", "transform", "batch")),
    ("create_model", ("createmodel",)),
    ("tuning", ("tuning", "tune", "hyperparameter")),
    ("training", ("training", "train")),
    ("evaluation", ("evaluation", "evaluate")),
    ("gate", ("gate", "threshold")),
    ("approval", ("approval", "approve")),
    ("register", ("register", "modelpackage")),
    ("deploy", ("deploy", "endpoint")),
    ("notify", ("notify", "notification", "sns")),
)
# Longest first so "Batch Transform" wins over a shorter title it might start with.
_TITLES = sorted(
    ((stage, stage.replace("_", " ").title()) for stage in STAGES), key=lambda t: -len(t[1])
)
# The deploy queue's states (sagestep.pipeline.deploy): waiting for the endpoint, superseded.
ENDPOINT_QUEUE = "Wait For Endpoint Turn"
SKIPPED_DEPLOY = "Deploy Skipped"
# States that fail their stage: its catch path ("Training Failed"), an endpoint that broke
# or an update that rolled back (deploy and promotion targets: "Target 2 Endpoint Rolled Back").
_FAILURE_STATES = (" Failed", "Endpoint Broken", "Endpoint Rolled Back")
_JOB_KEYS = (
    "ProcessingJobName", "TrainingJobName", "HyperParameterTuningJobName", "TransformJobName",
    "ModelName", "EndpointConfigName", "EndpointName", "ModelPackageGroupName",
)


def stage_of(state_name: str) -> str | None:
    """The pipeline stage a state belongs to, or None for framework states."""
    for stage, title in _TITLES:
        # The generic machine: "Training?", "Training", "Training Result", "Training Failed".
        if state_name == title or state_name.startswith((title + "?", title + " ")):
            return stage
    head, sep, _ = state_name.partition(":")
    if sep and head.strip().lower().replace(" ", "_") in STAGES:
        return head.strip().lower().replace(" ", "_")
    flat = re.sub(r"[^a-z]", "", state_name.lower())
    for stage, words in _ALIASES:
        if any(word in flat for word in words):
            return stage
    return None


def stages(
    events: Sequence[Mapping[str, Any]], status: str = "RUNNING",
    enabled: Sequence[str] | None = None, definition: Mapping[str, Any] | None = None,
) -> list[StageInfo]:
    """Progress per stage in canonical order; stages never entered are PENDING/SKIPPED.

    ``enabled`` (stage keys whose run flag is on) limits the not-yet-entered stages shown.
    ``definition`` (the execution's state machine) lets a stage waiting on a Retry say which
    attempt comes next and when.
    """
    tracker = _Tracker(definition)
    for event in events:
        tracker.see(event)
    seen = tracker.seen
    wanted = {stage_of(s) or s for s in enabled} if enabled is not None else None
    shown = []
    for stage in STAGES:
        info = _info(stage, seen.get(stage), status, tracker.definition)
        if wanted is not None and stage not in wanted and info.status in ("SKIPPED", "PENDING"):
            continue  # its run flag is off: passing its Choice is not news
        if wanted is None and stage not in seen and stage == "notify":
            continue
        shown.append(info)
    return shown


class _Tracker:
    """Folds history events into per-stage records (start, end, jobs, failure, waiting).

    A task failure is only a *pending* error: the machine may catch it and go on (a model
    package group that already exists) or retry it. The stage FAILED when the generic
    machine enters "<Title> Failed", or when the execution fails while it holds the error.
    """

    def __init__(self, definition: Mapping[str, Any] | None = None) -> None:
        self.seen: dict[str, dict[str, Any]] = {}
        self.current: str | None = None
        self.definition = definition

    def see(self, event: Mapping[str, Any]) -> None:
        kind = str(event.get("type", ""))
        at = _ts(event.get("timestamp"))
        entered = event.get("stateEnteredEventDetails")
        if entered:
            self._enter(str(entered.get("name", "")), kind, at, entered.get("input"))
        elif kind == "ExecutionRedriven":
            self._redriven()
        elif kind.startswith("Execution") and kind != "ExecutionStarted":
            self._execution_ended(kind, _details(event), at)
        elif self.current is not None:
            self._in_stage(self.seen[self.current], kind, event, at)

    def _in_stage(self, rec: dict[str, Any], kind: str, event: Mapping[str, Any],
                  at: float | None) -> None:
        rec["open_failure"] = None  # any later event: the failure was retried or caught
        exited = event.get("stateExitedEventDetails")
        if exited:
            rec["end"] = at
            if str(exited.get("name", "")).endswith(SKIPPED_DEPLOY):
                rec["note"] = _skip_reason(exited.get("output"))
        if kind == "TaskScheduled":
            details = event.get("taskScheduledEventDetails") or {}
            rec["jobs"].extend(_jobs(details.get("parameters")))
            rec["resource"] = str(details.get("resource", ""))
            rec["waiting"] = rec["resource"].endswith(".waitForTaskToken")
        elif kind in ("TaskSucceeded", "TaskSubmitted"):
            rec["waiting"] = rec["waiting"] and kind == "TaskSubmitted"
            if kind == "TaskSucceeded" and rec["resource"] == rec["error_resource"]:
                rec["error"] = ""  # a retry of the failed task worked
        elif kind.endswith("Failed") or kind.endswith("TimedOut"):
            why = _details(event)
            if why or not rec["error"]:  # ParallelStateFailed adds nothing to TaskFailed's why
                rec["error"] = _why(why, kind)
                rec["error_name"] = str(why.get("error") or rec.get("error_name") or "")
                rec["error_resource"] = rec["resource"] if kind.startswith("Task") else None
            rec["end"] = at
            owner = _retry_owner(rec, kind)
            if owner is not None:
                rec["fails"][owner] = rec["fails"].get(owner, 0) + 1
                rec["open_failure"] = (owner, at)

    def _enter(self, name: str, kind: str, at: float | None, input_text: Any = None) -> None:
        stage = stage_of(name)
        if not stage:
            return
        rec = self.seen.setdefault(stage, {
            "start": at, "end": None, "work": 0, "jobs": [], "error": "", "failed": False,
            "waiting": False, "resource": "", "error_resource": None,
            "entered": [], "fails": {}, "open_failure": None, "error_name": "",
            "loop_wait": None, "state": name, "note": "",
        })
        rec["end"] = None
        rec["open_failure"] = None
        rec["state"] = name
        rec["entered"].append((name, kind.removesuffix("StateEntered")))
        rec["fails"].pop(name, None)  # a new entry into a state starts its Retry count over
        if kind != "ChoiceStateEntered":  # a stage that only ran its Choice was skipped
            rec["work"] += 1
        if name.endswith(_FAILURE_STATES):  # the generic machine's failure path for this stage
            rec["failed"] = True
        rec["loop_wait"] = _loop_wait(stage, name, input_text, at)
        if name == "Gate Rejected":  # the gate ran and its verdict was "no": it FAILED
            rec["failed"] = True
            rec["error"] = "Sagestep.GateFailed: " + _gate_summary(input_text)
        self.current = stage

    def _redriven(self) -> None:
        # RedriveExecution: the run goes on from where it failed; the stage that failed runs
        # again (the generic machine re-enters it), so its failure is no longer its status.
        for rec in self.seen.values():
            if rec["failed"]:
                rec.update(failed=False, aborted=False, error="", error_name="",
                           open_failure=None, end=None)

    def _execution_ended(self, kind: str, why: Mapping[str, Any], at: float | None) -> None:
        if kind == "ExecutionSucceeded":
            return
        failed = [r for r in self.seen.values() if r["failed"]]
        for done in failed:  # a failure Pass holds no error of its own: the run's is its cause
            done["error"] = done["error"] or _why(why, kind)
        if failed:
            return
        # A failure belongs to the stage where it happened: the notify stage that runs after
        # it is never blamed unless it is the only stage holding an error.
        holders = [r for s, r in self.seen.items() if r["error"] and s != "notify"] or \
            [r for r in self.seen.values() if r["error"]]
        rec = holders[-1] if holders else self.seen.get(self.current or "")
        if rec is None:
            return
        rec["failed"] = True
        rec["aborted"] = kind == "ExecutionAborted"  # stopped there, not failed there
        rec["error"] = rec["error"] or _why(why, kind)
        rec["end"] = rec["end"] or at


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    found: Mapping[str, Any] = next(
        (v for k, v in event.items() if str(k).endswith("EventDetails")), {}
    )
    return found


def _why(details: Mapping[str, Any], kind: str) -> str:
    error = str(details.get("error", kind))
    return f"{error}: {run_cause(error, str(details.get('cause', '')))}".strip(": ")


def _retry_owner(rec: Mapping[str, Any], kind: str) -> str | None:
    """The state whose Retry may catch this failure: the last Parallel/Map entered for their
    own failure events, else the last Task entered."""
    wanted = ("Parallel",) if kind.startswith("ParallelState") else \
        ("Map",) if kind.startswith("MapState") else ("Task",)
    for name, state_type in reversed(rec["entered"]):
        if state_type in wanted:
            return str(name)
    return None


def _find_state(definition: Mapping[str, Any] | None, name: str) -> Mapping[str, Any] | None:
    if not isinstance(definition, Mapping):
        return None
    states = definition.get("States") or {}
    if name in states:
        found: Mapping[str, Any] = states[name]
        return found
    for state in states.values():
        for inner in [*state.get("Branches", []), state.get("ItemProcessor"), state.get("Iterator")]:
            hit = _find_state(inner, name)
            if hit is not None:
                return hit
    return None


def retry_note(definition: Mapping[str, Any] | None, state: str, error: str, fails: int,
               failed_at: float | None) -> str | None:
    """"retrying (attempt n of m, next at T)" when ``state``'s Retry catches ``error``."""
    found = _find_state(definition, state)
    for retrier in (found or {}).get("Retry", []):
        names = retrier.get("ErrorEquals", [])
        if error in names or "States.ALL" in names:
            attempts = int(retrier.get("MaxAttempts", 3))
            if fails > attempts:
                return None
            wait = float(retrier.get("IntervalSeconds", 1)) * \
                float(retrier.get("BackoffRate", 2.0)) ** (fails - 1)
            if retrier.get("MaxDelaySeconds") is not None:
                wait = min(wait, float(retrier["MaxDelaySeconds"]))
            when = "" if failed_at is None else ", next at " + datetime.fromtimestamp(
                failed_at + wait, tz=UTC).strftime("%H:%M:%S UTC")
            return f"retrying (attempt {fails + 1} of {attempts + 1}{when}) after {error}"
    return None


def _loop_wait(stage: str, name: str, input_text: Any, at: float | None) -> str | None:
    """The note of the generic machine's "<Title> Wait" (a stage's data-driven retry)."""
    if not name.endswith(" Wait") or name == "Wait":
        return None
    try:
        data = json.loads(input_text) if isinstance(input_text, str) else input_text
        counter = data["work"]["retries"][stage]
        attempts = int(data["stages"][stage]["retry"]["max_attempts"]) + 1
        count, wait = int(counter["count"]), float(counter["wait"])
    except (ValueError, TypeError, KeyError):
        return None
    when = "" if at is None else ", next at " + datetime.fromtimestamp(
        at + wait, tz=UTC).strftime("%H:%M:%S UTC")
    return f"retrying (attempt {count + 1} of {attempts}{when}) after States.TaskFailed"


def _gate_summary(input_text: Any) -> str:
    try:
        data = json.loads(input_text) if isinstance(input_text, str) else input_text
        return str(data["results"]["gate"]["summary"])
    except (ValueError, TypeError, KeyError):
        return "the gate's metric did not meet its threshold"


def _info(stage: str, rec: Mapping[str, Any] | None, status: str,
          definition: Mapping[str, Any] | None = None) -> StageInfo:
    if rec is None:
        done = status in ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
        return StageInfo(stage, "SKIPPED" if done else "PENDING")
    jobs = tuple(dict.fromkeys(rec["jobs"]))
    note = None
    if rec["open_failure"] is not None and not rec["failed"] and status == "RUNNING":
        owner, failed_at = rec["open_failure"]
        note = retry_note(definition, owner, rec["error_name"], rec["fails"].get(owner, 1),
                          failed_at)
    if note is None and rec.get("loop_wait") and not rec["failed"] and status == "RUNNING":
        note = rec["loop_wait"]  # the stage's own retry policy waits before the next attempt
    if rec["failed"]:
        state = "ABORTED" if rec.get("aborted") else "FAILED"
    elif note is not None:
        return StageInfo(stage, RETRYING, rec["start"], None, jobs, note)
    elif rec["waiting"]:
        state = WAITING_FOR_APPROVAL
    elif rec["end"] is None and status == "RUNNING" and rec["state"].endswith(ENDPOINT_QUEUE):
        return StageInfo(stage, "WAITING_FOR_ENDPOINT", rec["start"], None, jobs,
                         "waiting for the endpoint: another run's deploy is in progress; "
                         "this one follows in trigger order")
    elif rec["end"] is None and status == "RUNNING":
        state = "RUNNING"
    elif rec["work"] == 0:
        state = "SKIPPED"  # only the stage's Choice ran: its run flag was off
    else:
        state = "SUCCEEDED"
    return StageInfo(stage, state, rec["start"], rec["end"], jobs,
                     rec["error"] if rec["failed"] else rec["note"])  # ABORTED: why it was stopped


def _skip_reason(output: Any) -> str:
    """The reason a superseded deploy left in ``$.results.<stage>.Reason``."""
    try:
        results = json.loads(output).get("results") or {}
    except (TypeError, ValueError, AttributeError):
        return "skipped: a later run's model was deployed"
    found = [r.get("Reason") for r in results.values() if isinstance(r, Mapping) and r.get("Skipped")]
    return str(found[0]) if found and found[0] else "skipped: a later run's model was deployed"


def _jobs(parameters: Any) -> list[str]:
    if isinstance(parameters, str):
        try:
            parameters = json.loads(parameters)
        except ValueError:
            return []
    if not isinstance(parameters, Mapping):
        return []
    found = [str(parameters[k]) for k in _JOB_KEYS if isinstance(parameters.get(k), str)]
    jobs = [str(parameters[k]) for k in _JOB_KEYS[:4] if isinstance(parameters.get(k), str)]
    return jobs or found  # a transform job names its model too; show the job


def _ts(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return None
