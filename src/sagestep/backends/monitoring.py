"""The monitoring reports of a run: each check's verdict, violations and statistics.

Reads the files the monitoring stages uploaded (their output prefix is in the run's rendered
input), through the backend's S3 client, so it works the same for local and AWS runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sagestep.backends.base import RunInfo

STAGES = ("baseline", "data_quality", "model_quality")


@dataclass(frozen=True)
class MonitorReport:
    """What one monitoring stage of a run found."""

    stage: str
    output: str
    verdict: str  # "no violations" | "N violation(s)" | "not run yet" | "baseline"
    violations: list[dict[str, Any]] = field(default_factory=list)
    statistics: dict[str, Any] | None = None


def s3_client(backend: Any) -> Any:
    """The backend's S3 client (local object store or AWS)."""
    runtime = getattr(backend, "runtime", None)
    return runtime.client("s3") if runtime is not None else backend.client("s3")


def reports(backend: Any, info: RunInfo) -> list[MonitorReport]:
    """Reports of every monitoring stage the run has."""
    stages = (info.input or {}).get("stages") or {}
    found = []
    s3 = None
    for stage in STAGES:
        config = stages.get(stage) or {}
        output = _output(config)
        if not config.get("run") or not output:
            continue
        s3 = s3 or s3_client(backend)
        stats = _read(s3, f"{output}/statistics.json")
        if stage == "baseline":
            verdict = "baseline written" if stats is not None else "not run yet"
            found.append(MonitorReport(stage, output, verdict, [], stats))
            continue
        document = _read(s3, f"{output}/constraint_violations.json")
        if document is None:
            found.append(MonitorReport(stage, output, "not run yet", [], stats))
            continue
        violations = list(document.get("violations") or [])
        verdict = f"{len(violations)} violation(s)" if violations else "no violations"
        found.append(MonitorReport(stage, output, verdict, violations, stats))
    return found


def _output(config: dict[str, Any]) -> str:
    outputs = ((config.get("request") or {}).get("ProcessingOutputConfig") or {}).get("Outputs")
    for item in outputs or []:
        uri = (item.get("S3Output") or {}).get("S3Uri")
        if uri:
            return str(uri).rstrip("/")
    return ""


def _read(s3: Any, uri: str) -> dict[str, Any] | None:
    bucket, _, key = uri[len("s3://"):].partition("/")
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception:  # missing (a check that has not run) reads as None, like any S3 error
        return None
    value = json.loads(body)
    return value if isinstance(value, dict) else None


def top(violation: dict[str, Any]) -> str:
    """One violation as a short line."""
    name = violation.get("feature_name") or violation.get("metric_name") or "?"
    return f"{name}: {violation.get('constraint_check_type')}"
