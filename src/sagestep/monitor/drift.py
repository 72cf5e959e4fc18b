"""Distribution distances between a baseline and current statistics (reference §2.6, Deequ).

Numeric features: the L-infinity distance between the two empirical CDFs (the KS statistic)
read from the KLL sketches. Categorical features: the largest difference of relative
frequencies (LInfinity) or Pearson's chi-squared p-value (ChiSquared). "Robust" subtracts
``1.8 * sqrt((n + m) / (n * m))`` (Deequ's default, alpha about 0.003) and floors at 0: the
sampling noise of a KS statistic shrinks with the sample sizes, so a small distance on small
data is not reported as drift, and a distance threshold (not a p-value) keeps a million-row
window from flagging a 0.001 shift that no model notices.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sagestep.monitor.sketch import cdf, weighted_items

C_ALPHA = 1.8


def robust(distance: float, n: float, m: float) -> float:
    """Deequ's small-sample correction of an L-infinity distance."""
    if n <= 0 or m <= 0:
        return 0.0
    return max(0.0, distance - C_ALPHA * math.sqrt((n + m) / (n * m)))


def numeric_distance(baseline: dict[str, Any], current: dict[str, Any], method: str) -> float | None:
    """L-infinity CDF distance of two ``numerical_statistics`` blocks (None: nothing to compare)."""
    base_v, base_w = _sketch(baseline)
    cur_v, cur_w = _sketch(current)
    if base_v.size == 0 or cur_v.size == 0:
        return None
    at = np.union1d(base_v, cur_v)
    distance = float(np.max(np.abs(cdf(base_v, base_w, at) - cdf(cur_v, cur_w, at))))
    if method == "Robust":
        return robust(distance, _present(baseline), _present(current))
    return distance


def categorical_distance(baseline: dict[str, Any], current: dict[str, Any],
                         method: str, comparison: str) -> float | None:
    """LInfinity distance (or ChiSquared p-value) of two ``string_statistics`` blocks."""
    base, cur = _categories(baseline), _categories(current)
    if not base or not cur:
        return None
    if method == "ChiSquared":
        return chi_squared_p_value(base, cur)
    base_total, cur_total = sum(base.values()), sum(cur.values())
    keys = set(base) | set(cur)
    distance = max(abs(base.get(k, 0) / base_total - cur.get(k, 0) / cur_total) for k in keys)
    if comparison == "Robust":
        return robust(distance, base_total, cur_total)
    return distance


def chi_squared_p_value(base: dict[str, float], cur: dict[str, float]) -> float | None:
    """Goodness of fit of current counts to baseline proportions, small categories pooled.

    Categories whose expected count is under 5 are pooled into one (the Yates rule the
    reference cites); with fewer than two categories left there is no test (None).
    """
    from scipy import stats as scipy_stats  # imported here: it costs a second at job start

    total = sum(cur.values())
    base_total = sum(base.values())
    keys = sorted(set(base) | set(cur))
    expected = np.array([base.get(k, 0) / base_total * total for k in keys])
    observed = np.array([cur.get(k, 0) for k in keys], dtype=float)
    small = expected < 5
    if small.any():
        expected = np.append(expected[~small], expected[small].sum())
        observed = np.append(observed[~small], observed[small].sum())
        if expected[-1] == 0:
            expected, observed = expected[:-1], observed[:-1]
    keep = expected > 0
    if observed[~keep].sum() > 0:
        return 0.0  # values the baseline never had: certainly a different distribution
    expected, observed = expected[keep], observed[keep]
    if expected.size < 2:
        return None
    return float(scipy_stats.chisquare(observed, expected).pvalue)


def _sketch(numeric: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    kll = numeric.get("distribution", {}).get("kll", {})
    data = kll.get("sketch", {}).get("data")
    if data is None:
        return np.empty(0), np.empty(0)
    return weighted_items(data)


def _present(block: dict[str, Any]) -> float:
    return float(block.get("common", {}).get("num_present", 0))


def _categories(block: dict[str, Any]) -> dict[str, float]:
    found = block.get("distribution", {}).get("categorical", {}).get("buckets", [])
    return {str(b["value"]): float(b["count"]) for b in found if float(b["count"]) > 0}
