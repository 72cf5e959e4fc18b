"""The example files of shared/reference/model-monitoring.md, verbatim, and a shape comparer."""

from __future__ import annotations

from typing import Any

STATISTICS = {
    "version": 0,
    "dataset": {"item_count": 2331},
    "features": [
        {"name": "age", "inferred_type": "Integral",
         "numerical_statistics": {
             "common": {"num_present": 2331, "num_missing": 0},
             "mean": 40.1, "sum": 93473.0, "std_dev": 10.2, "min": 18.0, "max": 90.0,
             "distribution": {"kll": {
                 "buckets": [{"lower_bound": 18.0, "upper_bound": 25.2, "count": 211.0}],
                 "sketch": {"parameters": {"c": 0.64, "k": 2048.0},
                            "data": [[18.0, 33.0, 41.0], [25.0]]}}}}},
        {"name": "state", "inferred_type": "String",
         "string_statistics": {
             "common": {"num_present": 2331, "num_missing": 0},
             "distinct_count": 51.0,
             "distribution": {"categorical": {"buckets": [{"value": "CA", "count": 312}]}}}}]}

CONSTRAINTS = {
    "version": 0,
    "features": [
        {"name": "age", "inferred_type": "Integral", "completeness": 1.0,
         "num_constraints": {"is_non_negative": True}},
        {"name": "state", "inferred_type": "String", "completeness": 1.0,
         "string_constraints": {"domains": ["CA", "NY", "TX"]}}],
    "monitoring_config": {
        "evaluate_constraints": "Enabled", "emit_metrics": "Enabled",
        "datatype_check_threshold": 0.1, "domain_content_threshold": 0.1,
        "distribution_constraints": {
            "perform_comparison": "Enabled", "comparison_threshold": 0.1,
            "comparison_method": "Robust",
            "categorical_comparison_threshold": 0.1, "categorical_drift_method": "LInfinity"}}}

VIOLATIONS = {"violations": [
    {"feature_name": "age", "constraint_check_type": "baseline_drift_check",
     "description": "Baseline drift distance: 0.57 exceeds threshold: 0.1"}]}

MODEL_CONSTRAINTS = {
    "version": 0.0,
    "regression_constraints": {
        "mse": {"threshold": 6.0, "comparison_operator": "GreaterThanThreshold"},
        "r2": {"threshold": 0.4, "comparison_operator": "LessThanThreshold"}}}

CAPTURE_RECORD = {
    "captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                          "data": "69,0,153.7,109\n", "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                           "data": "0.0254", "encoding": "CSV"}},
    "eventMetadata": {"eventId": "<uuid>", "inferenceId": "<caller id, only if sent>",
                      "inferenceTime": "2022-02-14T17:25:49Z"},
    "eventVersion": "0"}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def shape(value: Any, path: str = "$") -> set[str]:
    """Every key path with its value kind; list items are merged (lists of lists kept)."""
    out = {f"{path}:{_kind(value)}"}
    if isinstance(value, dict):
        for key, item in value.items():
            out |= shape(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            out |= shape(item, f"{path}[]")
    return out
