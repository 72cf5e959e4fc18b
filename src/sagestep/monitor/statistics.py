"""statistics.json and constraints.json in Model Monitor's shapes (reference §2.4, §2.5)."""

from __future__ import annotations

import copy
from typing import Any

from sagestep.monitor.profile import ColumnProfile, DatasetProfile
from sagestep.monitor.sketch import buckets

MAX_DOMAIN = 100  # a String column with at most this many distinct values gets a domain

DEFAULT_MONITORING_CONFIG: dict[str, Any] = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 0.1,
    "domain_content_threshold": 0.1,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
        "categorical_comparison_threshold": 0.1,
        "categorical_drift_method": "LInfinity",
    },
}


def statistics_json(profile: DatasetProfile) -> dict[str, Any]:
    """The data-quality ``statistics.json`` of a profiled dataset."""
    return {"version": 0, "dataset": {"item_count": profile.rows},
            "features": [_feature(col) for col in profile.columns.values()]}


def _feature(col: ColumnProfile) -> dict[str, Any]:
    kind = col.inferred_type
    common = {"num_present": col.present, "num_missing": col.missing}
    out: dict[str, Any] = {"name": col.name, "inferred_type": kind}
    if kind in ("Integral", "Fractional"):
        values, weights = col.sketch.weighted()
        out["numerical_statistics"] = {
            "common": common, "mean": col.mean, "sum": col.total, "std_dev": col.std_dev,
            "min": col.low, "max": col.high,
            "distribution": {"kll": {
                "buckets": buckets(values, weights, col.low, col.high, col.count),
                "sketch": col.sketch.to_json()}},
        }
    else:
        strings: dict[str, Any] = {"common": common, "distinct_count": float(col.distinct_count)}
        if col.categories is not None:
            ranked = sorted(col.categories.items(), key=lambda kv: (-kv[1], kv[0]))
            strings["distribution"] = {"categorical": {
                "buckets": [{"value": v, "count": c} for v, c in ranked]}}
        out["string_statistics"] = strings
    return out


def constraints_json(profile: DatasetProfile,
                     monitoring_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The suggested data-quality ``constraints.json`` of a baseline dataset."""
    features = []
    for col in profile.columns.values():
        item: dict[str, Any] = {"name": col.name, "inferred_type": col.inferred_type,
                                "completeness": _completeness(col)}
        if col.inferred_type in ("Integral", "Fractional"):
            item["num_constraints"] = {"is_non_negative": bool(col.low >= 0)}
        elif col.inferred_type == "String" and col.categories is not None and \
                0 < len(col.categories) <= MAX_DOMAIN and len(col.categories) < col.present:
            item["string_constraints"] = {"domains": sorted(col.categories)}
        features.append(item)
    config = copy.deepcopy(DEFAULT_MONITORING_CONFIG if monitoring_config is None
                           else monitoring_config)
    return {"version": 0, "features": features, "monitoring_config": config}


def _completeness(col: ColumnProfile) -> float:
    total = col.present + col.missing
    return col.present / total if total else 0.0


def features_by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``features`` list of a statistics or constraints file, keyed by name."""
    return {str(f["name"]): f for f in document.get("features", [])}
