"""Each of AWS's six violation types, triggered on purpose, and none on clean data."""

import numpy as np
import pandas as pd

from sagestep.monitor.quality import VIOLATION_TYPES
from tests.monitor import reference
from tests.monitor.helpers import kinds, run_check, table


def test_same_distribution_has_no_violation():
    assert run_check(table(seed=0), table(seed=1)).violations == []


def test_violation_file_shape_matches_the_reference_example():
    current = table(seed=1)
    current["income"] += 30
    result = run_check(table(), current)
    assert reference.shape(result.document()) == reference.shape(reference.VIOLATIONS)


def test_missing_and_extra_columns():
    current = table(seed=1).drop(columns=["state"]).assign(new=1)
    assert kinds(run_check(table(), current)) == [("new", "extra_column_check"),
                                                  ("state", "missing_column_check")]


def test_data_type_check_fires_above_the_threshold_only(tmp_path):
    def share_fractional(share):
        current = table(seed=1)
        ages = current["age"].astype(str)
        ages[: int(len(current) * share)] += ".5"  # "18.5": a fractional value in an int column
        path = tmp_path / f"{share}.csv"
        current.assign(age=ages).to_csv(path, index=False)
        return run_check(table(), path)  # through the chunked CSV reader

    assert share_fractional(0.05).violations == []
    result = share_fractional(0.2)
    assert kinds(result) == [("age", "data_type_check")]
    assert "Observed: Only 80.0% of data is Integral" in result.violations[0]["description"]


def test_completeness_check():
    current = table(seed=1)
    current.loc[::10, "income"] = np.nan
    result = run_check(table(), current)
    assert kinds(result) == [("income", "completeness_check")]
    assert "Observed: Only 90.0% of data is non-null" in result.violations[0]["description"]


def test_categorical_values_check_and_drift_of_a_string_feature():
    current = table(seed=1)
    current.loc[::4, "state"] = "WA"
    assert kinds(run_check(table(), current)) == [("state", "baseline_drift_check"),
                                                  ("state", "categorical_values_check")]


def test_numeric_drift_keeps_seed_001s_wording():
    current = table(seed=1)
    current["income"] += 10
    (violation,) = run_check(table(), current).violations
    assert violation["constraint_check_type"] == "baseline_drift_check"
    import re
    value, threshold = re.search("distance: (.+) exceeds threshold: (.+)",
                                 violation["description"]).groups()
    assert 0.3 < float(value) < 0.4 and float(threshold) == 0.1


def test_every_violation_type_is_covered():
    current = table(seed=1).drop(columns=["age"]).assign(extra=1)
    current.loc[::3, "state"] = "WA"
    current.loc[::10, "income"] = np.nan
    current["income"] = current["income"].astype(object)
    current.loc[1::5, "income"] = "n/a"
    base = table().assign(flag=1)
    current["flag"] = 1.5
    found = {v["constraint_check_type"] for v in run_check(base, current).violations}
    assert found == set(VIOLATION_TYPES)


def test_drift_is_robust_on_a_million_rows_and_quiet_on_tiny_windows():
    rng = np.random.default_rng(7)
    big = pd.DataFrame({"x": rng.normal(size=1_000_000)})
    same = pd.DataFrame({"x": rng.normal(size=1_000_000)})
    nudged = pd.DataFrame({"x": rng.normal(0.02, 1, size=1_000_000)})
    # a KS test's p-value would flag the 0.02 sigma nudge at this size; the distance does not
    assert run_check(big, same).violations == []
    assert run_check(big, nudged).violations == []
    tiny = pd.DataFrame({"x": rng.normal(0.5, 1, size=15)})
    assert run_check(big, tiny).violations == []  # 15 rows: noise, not drift
    shifted = pd.DataFrame({"x": rng.normal(0.5, 1, size=5000)})
    assert [v["constraint_check_type"] for v in run_check(big, shifted).violations] == \
        ["baseline_drift_check"]


def test_per_feature_override_and_disabled_comparison():
    from sagestep.monitor.quality import check
    from sagestep.monitor.statistics import statistics_json
    from tests.monitor.helpers import baseline, profile

    current = table(seed=1)
    current["income"] += 10
    stats, constraints = baseline(table())
    made = profile(current)
    constraints["features"][1]["monitoringConfigOverrides"] = {"comparison_threshold": 0.9}
    assert check(made, statistics_json(made), constraints, stats).violations == []
    constraints["features"][1]["monitoringConfigOverrides"] = {}
    constraints["monitoring_config"]["distribution_constraints"]["perform_comparison"] = "Disabled"
    assert check(made, statistics_json(made), constraints, stats).violations == []


def test_chi_squared_method_reports_p_values_below_threshold():
    current = table(seed=1)
    current.loc[: len(current) // 2, "state"] = "CA"
    result = run_check(table(), current, categorical_method="ChiSquared")
    drift = [v for v in result.violations if v["constraint_check_type"] == "baseline_drift_check"]
    assert drift and "p-value" in drift[0]["description"]
    assert run_check(table(), table(seed=1), categorical_method="ChiSquared").violations == []
