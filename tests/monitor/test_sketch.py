"""The KLL sketch: exact on small data, accurate and bounded on large data, AWS data readable."""

import numpy as np

from sagestep.monitor.sketch import KLLSketch, buckets, cdf, weighted_items


def test_small_data_is_kept_exactly_in_one_level():
    sketch = KLLSketch()
    values = np.arange(2050, dtype=float)
    sketch.update(values)
    assert len(sketch.levels) == 1
    assert sorted(sketch.to_json()["data"][0]) == values.tolist()
    assert sketch.to_json()["parameters"] == {"c": 0.64, "k": 2048.0}


def test_large_stream_has_bounded_size_and_small_rank_error():
    rng = np.random.default_rng(3)
    sketch = KLLSketch()
    data = rng.normal(size=1_000_000)
    for part in np.array_split(data, 20):
        sketch.update(part)
    held = sum(level.size for level in sketch.levels)
    assert held < 8000
    values, weights = sketch.weighted()
    assert abs(weights.sum() - data.size) < 2 ** len(sketch.levels)
    probes = np.quantile(data, [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
    true = np.searchsorted(np.sort(data), probes, side="right") / data.size
    assert np.max(np.abs(cdf(values, weights, probes) - true)) < 0.005


def test_merge_equals_one_stream_closely():
    rng = np.random.default_rng(4)
    a, b = KLLSketch(), KLLSketch()
    a.update(rng.uniform(0, 1, 50_000))
    b.update(rng.uniform(0, 1, 50_000))
    a.merge(b)
    values, weights = a.weighted()
    assert abs(float(cdf(values, weights, np.array([0.5]))[0]) - 0.5) < 0.01
    assert abs(weights.sum() - 100_000) < 2 ** len(a.levels)


def test_sketch_data_written_by_aws_weights_levels_by_powers_of_two():
    values, weights = weighted_items([[18.0, 33.0, 41.0], [25.0]])
    assert values.tolist() == [18.0, 25.0, 33.0, 41.0]
    assert weights.tolist() == [1.0, 2.0, 1.0, 1.0]
    assert cdf(values, weights, np.array([25.0]))[0] == 3 / 5


def test_ten_equal_width_buckets_with_the_max_in_the_last():
    values = np.arange(0, 101, dtype=float)
    found = buckets(values, np.ones(values.size), 0.0, 100.0, 101)
    assert len(found) == 10
    assert [b["count"] for b in found] == [10.0] * 9 + [11.0]
    assert found[0]["lower_bound"] == 0.0 and found[-1]["upper_bound"] == 100.0
