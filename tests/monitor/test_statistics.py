"""statistics.json and constraints.json have the reference's shapes and the right numbers."""

import numpy as np
import pandas as pd

from sagestep.monitor.statistics import features_by_name
from tests.monitor import reference
from tests.monitor.helpers import baseline, table


def test_statistics_shape_matches_the_reference_example():
    stats, _ = baseline(table())
    assert reference.shape(stats) == reference.shape(reference.STATISTICS)


def test_constraints_shape_matches_the_reference_example():
    _, constraints = baseline(table())
    assert reference.shape(constraints) == reference.shape(reference.CONSTRAINTS)
    assert constraints["monitoring_config"] == reference.CONSTRAINTS["monitoring_config"]


def test_numbers_agree_with_pandas_across_chunks():
    frame = table(n=5003)
    stats, constraints = baseline(frame)
    age = features_by_name(stats)["age"]["numerical_statistics"]
    assert age["common"] == {"num_present": 5003, "num_missing": 0}
    assert np.isclose(age["mean"], frame["age"].mean())
    assert np.isclose(age["std_dev"], frame["age"].std(ddof=0))
    assert np.isclose(age["sum"], frame["age"].sum())
    assert (age["min"], age["max"]) == (frame["age"].min(), frame["age"].max())
    counts = [b["count"] for b in age["distribution"]["kll"]["buckets"]]
    assert len(counts) == 10 and np.isclose(sum(counts), 5003)
    state = features_by_name(stats)["state"]["string_statistics"]
    assert state["distinct_count"] == 3.0
    assert {b["value"]: b["count"] for b in state["distribution"]["categorical"]["buckets"]} == \
        frame["state"].value_counts().to_dict()
    assert features_by_name(constraints)["state"]["string_constraints"]["domains"] == ["CA", "NY", "TX"]
    assert stats["dataset"] == {"item_count": 5003}


def test_inferred_types_and_completeness():
    frame = pd.DataFrame({
        "ints_with_gaps": [1, None, 3, 4],      # pandas reads float64; still Integral
        "floats": [1.5, 2.0, 2.5, 3.0],
        "written_as_floats": [1.0, 2.0, 3.0, 4.0],  # "1.0" in the CSV: Fractional, as Deequ
        "mixed": ["1", "2", "x", "4"],
        "empty": [None, None, None, None],
        "flags": [True, False, True, True],
    })
    stats, constraints = baseline(frame)
    types = {f["name"]: f["inferred_type"] for f in constraints["features"]}
    assert types == {"ints_with_gaps": "Integral", "floats": "Fractional",
                     "written_as_floats": "Fractional", "mixed": "String", "empty": "Unknown",
                     "flags": "String"}
    completeness = {f["name"]: f["completeness"] for f in constraints["features"]}
    assert completeness["ints_with_gaps"] == 0.75 and completeness["empty"] == 0.0


def test_high_cardinality_strings_get_no_domain_and_no_histogram():
    frame = pd.DataFrame({"id": [f"user-{i}" for i in range(20_000)]})
    stats, constraints = baseline(frame)
    feature = features_by_name(stats)["id"]["string_statistics"]
    assert "distribution" not in feature and feature["distinct_count"] >= 10_000
    assert "string_constraints" not in features_by_name(constraints)["id"]
