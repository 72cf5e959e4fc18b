"""The objective value of a training job: its final value of the objective metric."""

from __future__ import annotations

from typing import Any


def objective_value(rec: dict[str, Any], metric: str) -> float | None:
    for m in rec.get("FinalMetricDataList", []):
        if m["MetricName"] == metric:
            return float(m["Value"])
    return None
