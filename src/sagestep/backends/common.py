"""BackendBase: the Backend operations every backend does the same way.

A backend provides its collaborators (a config ``registry``, the ``router``, ``runs`` over a
Step Functions client, and boto3-shaped ``sagemaker`` / ``sagemaker_runtime`` clients) and
how it registers configs; everything else (configs, runs, approvals, models, endpoints) is
here once. LocalBackend and AwsBackend differ only in which clients they hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from sagestep.backends.base import LogChunk, RunInfo, RunRef, StageInfo
from sagestep.backends.views import ViewsMixin
from sagestep.errors import BackendError


def check_date(text: str) -> None:
    """BackendError unless ``text`` is a real calendar date written YYYY-MM-DD."""
    import datetime
    import re

    try:
        ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and bool(
            datetime.date.fromisoformat(text))
    except ValueError:
        ok = False
    if not ok:
        raise BackendError(f"--date {text}: not a date; write YYYY-MM-DD, e.g. 2024-06-30")


class BackendBase(ViewsMixin):
    """Shared implementation of the Backend protocol (see backends/base.py)."""

    kind = "base"
    # Provided by subclasses (usually as cached properties).
    registry: Any
    router: Any
    runs: Any
    sagemaker: Any
    sagemaker_runtime: Any

    # --- configs -----------------------------------------------------------------------------

    def configs(self) -> list[dict[str, Any]]:
        return [dict(i) for i in self.registry.list()]

    def config(self, name: str, version: int | None = None) -> dict[str, Any]:
        item = self.registry.get(name, version)
        if item is None:
            known = ", ".join(sorted(i["name"] for i in self.registry.list())) or "(none)"
            if version is not None and self.registry.get(name) is not None:
                have = ", ".join(str(i["version"]) for i in self.registry.history(name))
                raise BackendError(f"{name} has no version {version}; versions: {have}")
            raise BackendError(
                f"no pipeline named {name!r} is registered{self._where()}; registered: {known}. "
                "Register it with `sagestep register FILE`, or run a file with `sagestep run FILE`"
            )
        return dict(item)

    def _where(self) -> str:
        """Where configs live, for messages (e.g. " in table X")."""
        return ""

    # --- runs --------------------------------------------------------------------------------

    def start_run(
        self, pipeline: str, *, dataset_date: str | None = None,
        params: Mapping[str, Any] | None = None, run_key: str | None = None,
        object_uri: str | None = None,
    ) -> RunRef:
        if dataset_date is not None:
            check_date(dataset_date)
        event: dict[str, Any] = {"pipeline": pipeline, "run_key": run_key or uuid.uuid4().hex}
        if object_uri:  # fills trigger.bucket/key/uri as an upload would
            event["object"] = object_uri
        if dataset_date:
            event["dataset_date"] = dataset_date
        if params:
            event["params"] = dict(params)
        (ref,) = self.send_event(event)
        return ref

    def start_item(
        self, item: Mapping[str, Any], *, dataset_date: str | None = None,
        params: Mapping[str, Any] | None = None, object_uri: str | None = None,
    ) -> RunRef:
        """Start a manual run of ``item`` itself (a draft or an older version), rendered by
        the router's own code, whatever the registry's latest version is."""
        from sagestep.triggers.events import parse

        if dataset_date is not None:
            check_date(dataset_date)
        event: dict[str, Any] = {"pipeline": str(item["name"]), "run_key": uuid.uuid4().hex}
        if object_uri:
            event["object"] = object_uri
        if dataset_date:
            event["dataset_date"] = dataset_date
        if params:
            event["params"] = dict(params)
        (trigger,) = parse(event, uuid.uuid4().hex)
        started = self.router.start(item, trigger)
        return RunRef(started.pipeline, started.name, started.arn, started.duplicate)

    def send_event(self, event: Mapping[str, Any]) -> list[RunRef]:
        """Route ``event`` with the router Lambda's own code, here."""
        # A fresh request id plays Lambda's aws_request_id: events that carry no identity of
        # their own (seed 000/002 bodies, manual calls without run_key) start a new run each
        # time they are sent; S3 and schedule events keep their own ids (duplicates dedupe).
        result = self.router.route(dict(event), request_id=uuid.uuid4().hex)
        return [
            RunRef(s["pipeline"], s["name"], s["executionArn"], s["duplicate"])
            for s in result["started"]
        ]

    def describe_run(self, run: str) -> RunInfo:
        info: RunInfo = self.runs.describe(run)
        return info

    def list_runs(self, pipeline: str | None = None, limit: int = 50) -> list[RunInfo]:
        found: list[RunInfo] = self.runs.list_runs(pipeline, limit)
        return found

    def history(self, run: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.runs.history(run)
        return events

    def stages(self, run: str) -> list[StageInfo]:
        found: list[StageInfo] = self.runs.stages(run)
        return found

    def logs(self, run: str, stage: str | None = None) -> Iterator[LogChunk]:
        chunks: Iterator[LogChunk] = self.runs.logs(run, stage)
        return chunks

    def approve(self, run: str, comment: str = "") -> str:
        return str(self.runs.answer(run, True, comment))

    def reject(self, run: str, comment: str = "") -> str:
        return str(self.runs.answer(run, False, comment))

    def stop_run(self, run: str, cause: str = "") -> RunInfo:
        """StopExecution; the run ends ABORTED and the jobs it waits for are stopped."""
        info: RunInfo = self.runs.stop(run, cause)
        return info

    def redrive_run(self, run: str) -> RunInfo:
        """RedriveExecution: restart a failed run from the state that failed."""
        info: RunInfo = self.runs.redrive(run)
        return info

    # --- models and endpoints ----------------------------------------------------------------

    def models(self, group: str | None = None) -> list[dict[str, Any]]:
        sm = self.sagemaker
        groups = [group] if group else [
            g["ModelPackageGroupName"]
            for g in sm.list_model_package_groups().get("ModelPackageGroupSummaryList", [])
        ]
        found: list[dict[str, Any]] = []
        for name in groups:
            page = sm.list_model_packages(ModelPackageGroupName=name)
            found.extend(page.get("ModelPackageSummaryList", []))
        return found

    def model(self, name_or_arn: str) -> dict[str, Any]:
        return dict(self.sagemaker.describe_model_package(ModelPackageName=name_or_arn))

    def approve_model(self, name_or_arn: str, status: str = "Approved") -> dict[str, Any]:
        arn = self.model(name_or_arn)["ModelPackageArn"]
        self.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)
        return self.model(arn)

    def endpoints(self) -> list[dict[str, Any]]:
        return list(self.sagemaker.list_endpoints().get("Endpoints", []))

    def endpoint_servers(self) -> list[dict[str, Any]]:
        """Local model server processes per endpoint variant (none on AWS)."""
        return []

    def delete_endpoint(self, endpoint: str) -> None:
        """Delete ``endpoint`` (locally this stops its server); its config and model stay."""
        self.sagemaker.delete_endpoint(EndpointName=endpoint)

    def invoke(self, endpoint: str, body: bytes, content_type: str = "text/csv") -> bytes:
        response = self.sagemaker_runtime.invoke_endpoint(
            EndpointName=endpoint, Body=body, ContentType=content_type
        )
        payload = response["Body"]
        data = payload.read() if hasattr(payload, "read") else payload
        return bytes(data)


class RegistrySource:
    """The router's ConfigSource view of a config registry."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry

    def get(self, name: str) -> Mapping[str, Any] | None:
        found: Mapping[str, Any] | None = self.registry.get(name)
        return found

    def items(self) -> list[Mapping[str, Any]]:
        return list(self.registry.list())
