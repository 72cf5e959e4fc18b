"""sagestep extras on the local client (not boto3 methods): job logs and waiting for jobs."""

from __future__ import annotations

import time
from typing import Any

from sagestep.errors import ServiceError, client_error
from sagestep.sagemaker.api import ApiBase
from sagestep.sagemaker.logs import GROUPS

_KINDS = {"training-job": "TrainingJobStatus", "processing-job": "ProcessingJobStatus",
          "transform-job": "TransformJobStatus"}
_TERMINAL = ("Completed", "Failed", "Stopped")


class JobsApi(ApiBase):
    """get_job_logs(JobName) and wait_for_job(JobName) for the CLI, UI and tests."""

    def _find_job(self, name: str) -> tuple[str, dict[str, Any]]:
        for kind in _KINDS:
            doc = self._svc.records.get(kind, name)
            if doc is not None:
                return kind, doc
        raise client_error("ResourceNotFound", f"No training, processing or transform job named {name}",
                           "GetJobLogs")

    def get_job_logs(self, JobName: str, NextToken: str | None = None) -> dict[str, Any]:  # noqa: N803
        """Log events of a job's stream: {"logGroupName", "logStreamName", "events", "nextForwardToken"}."""
        kind, doc = self._find_job(JobName)
        local = doc.get("SagestepLocal", {})
        group = local.get("LogGroup", GROUPS[kind])
        stream = local.get("LogStream") or next(iter(self._svc.logs.streams(group, f"{JobName}/")), None)
        if stream is None or not self._svc.logs.path(group, stream).exists():
            return {"logGroupName": group, "logStreamName": stream or "", "events": [],
                    "nextForwardToken": NextToken or "f/0"}
        out = self._svc.logs.get_log_events(group, stream, nextToken=NextToken)
        return {"logGroupName": group, "logStreamName": stream, **out}

    def wait_for_job(self, JobName: str, Timeout: float = 3600.0) -> dict[str, Any]:  # noqa: N803
        """Block until a job reaches Completed/Failed/Stopped; returns its stored status fields."""
        kind, _ = self._find_job(JobName)
        deadline = time.monotonic() + Timeout
        while True:
            self._svc.runner.wait(kind, JobName, 0.2)
            doc = self._svc.records.get(kind, JobName) or {}
            if doc.get(_KINDS[kind]) in _TERMINAL:
                return {"JobName": JobName, "Status": doc[_KINDS[kind]],
                        "FailureReason": doc.get("FailureReason")}
            if time.monotonic() > deadline:
                raise ServiceError(f"job {JobName} is still {doc.get(_KINDS[kind])} after {Timeout} s; "
                                   f"see `sagestep jobs logs {JobName}`")
            time.sleep(0.05)
