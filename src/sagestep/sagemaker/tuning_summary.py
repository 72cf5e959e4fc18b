"""HyperParameterTrainingJobSummary and the status counters of a tuning job."""

from __future__ import annotations

from typing import Any

from sagestep.sagemaker.tuning_objective import objective_value


def summary(rec: dict[str, Any], tuning_name: str, tuned: dict[str, str], cfg: dict[str, Any]) -> dict[str, Any]:
    """The HyperParameterTrainingJobSummary of one child training job."""
    objective = cfg["HyperParameterTuningJobObjective"]
    out: dict[str, Any] = {
        "TrainingJobName": rec["TrainingJobName"], "TrainingJobArn": rec["TrainingJobArn"],
        "TuningJobName": tuning_name, "CreationTime": rec["CreationTime"],
        "TrainingJobStatus": rec["TrainingJobStatus"], "TunedHyperParameters": dict(tuned),
    }
    for key in ("TrainingStartTime", "TrainingEndTime", "FailureReason"):
        if key in rec:
            out[key] = rec[key]
    status = rec["TrainingJobStatus"]
    value = objective_value(rec, objective["MetricName"])
    if status == "Completed" and value is not None:
        out["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": objective["Type"], "MetricName": objective["MetricName"], "Value": value}
        out["ObjectiveStatus"] = "Succeeded"
    elif status in ("Completed", "Failed", "Stopped"):
        out["ObjectiveStatus"] = "Failed"
    else:
        out["ObjectiveStatus"] = "Pending"
    return out


def counters(summaries: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    """(TrainingJobStatusCounters, ObjectiveStatusCounters) as DescribeHyperParameterTuningJob."""
    jobs = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0}
    objectives = {"Succeeded": 0, "Pending": 0, "Failed": 0}
    for s in summaries:
        status = s["TrainingJobStatus"]
        if status == "Failed":
            jobs["NonRetryableError"] += 1
        elif status in ("InProgress", "Stopping"):
            jobs["InProgress"] += 1
        else:
            jobs[status] = jobs.get(status, 0) + 1
        objectives[s["ObjectiveStatus"]] += 1
    return jobs, objectives
