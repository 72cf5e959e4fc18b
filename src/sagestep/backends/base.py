"""The Backend protocol: everything the CLI and the UI ask of sagestep, local or on AWS.

LocalBackend (backends/local.py) implements it over the local boto3-shaped clients;
AwsBackend (backends/aws.py) over boto3. Both differ only in which clients they hold, so
the records below are built from boto3 response shapes by shared helpers here.

Errors: BackendError (and SagestepError subclasses) for anything the user can fix; AWS
errors surface as botocore ClientError with the AWS code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sagestep.triggers.causes import run_cause

if TYPE_CHECKING:
    from sagestep.backends.run_view import RunView
    from sagestep.backends.views import RunsPage, StageDetail

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class Registered:
    """A config put into the registry: its name and new version."""

    name: str
    version: int
    notes: tuple[str, ...] = ()  # what an importer changed or dropped, for the user


@dataclass(frozen=True)
class RunRef:
    """An execution the router started (``duplicate`` when the same event already had)."""

    pipeline: str
    name: str
    arn: str
    duplicate: bool = False


@dataclass(frozen=True)
class RunInfo:
    """One execution as DescribeExecution reports it, plus the pipeline it runs."""

    arn: str
    name: str
    status: str
    pipeline: str = ""
    config_version: int | str | None = None  # "draft": a config run without registering
    start: datetime | None = None
    stop: datetime | None = None
    error: str = ""
    cause: str = ""
    input: Mapping[str, Any] = field(default_factory=dict)
    output: Any = None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"] = self.start.isoformat() if self.start else None
        out["stop"] = self.stop.isoformat() if self.stop else None
        return out


WAITING_FOR_APPROVAL = "WAITING_FOR_APPROVAL"  # a stage (and its run) parked at an approval
RETRYING = "RETRYING"  # a stage waiting on a Retry; detail says which attempt comes when


@dataclass(frozen=True)
class StageInfo:
    """Progress of one pipeline stage within an execution (from its history)."""

    stage: str
    status: str  # PENDING|RUNNING|RETRYING|SUCCEEDED|FAILED|ABORTED|SKIPPED|WAITING_FOR_APPROVAL
    started: float | None = None
    ended: float | None = None
    jobs: tuple[str, ...] = ()  # SageMaker job (or resource) names the stage created
    detail: str = ""

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started


@dataclass(frozen=True)
class LogChunk:
    """Log lines of one job of one stage."""

    stage: str
    job: str
    lines: tuple[str, ...]


class Backend(Protocol):
    """What a user can do with sagestep: configs, runs, approvals, models, endpoints."""

    kind: str  # "local" | "aws"

    # configs
    def register(self, source: str | Path, name: str | None = None) -> Registered: ...
    def configs(self) -> list[dict[str, Any]]: ...
    def config(self, name: str, version: int | None = None) -> dict[str, Any]: ...

    # runs
    def start_run(
        self, pipeline: str, *, dataset_date: str | None = None,
        params: Mapping[str, Any] | None = None, run_key: str | None = None,
        object_uri: str | None = None,
    ) -> RunRef: ...
    def send_event(self, event: Mapping[str, Any]) -> list[RunRef]: ...
    def describe_run(self, run: str) -> RunInfo: ...
    def list_runs(self, pipeline: str | None = None, limit: int = 50) -> list[RunInfo]: ...
    def history(self, run: str) -> list[dict[str, Any]]: ...
    def stages(self, run: str) -> list[StageInfo]: ...
    def logs(self, run: str, stage: str | None = None) -> Iterator[LogChunk]: ...
    def approve(self, run: str, comment: str = "") -> str: ...
    def reject(self, run: str, comment: str = "") -> str: ...
    def stop_run(self, run: str, cause: str = "") -> RunInfo: ...
    def redrive_run(self, run: str) -> RunInfo: ...

    # models and endpoints
    def models(self, group: str | None = None) -> list[dict[str, Any]]: ...
    def model(self, name_or_arn: str) -> dict[str, Any]: ...
    def approve_model(self, name_or_arn: str, status: str = "Approved") -> dict[str, Any]: ...
    def endpoints(self) -> list[dict[str, Any]]: ...
    def endpoint_servers(self) -> list[dict[str, Any]]: ...
    def invoke(self, endpoint: str, body: bytes, content_type: str = "text/csv") -> bytes: ...
    def delete_endpoint(self, endpoint: str) -> None: ...

    # viewer reads and run control (backends/views.py, shared by both backends)
    def runs_page(
        self, *, pipeline: str | None = None, status: str | None = None,
        since: datetime | None = None, until: datetime | None = None,
        offset: int = 0, limit: int = 50,
    ) -> RunsPage: ...
    def run_view(self, run: str, after_event: int = 0) -> RunView: ...
    def stage_detail(self, run: str, stage: str) -> StageDetail: ...
    def describe_job(self, stage: str, job: str) -> dict[str, Any]: ...
    def job_logs(self, job: str, tail: int | None = 200) -> tuple[list[str], int]: ...
    def run_metrics(self, run: str) -> dict[str, float]: ...
    def lineage(self, model_arn: str) -> dict[str, Any]: ...
    def model_versions(self, group: str | None = None, limit: int = 50) -> list[dict[str, Any]]: ...
    def endpoint_detail(self, endpoint: str) -> dict[str, Any]: ...


def run_info(described: Mapping[str, Any]) -> RunInfo:
    """RunInfo from a DescribeExecution response."""
    payload = loads(described.get("input")) or {}
    return RunInfo(
        arn=str(described["executionArn"]),
        name=str(described.get("name") or described["executionArn"].rsplit(":", 1)[-1]),
        status=str(described.get("status")),
        pipeline=str(payload.get("pipeline") or "") if isinstance(payload, Mapping) else "",
        config_version=payload.get("config_version") if isinstance(payload, Mapping) else None,
        start=described.get("startDate"),
        stop=described.get("stopDate"),
        error=str(described.get("error") or ""),
        cause=run_cause(str(described.get("error") or ""), str(described.get("cause") or "")),
        input=payload if isinstance(payload, Mapping) else {},
        output=loads(described.get("output")),
    )


def find_task_token(events: Sequence[Mapping[str, Any]]) -> str | None:
    """The task token of a ``.waitForTaskToken`` task still waiting in ``events``."""
    closed: set[int] = set()
    for event in reversed(events):
        kind = str(event.get("type"))
        if kind in ("TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskStateExited"):
            closed.add(_scheduled_id(events, event))
        if kind == "TaskScheduled":
            details = event.get("taskScheduledEventDetails") or {}
            if not str(details.get("resource", "")).endswith(".waitForTaskToken"):
                continue
            if int(event.get("id", 0)) in closed:
                continue
            token = _token_in(loads(details.get("parameters")))
            if token:
                return token
    return None


def _scheduled_id(events: Sequence[Mapping[str, Any]], event: Mapping[str, Any]) -> int:
    # Walk previousEventId back to the TaskScheduled event this one closes.
    by_id = {int(e.get("id", 0)): e for e in events}
    current: Mapping[str, Any] | None = event
    while current is not None:
        if current.get("type") == "TaskScheduled":
            return int(current.get("id", 0))
        current = by_id.get(int(current.get("previousEventId") or 0))
    return -1


def _token_in(value: Any) -> str | None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            # The generic machine's approval passes Payload {"action": "approval", "token"}.
            if "token" in str(key).lower() and isinstance(item, str) and item:
                return item
            found = _token_in(item)
            if found:
                return found
    if isinstance(value, list):
        for item in value:
            found = _token_in(item)
            if found:
                return found
    return None


def loads(text: Any) -> Any:
    """JSON text decoded, or the value as it is (history fields may be text or objects)."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
