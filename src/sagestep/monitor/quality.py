"""The data-quality check: current statistics against a baseline's constraints (reference §2.7).

Violation types and when they fire are AWS's; the description wording of drift lines keeps
``distance: X exceeds threshold: Y``, which seed 001's post-processing script parses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sagestep.monitor.drift import categorical_distance, numeric_distance
from sagestep.monitor.profile import ColumnProfile, DatasetProfile
from sagestep.monitor.statistics import DEFAULT_MONITORING_CONFIG, features_by_name

VIOLATION_TYPES = ("data_type_check", "completeness_check", "baseline_drift_check",
                   "missing_column_check", "extra_column_check", "categorical_values_check")


@dataclass
class CheckResult:
    """Violations of one data-quality run, and the drift distance of each compared feature."""

    violations: list[dict[str, str]] = field(default_factory=list)
    distances: dict[str, float] = field(default_factory=dict)

    def add(self, feature: str, check: str, description: str) -> None:
        """Record one violation in constraint_violations.json's shape."""
        self.violations.append({"feature_name": feature, "constraint_check_type": check,
                                "description": description})

    def document(self) -> dict[str, Any]:
        """The constraint_violations.json document."""
        return {"violations": self.violations}


def check(profile: DatasetProfile, current_stats: dict[str, Any], constraints: dict[str, Any],
          baseline_stats: dict[str, Any] | None, categorical_method: str | None = None) -> CheckResult:
    """Compare a profiled dataset with the baseline files; return the violations."""
    result = CheckResult()
    config = {**DEFAULT_MONITORING_CONFIG, **constraints.get("monitoring_config", {})}
    expected = features_by_name(constraints)
    _columns(result, list(expected), list(profile.columns))
    baseline = features_by_name(baseline_stats) if baseline_stats else {}
    current = features_by_name(current_stats)
    for name, feature in expected.items():
        col = profile.columns.get(name)
        if col is None:
            continue
        if config.get("evaluate_constraints", "Enabled") == "Enabled":
            _type(result, feature, col, float(config.get("datatype_check_threshold", 0.1)))
            _completeness(result, feature, col)
            _domain(result, feature, col, float(config.get("domain_content_threshold", 0.1)))
        if name in baseline:
            _drift(result, feature, baseline[name], current[name], config, categorical_method)
    return result


def _columns(result: CheckResult, expected: list[str], seen: list[str]) -> None:
    counts = (f"Number of columns in current dataset: {len(seen)}, Number of columns in "
              f"baseline constraints: {len(expected)}")
    for name in expected:
        if name not in seen:
            result.add(name, "missing_column_check",
                       f"There are missing columns in current dataset. {counts}")
    for name in seen:
        if name not in expected:
            result.add(name, "extra_column_check",
                       f"There are extra columns in current dataset. {counts}")


def _type(result: CheckResult, feature: dict[str, Any], col: ColumnProfile, threshold: float) -> None:
    kind = feature.get("inferred_type")
    if col.present == 0 or kind not in ("Integral", "Fractional"):
        return
    matching = col.integral if kind == "Integral" else col.integral + col.fractional
    share = matching / col.present
    if 1 - share > threshold:
        result.add(feature["name"], "data_type_check",
                   f"Data type match requirement is not met. Expected data type: {kind}, "
                   f"Expected match: {100 * (1 - threshold):.1f}%. Observed: Only "
                   f"{100 * share:.1f}% of data is {kind}.")


def _completeness(result: CheckResult, feature: dict[str, Any], col: ColumnProfile) -> None:
    required = feature.get("completeness")
    total = col.present + col.missing
    if required is None or total == 0:
        return
    observed = col.present / total
    if observed < float(required) - 1e-12:
        result.add(feature["name"], "completeness_check",
                   f"Data completeness requirement is not met. Expected: {100 * float(required):.1f}%. "
                   f"Observed: Only {100 * observed:.1f}% of data is non-null.")


def _domain(result: CheckResult, feature: dict[str, Any], col: ColumnProfile, threshold: float) -> None:
    domains = feature.get("string_constraints", {}).get("domains")
    if not domains or col.present == 0 or col.categories is None:
        return
    allowed = {str(v) for v in domains}
    outside = {v: n for v, n in col.categories.items() if v not in allowed}
    share = sum(outside.values()) / col.present
    if share > threshold:
        sample = ", ".join(repr(v) for v in sorted(outside, key=lambda v: -outside[v])[:5])
        result.add(feature["name"], "categorical_values_check",
                   f"Data content requirement is not met. Expected at most {100 * threshold:.1f}% "
                   f"of values outside the baseline domain. Observed: {100 * share:.1f}% "
                   f"(for example {sample}).")


def _drift(result: CheckResult, feature: dict[str, Any], base: dict[str, Any], cur: dict[str, Any],
           config: dict[str, Any], categorical_method: str | None) -> None:
    dist = {**config.get("distribution_constraints", {}),
            **feature.get("monitoringConfigOverrides", {})}
    if dist.get("perform_comparison", "Enabled") != "Enabled":
        return
    method = dist.get("comparison_method", "Robust")
    name = feature["name"]
    if "numerical_statistics" in base and "numerical_statistics" in cur:
        value = numeric_distance(base["numerical_statistics"], cur["numerical_statistics"], method)
        threshold = float(dist.get("comparison_threshold", 0.1))
    elif "string_statistics" in base and "string_statistics" in cur:
        how = categorical_method or dist.get("categorical_drift_method", "LInfinity")
        value = categorical_distance(base["string_statistics"], cur["string_statistics"], how, method)
        threshold = float(dist.get("categorical_comparison_threshold", 0.1))
        if how == "ChiSquared":
            if value is not None and value < threshold:
                result.distances[name] = value
                result.add(name, "baseline_drift_check",
                           f"Baseline drift p-value: {value:.6g} is below threshold: {threshold}")
            return
    else:
        return
    if value is None:
        return
    result.distances[name] = value
    if value > threshold:
        result.add(name, "baseline_drift_check",
                   f"Baseline drift distance: {value:.6g} exceeds threshold: {threshold}")
