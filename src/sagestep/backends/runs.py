"""Run operations shared by every backend: they need only boto3-shaped clients.

LocalBackend hands in the local clients, AwsBackend boto3's; the code is the same, which is
the point of the boto3-shaped local services.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sagestep.backends import progress
from sagestep.backends.base import LogChunk, RunInfo, StageInfo, find_task_token, run_info
from sagestep.errors import AlreadyAnswered, BackendError

REJECTED = "Sagestep.Rejected"  # the error the compiled machine's approval Catch expects
LOG_GROUPS = (
    "/aws/sagemaker/ProcessingJobs", "/aws/sagemaker/TrainingJobs", "/aws/sagemaker/TransformJobs",
)


class Runs:
    """Describe, list, follow and answer executions through a Step Functions client."""

    def __init__(self, sfn: Any, state_machine_arn: Any, logs: Any = None,
                 job_note: Callable[[str], str | None] | None = None) -> None:
        self.sfn = sfn
        self._arn = state_machine_arn  # a str, or a callable giving it lazily
        self.logs_client = logs
        self.job_note = job_note  # local: why a job has not started (waiting for capacity)

    @property
    def state_machine_arn(self) -> str:
        return str(self._arn() if callable(self._arn) else self._arn)

    def execution_arn(self, run: str) -> str:
        """``run`` as an execution ARN (accepts a full ARN or an execution name)."""
        if run.startswith("arn:"):
            return run
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + run

    def describe(self, run: str) -> RunInfo:
        try:
            return run_info(self.sfn.describe_execution(executionArn=self.execution_arn(run)))
        except Exception as exc:
            if _code(exc) == "ExecutionDoesNotExist":
                raise BackendError(
                    f"no run {run!r}; list runs with `sagestep status` (names or ARNs accepted)"
                ) from exc
            raise

    def list_runs(self, pipeline: str | None = None, limit: int = 50) -> list[RunInfo]:
        found: list[RunInfo] = []
        kwargs: dict[str, Any] = {"stateMachineArn": self.state_machine_arn, "maxResults": 100}
        while len(found) < limit:
            page = self.sfn.list_executions(**kwargs)
            for summary in page.get("executions", []):
                info = run_info(self.sfn.describe_execution(executionArn=summary["executionArn"]))
                if pipeline is None or info.pipeline == pipeline:
                    found.append(info)
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        return found[:limit]

    def history(self, run: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": self.execution_arn(run), "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(page.get("events", []))
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def stages(self, run: str) -> list[StageInfo]:
        info = self.describe(run)
        found = progress.stages(self.history(run), info.status, enabled_stages(info.input),
                                self._definition(info))
        if self.job_note is None:
            return found
        return [self._queued(s) for s in found]

    def _definition(self, info: RunInfo) -> dict[str, Any] | None:
        """The execution's machine (for Retry policies), only while a stage may retry."""
        if info.status != "RUNNING":
            return None
        try:
            found = self.sfn.describe_state_machine_for_execution(executionArn=info.arn)
            loaded = json.loads(found["definition"])
        except Exception:  # noqa: BLE001 - progress is a view: without it, no retry note
            return None
        return loaded if isinstance(loaded, dict) else None

    def _queued(self, stage: StageInfo) -> StageInfo:
        # A local job waiting for capacity is InProgress to Step Functions; say why.
        if stage.status != "RUNNING" or not stage.jobs or self.job_note is None:
            return stage
        note = self.job_note(stage.jobs[-1])
        if not note:
            return stage
        return StageInfo(stage.stage, "WAITING_FOR_CAPACITY", stage.started, stage.ended,
                         stage.jobs, note)

    def logs(self, run: str, stage: str | None = None) -> Iterator[LogChunk]:
        if self.logs_client is None:
            raise BackendError("this backend keeps no job logs")
        for info in self.stages(run):
            if stage and info.stage != stage:
                continue
            for job in info.jobs:
                lines = job_log_lines(self.logs_client, job)
                if lines is not None:
                    yield LogChunk(info.stage, job, tuple(lines))

    def answer(self, run: str, approved: bool, comment: str) -> str:
        events = self.history(run)
        token = find_task_token(events)
        if token is None:
            _raise_answered(run, events, approved)
            raise BackendError(
                f"run {run!r} is not waiting for an approval (no pending task token); "
                "check `sagestep status RUN`"
            )
        by = _user()
        try:
            if approved:
                self.sfn.send_task_success(
                    taskToken=token,
                    output=json.dumps({"approved": True, "by": by, "comment": comment}),
                )
            else:
                self.sfn.send_task_failure(
                    taskToken=token, error=REJECTED, cause=comment or f"rejected by {by}"
                )
        except Exception as exc:
            if _code(exc) in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
                # Answered by someone else between our read and our answer.
                _raise_answered(run, self.history(run), approved)
            raise
        return token

    def stop(self, run: str, cause: str = "") -> RunInfo:
        """StopExecution: the run ends ABORTED; its running jobs are asked to stop."""
        info = self.describe(run)
        if info.status != "RUNNING":
            raise BackendError(f"run {run!r} is already {info.status}; nothing to stop")
        self.sfn.stop_execution(executionArn=info.arn, error="Sagestep.Stopped",
                                cause=cause or f"stopped by {_user()}")
        return self.describe(run)

    def redrive(self, run: str) -> RunInfo:
        """RedriveExecution: a FAILED/ABORTED/TIMED_OUT run goes on from the state that failed."""
        info = self.describe(run)
        if info.status not in ("FAILED", "ABORTED", "TIMED_OUT"):
            raise BackendError(f"run {run!r} is {info.status}; only a FAILED, ABORTED or "
                               "TIMED_OUT run can be redriven")
        try:
            self.sfn.redrive_execution(executionArn=info.arn)
        except Exception as exc:
            if _code(exc) in ("ExecutionNotRedrivable", "ExecutionLimitExceeded"):
                raise BackendError(f"run {run!r} cannot be redriven: {exc}") from exc
            raise
        return self.describe(run)


def _raise_answered(run: str, events: list[dict[str, Any]], approved: bool) -> None:
    """AlreadyAnswered when the run's approval task has closed (approved, rejected, timed out)."""
    outcome = None
    for event in events:
        kind = str(event.get("type"))
        details = event.get("taskScheduledEventDetails") or {}
        if kind == "TaskScheduled" and str(details.get("resource", "")).endswith(".waitForTaskToken"):
            outcome = "waiting"
        elif outcome == "waiting" and kind in ("TaskSucceeded", "TaskFailed", "TaskTimedOut"):
            outcome = {"TaskSucceeded": "approved", "TaskTimedOut": "timed out"}.get(
                kind, "rejected")
            failed = event.get("taskFailedEventDetails") or {}
            if kind == "TaskFailed" and failed.get("error") != REJECTED:
                outcome = "failed"
    if outcome in (None, "waiting"):
        return
    same = outcome == ("approved" if approved else "rejected")
    raise AlreadyAnswered(f"the approval of run {run!r} was already answered: {outcome}"
                          + ("" if same else "; it cannot be changed now"), same)


def enabled_stages(payload: Mapping[str, Any]) -> list[str] | None:
    """Stage keys whose run flag is on in an execution input (None if it has no stages)."""
    stages = payload.get("stages")
    if not isinstance(stages, Mapping):
        return None
    return [
        key for key, block in stages.items()
        if not isinstance(block, Mapping) or block.get("run", True) not in (False, "N", "n", "false")
    ]


def job_log_lines(logs: Any, job: str) -> list[str] | None:
    """All log lines of SageMaker job ``job`` from a CloudWatch-Logs-shaped client.

    A tuning job has no streams of its own: its training jobs' (``<tuning>-NNN-...``) are
    returned instead, each under a ``[training job]`` header line.
    """
    for group in LOG_GROUPS:
        names = _streams(logs, group, job + "/")
        if names:
            return [line for name in names for line in _stream_lines(logs, group, name)]
    group = "/aws/sagemaker/TrainingJobs"
    names = _streams(logs, group, job + "-")
    if not names:
        return None
    lines: list[str] = []
    for name in names:
        lines.append(f"[{name.split('/', 1)[0]}]")
        lines.extend(_stream_lines(logs, group, name))
    return lines


def _streams(logs: Any, group: str, prefix: str) -> list[str]:
    try:
        found = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=prefix)
    except Exception as exc:
        if _code(exc) == "ResourceNotFoundException":
            return []
        raise
    return [str(s["logStreamName"]) for s in found.get("logStreams", [])]


def _stream_lines(logs: Any, group: str, stream: str) -> list[str]:
    lines: list[str] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream,
                                  "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        response = logs.get_log_events(**kwargs)
        events = response.get("events", [])
        lines.extend(str(e.get("message", "")).rstrip("\n") for e in events)
        following = response.get("nextForwardToken")
        if not events or not following or following == token:
            return lines
        token = following


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers): still answer the approval
        return "unknown"


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str((response.get("Error") or {}).get("Code") or "")
    return ""
