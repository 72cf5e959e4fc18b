"""The monitoring jobs as processing-job entry points (Model Monitor's container contract §2.1).

    python -m sagestep.monitor baseline|data-quality|model-quality|model-quality-baseline \
        [--name value ...]

Settings come from the environment under Model Monitor's names (``dataset_format``,
``dataset_source``, ``output_path``, ``baseline_constraints``, ``baseline_statistics``,
``start_time``, ``end_time``, ``problem_type``, ``inference_attribute``,
``probability_attribute``, ``probability_threshold_attribute``, ``ground_truth_attribute``,
``categorical_drift_method``) plus sagestep's own (``chunk_rows``, ``fail_on_violation``,
``ground_truth_source``, ``ground_truth_format``, ``join_column``, ``metric_thresholds``);
``--name value`` arguments override them. The same job therefore runs as a local processing job
and as an AWS processing job in a stock Python image.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sagestep.errors import MonitorError
from sagestep.monitor import metrics
from sagestep.monitor.datasets import CHUNK_ROWS, parse_format, read_chunks
from sagestep.monitor.merge import Attributes, as_problem, merge_batch, merge_capture
from sagestep.monitor.profile import DatasetProfile
from sagestep.monitor.quality import check
from sagestep.monitor.statistics import constraints_json, statistics_json

INPUT = "/opt/ml/processing/input"
DEFAULTS = {
    "dataset_source": f"{INPUT}/dataset",
    "output_path": "/opt/ml/processing/output",
    "failure_path": "/opt/ml/output/message",
}
JOBS = ("baseline", "data-quality", "model-quality", "model-quality-baseline")


class Settings:
    """Environment overlaid by command-line pairs, with paths mapped for a local sandbox."""

    def __init__(self, env: Mapping[str, str], args: list[str]) -> None:
        self._values = {**DEFAULTS, **{k: v for k, v in env.items() if v != ""}}
        if len(args) % 2:
            raise MonitorError(f"arguments must be --name value pairs; got {' '.join(args)}")
        for flag, value in zip(args[::2], args[1::2], strict=True):
            if not flag.startswith("--"):
                raise MonitorError(f"argument {flag!r} must be --name followed by a value")
            self._values[flag[2:].replace("-", "_")] = value

    def get(self, key: str, default: str | None = None) -> str | None:
        """A raw setting."""
        return self._values.get(key, default)

    def path(self, key: str) -> Path | None:
        """A path setting; /opt/ml paths map to the job directory when run unsandboxed."""
        value = self._values.get(key)
        if value is None:
            return None
        return local_path(value)

    def flag(self, key: str) -> bool:
        """A true/false setting."""
        return str(self._values.get(key, "false")).lower() in ("true", "1", "yes", "enabled")

    def when(self, key: str) -> datetime | None:
        """An ISO-8601 UTC time, or a negative duration (``-PT1H``) before end_time or now.

        Offsets are Model Monitor's StartTimeOffset/EndTimeOffset form, so a scheduled check
        can say "the hour before this run": start_time=-PT1H, end_time={{ run.time }}.
        """
        value = self._values.get(key)
        if not value:
            return None
        if value.startswith("-P"):
            anchor = self.when("end_time") if key == "start_time" else None
            return (anchor or datetime.now(UTC)) - duration(value[1:], key)
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise MonitorError(f"{key}={value!r} is not an ISO-8601 time such as "
                               "2026-01-01T00:00:00Z or an offset such as -PT1H") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def duration(text: str, key: str) -> timedelta:
    """An ISO-8601 duration of days, hours, minutes and seconds (``P1D``, ``PT1H30M``)."""
    match = _DURATION.fullmatch(text)
    if not match or text in ("P", "PT"):
        raise MonitorError(f"{key}=-{text!r} is not an ISO-8601 duration such as -PT1H or -P1D")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def local_path(value: str) -> Path:
    """Map /opt/ml/... into the job directory when the job runs without a mount namespace.

    The local runner's unsandboxed mode runs the job with the job directory as working
    directory instead of mounting it at /opt/ml; processingjobconfig.json marks that directory.
    """
    cwd = Path.cwd()
    if value.startswith("/opt/ml/") and (cwd / "config" / "processingjobconfig.json").is_file():
        return cwd / value[len("/opt/ml/"):]
    return Path(value)


def load_json(path: Path, what: str) -> dict[str, Any]:
    """Read a baseline file with a clear error."""
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise MonitorError(f"{what} file {path} not found; pass the baseline stage's output "
                           "as this job's input") from exc
    except json.JSONDecodeError as exc:
        raise MonitorError(f"{what} file {path} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise MonitorError(f"{what} file {path} must hold a JSON object")
    return value


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write a result file (NaN as the string "NaN", as Model Monitor writes it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(document), indent=2) + "\n")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def profile_dataset(s: Settings) -> DatasetProfile:
    """Profile ``dataset_source`` chunk by chunk."""
    source = s.path("dataset_source")
    assert source is not None
    profile = DatasetProfile()
    rows = int(s.get("chunk_rows") or CHUNK_ROWS)
    window = (s.when("start_time"), s.when("end_time"))
    for chunk in read_chunks(source, parse_format(s.get("dataset_format")), rows, window):
        profile.add(chunk)
    if profile.rows == 0:
        raise MonitorError(f"Job inputs had no data: no rows under {source}"
                           + (" in the time window" if any(window) else ""))
    return profile


def run_baseline(s: Settings) -> list[dict[str, str]]:
    """statistics.json + suggested constraints.json of the baseline dataset."""
    profile = profile_dataset(s)
    out = s.path("output_path")
    assert out is not None
    write_json(out / "statistics.json", statistics_json(profile))
    write_json(out / "constraints.json", constraints_json(profile))
    print(f"baseline: {profile.rows} rows, {len(profile.columns)} features -> {out}")
    return []


def run_data_quality(s: Settings) -> list[dict[str, str]]:
    """Current statistics and constraint_violations.json against the baseline."""
    constraints_path = s.path("baseline_constraints")
    if constraints_path is None:
        raise MonitorError("data-quality needs baseline_constraints (the constraints.json of the "
                           "baseline stage or of the model package's ModelMetrics)")
    constraints = load_json(constraints_path, "baseline_constraints")
    stats_path = s.path("baseline_statistics")
    baseline = load_json(stats_path, "baseline_statistics") if stats_path else None
    profile = profile_dataset(s)
    _align(profile, constraints)
    current = statistics_json(profile)
    result = check(profile, current, constraints, baseline, s.get("categorical_drift_method"))
    out = s.path("output_path")
    assert out is not None
    write_json(out / "statistics.json", current)
    write_json(out / "constraint_violations.json", result.document())
    print(f"data-quality: {profile.rows} rows, {len(result.violations)} violation(s)")
    return result.violations


def _align(profile: DatasetProfile, constraints: dict[str, Any]) -> None:
    """Give headerless columns (``_c0``...) the baseline's names, by position."""
    names = [str(f["name"]) for f in constraints.get("features", [])]
    current = list(profile.columns)
    if names == current or not all(c == f"_c{i}" for i, c in enumerate(current)):
        return
    renamed = {}
    for i, key in enumerate(current):
        new = names[i] if i < len(names) else key
        profile.columns[key].name = new
        renamed[new] = profile.columns[key]
    profile.columns = renamed


def _attributes(s: Settings) -> Attributes:
    return Attributes(inference=s.get("inference_attribute") or "0",
                      probability=s.get("probability_attribute"),
                      ground_truth=s.get("ground_truth_attribute") or "0",
                      key=s.get("join_column"))


def model_statistics(s: Settings) -> tuple[str, dict[str, Any]]:
    """Merge predictions with ground truth and compute the problem type's metrics."""
    problem = s.get("problem_type") or ""
    if problem not in metrics.PROBLEM_TYPES:
        raise MonitorError(f"problem_type {problem!r} must be one of {', '.join(metrics.PROBLEM_TYPES)}")
    source, truth = s.path("dataset_source"), s.path("ground_truth_source")
    if source is None or truth is None:
        raise MonitorError("model-quality needs dataset_source (predictions) and ground_truth_source")
    fmt = parse_format(s.get("dataset_format"))
    if "sagemakerCaptureJson" in fmt:
        merged = merge_capture(source, truth, _attributes(s), (s.when("start_time"), s.when("end_time")))
    else:
        merged = merge_batch(source, fmt, truth, parse_format(s.get("ground_truth_format")),
                             _attributes(s))
    threshold = float(s.get("probability_threshold_attribute") or 0.5)
    merged = as_problem(merged, problem, threshold)
    return problem, metrics.statistics(problem, merged.truth, merged.prediction, merged.score)


def run_model_quality(s: Settings, suggest: bool = False) -> list[dict[str, str]]:
    """Model-quality statistics, and violations against constraints (or suggested constraints)."""
    problem, stats = model_statistics(s)
    out = s.path("output_path")
    assert out is not None
    write_json(out / "statistics.json", stats)
    if suggest:
        write_json(out / "constraints.json", metrics.suggest_constraints(stats, problem))
        return []
    constraints = _model_constraints(s, problem)
    violations = metrics.compare(stats, constraints)
    write_json(out / "constraint_violations.json", {"violations": violations})
    print(f"model-quality: {stats['dataset']['item_count']} rows, {len(violations)} violation(s)")
    return violations


def _model_constraints(s: Settings, problem: str) -> dict[str, Any]:
    path = s.path("baseline_constraints")
    constraints = load_json(path, "baseline_constraints") if path else {}
    text = s.get("metric_thresholds")
    if text:
        try:
            thresholds = json.loads(text)
            section = constraints.setdefault(f"{metrics.SECTION[problem]}_constraints", {})
            for name, value in thresholds.items():
                op = ("GreaterThanThreshold" if name in metrics.LOWER_IS_BETTER
                      else "LessThanThreshold")
                section[name] = {"threshold": float(value), "comparison_operator": op}
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
            raise MonitorError(f"metric_thresholds {text!r} must be a JSON object such as "
                               '{"mse": 6.0}') from exc
    if not constraints:
        raise MonitorError("model-quality needs baseline_constraints or metric_thresholds "
                           '(for example metric_thresholds={"mse": 6.0})')
    return constraints


def run(job: str, s: Settings) -> list[dict[str, str]]:
    """Run one job; return its violations."""
    if job == "baseline":
        return run_baseline(s)
    if job == "data-quality":
        return run_data_quality(s)
    if job == "model-quality":
        return run_model_quality(s)
    if job == "model-quality-baseline":
        return run_model_quality(s, suggest=True)
    raise MonitorError(f"unknown monitoring job {job!r}; choose one of {', '.join(JOBS)}")
