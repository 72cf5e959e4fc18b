"""Read models for viewers (the web UI): cheap, typed, one history read per question.

``ViewsMixin`` adds to ``BackendBase`` what a dashboard asks many times a second without
costing one API call per run per poll (REVIEW "Web UI over Backend"): a page of runs from
one ListExecutions walk (DescribeExecution only for the rows shown), a run with its stages
from one history read (terminal runs cached, their history no longer changes), a stage's
input/output/attempts, a job's description and logs, run metrics and model lineage.
Everything works on boto3 response shapes, so local and AWS share it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sagestep.backends.base import RunInfo, loads, run_info
from sagestep.backends.run_view import (
    FAILURE_EVENTS,
    RunView,
    build_view,
    details,
    iso,
    metrics_of,
    owned,
    reason,
)
from sagestep.backends.runs import job_log_lines
from sagestep.errors import BackendError

# What each stage's jobs are, for DescribeXJob and console links.
JOB_KINDS = {
    "preprocessing": "processing", "evaluation": "processing", "postprocessing": "processing",
    "training": "training", "tuning": "tuning", "batch_transform": "transform",
}
_DESCRIBE = {
    "processing": ("describe_processing_job", "ProcessingJobName"),
    "training": ("describe_training_job", "TrainingJobName"),
    "tuning": ("describe_hyper_parameter_tuning_job", "HyperParameterTuningJobName"),
    "transform": ("describe_transform_job", "TransformJobName"),
}


@dataclass(frozen=True)
class RunsPage:
    """A page of runs, newest first, and the offset of the next page (None at the end)."""

    runs: tuple[RunInfo, ...]
    offset: int
    next_offset: int | None
    pipelines: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class StageDetail:
    """A stage's first input and last output, its attempts and its gate verdict."""

    stage: str
    input: Any
    output: Any
    attempts: tuple[Mapping[str, Any], ...]  # each failed task: time, error, cause
    gate: Mapping[str, Any] | None = None
    job_kind: str = ""


class ViewsMixin:
    """Viewer reads over ``self.runs`` (Runs) and ``self.sagemaker`` (see BackendBase)."""

    runs: Any
    sagemaker: Any
    _views_lock = threading.Lock()

    @property
    def _view_cache(self) -> OrderedDict[str, RunView]:
        cache: OrderedDict[str, RunView] | None = self.__dict__.get("_view_cache")
        if cache is None:
            cache = self.__dict__["_view_cache"] = OrderedDict()
        return cache

    def runs_page(
        self, *, pipeline: str | None = None, status: str | None = None,
        since: datetime | None = None, until: datetime | None = None,
        offset: int = 0, limit: int = 50,
    ) -> RunsPage:
        """Runs matching the filters, newest first; only the rows shown are described."""
        sfn = self.runs.sfn
        kwargs: dict[str, Any] = {"stateMachineArn": self.runs.state_machine_arn}
        if status:
            kwargs["statusFilter"] = status
        picked: list[RunInfo] = []
        matched = 0
        next_offset: int | None = None
        for summary in _summaries(sfn, kwargs, offset + limit + 1):
            if not _in_window(summary.get("startDate"), since, until):
                continue
            # Run names are "<pipeline>-<date>-<id>": skip the describe for other pipelines.
            if pipeline and not str(summary.get("name", "")).startswith(pipeline + "-"):
                continue
            if matched < offset:
                matched += 1
                continue
            if len(picked) == limit:
                next_offset = offset + limit
                break
            info = run_info(sfn.describe_execution(executionArn=summary["executionArn"]))
            if pipeline and info.pipeline != pipeline:
                continue
            picked.append(info)
        names = tuple(sorted(str(i.get("name")) for i in self.registry_items()))
        return RunsPage(tuple(picked), offset, next_offset, names)

    def registry_items(self) -> list[Mapping[str, Any]]:
        registry = getattr(self, "registry", None)
        return list(registry.list()) if registry is not None else []

    def run_view(self, run: str, after_event: int = 0) -> RunView:
        """``run`` with its stages from one history read; events after ``after_event``."""
        arn = self.runs.execution_arn(run)
        info = self.runs.describe(run)  # one cheap read; new history events only
        with self._views_lock:
            cached = self._view_cache.get(arn)
        if cached is None:
            cached = build_view(info, self.runs.history(run))
        elif cached.info != info or not info.done:  # a finished run's history is fixed
            cached = build_view(info, [*cached.events, *self._newer_events(arn, cached.last_event)])
        with self._views_lock:
            self._view_cache[arn] = cached
            self._view_cache.move_to_end(arn)
            while len(self._view_cache) > 256:
                self._view_cache.popitem(last=False)
        events = tuple(e for e in cached.events if int(e.get("id", 0)) > after_event)
        return RunView(cached.info, cached.stages, events, cached.last_event,
                       cached.waiting_approval, cached.failure)

    def _newer_events(self, arn: str, last: int) -> list[dict[str, Any]]:
        """History events after id ``last``, read newest first and only as far as needed."""
        fresh: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": arn, "reverseOrder": True, "maxResults": 100}
        while True:
            page = self.runs.sfn.get_execution_history(**kwargs)
            for event in page.get("events", []):
                if int(event.get("id", 0)) <= last:
                    return fresh[::-1]
                fresh.append(event)
            if not page.get("nextToken"):
                return fresh[::-1]
            kwargs["nextToken"] = page["nextToken"]

    def stage_detail(self, run: str, stage: str) -> StageDetail:
        """Input, output and failed attempts of ``stage`` in ``run`` (read lazily)."""
        events = self.runs.history(run)
        first_in: Any = None
        last_out: Any = None
        attempts: list[dict[str, Any]] = []
        gate: Any = None
        for event, owner in owned(events):
            if owner != stage:
                continue
            entered = event.get("stateEnteredEventDetails")
            exited = event.get("stateExitedEventDetails")
            if entered and first_in is None:
                first_in = loads(entered.get("input"))
            if exited:
                last_out = loads(exited.get("output"))
                if stage == "gate" and isinstance(last_out, Mapping):
                    gate = (last_out.get("results") or {}).get("gate") or gate
            if str(event.get("type")) in FAILURE_EVENTS:
                why = details(event)
                attempts.append({"at": iso(event.get("timestamp")),
                                 "error": str(why.get("error", event.get("type"))),
                                 "cause": reason(str(why.get("cause", "")))})
        return StageDetail(stage, first_in, last_out, tuple(attempts),
                           gate if isinstance(gate, Mapping) else None, JOB_KINDS.get(stage, ""))

    def describe_job(self, stage: str, job: str) -> dict[str, Any]:
        """The SageMaker description of one of ``stage``'s jobs."""
        kind = JOB_KINDS.get(stage)
        if kind is None:
            raise BackendError(f"stage {stage!r} runs no SageMaker job to describe")
        method, key = _DESCRIBE[kind]
        described = dict(getattr(self.sagemaker, method)(**{key: job}))
        described.pop("ResponseMetadata", None)
        return described

    def job_logs(self, job: str, tail: int | None = 200) -> tuple[list[str], int]:
        """The last ``tail`` log lines of ``job`` (all when None) and the total line count."""
        client = getattr(self.runs, "logs_client", None)
        if client is None:
            raise BackendError("this backend keeps no job logs")
        lines = job_log_lines(client, job) or []
        return (lines[-tail:] if tail else lines), len(lines)

    def run_metrics(self, run: str) -> dict[str, float]:
        """Training metrics and the gate's value of a run (from its state, no job reads)."""
        view = self.run_view(run)
        state = view.info.output if isinstance(view.info.output, Mapping) else None
        if state is None:  # still running or failed: the last state output seen
            for event in reversed(view.events):
                exited = event.get("stateExitedEventDetails")
                if exited:
                    state = loads(exited.get("output"))
                    if isinstance(state, Mapping):
                        break
        return metrics_of(state if isinstance(state, Mapping) else {})

    def lineage(self, model_arn: str) -> dict[str, Any]:
        """config version -> run -> model package -> endpoints serving it."""
        described = dict(self.sagemaker.describe_model_package(ModelPackageName=model_arn))
        meta = described.get("CustomerMetadataProperties") or {}
        run = str(meta.get("sagestep:execution", ""))
        # Endpoints serving it: those whose model names the package, and those the run that
        # registered it deployed (the generic machine deploys the run's own model).
        deployed: set[str] = set()
        if run:
            try:
                stages = self.run_view(run).stages
            except Exception:  # the run was deleted or is in another account: show the rest
                stages = ()
            deployed = {job for s in stages if s.stage == "deploy" for job in s.jobs}
        endpoints = []
        for ep in self.sagemaker.list_endpoints().get("Endpoints", []):
            name = str(ep["EndpointName"])
            if name in deployed or model_arn in self._endpoint_packages(name):
                endpoints.append(name)
        return {"pipeline": meta.get("sagestep:pipeline", ""),
                "config_version": meta.get("sagestep:config-version", ""),
                "run": run, "model_package": model_arn, "endpoints": endpoints}

    def model_versions(self, group: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Model package summaries (newest first) with the run and metrics behind each."""
        listed: list[dict[str, Any]] = self.models(group)  # type: ignore[attr-defined]
        summaries = sorted(listed, key=lambda m: str(m.get("CreationTime", "")), reverse=True)[:limit]
        out = []
        for summary in summaries:
            row = dict(summary)
            try:
                described = self.sagemaker.describe_model_package(
                    ModelPackageName=summary["ModelPackageArn"])
                run = (described.get("CustomerMetadataProperties") or {}).get("sagestep:execution")
                row["Run"] = str(run or "")
                row["Metrics"] = self.run_metrics(run) if run else {}
            except Exception:  # noqa: BLE001 - a version whose run is gone still lists
                row.setdefault("Run", "")
                row.setdefault("Metrics", {})
            out.append(row)
        return out

    def _endpoint_packages(self, endpoint: str) -> set[str]:
        sm = self.sagemaker
        try:
            config_name = sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
            config = sm.describe_endpoint_config(EndpointConfigName=config_name)
        except Exception:  # deleted between list and describe
            return set()
        found: set[str] = set()
        for variant in config.get("ProductionVariants", []):
            try:
                model = sm.describe_model(ModelName=variant["ModelName"])
            except Exception:
                continue
            for container in [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]:
                if container.get("ModelPackageName"):
                    found.add(str(container["ModelPackageName"]))
        return found

    def endpoint_detail(self, endpoint: str) -> dict[str, Any]:
        """DescribeEndpoint with its variants' models."""
        described = dict(self.sagemaker.describe_endpoint(EndpointName=endpoint))
        described.pop("ResponseMetadata", None)
        described["ModelPackages"] = sorted(self._endpoint_packages(endpoint))
        try:
            config = self.sagemaker.describe_endpoint_config(
                EndpointConfigName=described["EndpointConfigName"])
            described["Models"] = [v.get("ModelName") for v in config.get("ProductionVariants", [])]
        except Exception:  # noqa: BLE001 - the config was deleted; the endpoint still shows
            described["Models"] = []
        return described


def _summaries(sfn: Any, kwargs: dict[str, Any], first: int) -> Iterator[Mapping[str, Any]]:
    """ListExecutions summaries, newest first, fetched page by page only as far as read."""
    size = min(1000, max(100, first))
    while True:
        page = sfn.list_executions(**kwargs, maxResults=size)
        yield from page.get("executions", [])
        if not page.get("nextToken"):
            return
        kwargs = {**kwargs, "nextToken": page["nextToken"]}
        size = 1000


def _in_window(start: Any, since: datetime | None, until: datetime | None) -> bool:
    if not isinstance(start, datetime):
        return since is None and until is None
    if since is not None and start < since:
        return False
    return not (until is not None and start >= until)


