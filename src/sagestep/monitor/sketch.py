"""A mergeable KLL quantile sketch in numpy, serialised as Model Monitor writes Deequ's.

``statistics.json`` carries ``distribution.kll.sketch = {"parameters": {"c", "k"}, "data":
[[level 0], [level 1], ...]}``; an item on level ``h`` stands for ``2**h`` input values. Deequ's
defaults are k=2048, c=0.64, and level 0 holds raw values until ``2*(ceil(k*c^depth/2)+1)``
(2050 for a single level), so up to that many rows the sketch is exact. The rank error with
k=2048 is about 0.1 %, far below the 0.1 drift thresholds compared against it.

The coin that picks odd or even items on compaction comes from a fixed seed so that the same
data always writes the same file (golden tests, reproducible drift numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

K_DEFAULT = 2048
C_DEFAULT = 0.64
BUCKETS = 10  # Model Monitor always materialises 10 equal-width buckets


@dataclass
class KLLSketch:
    """Streaming quantiles of float values with bounded memory (about k / (1 - c) items)."""

    k: int = K_DEFAULT
    c: float = C_DEFAULT
    levels: list[np.ndarray] = field(default_factory=lambda: [np.empty(0)])
    _coin: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))

    def capacity(self, level: int) -> int:
        """How many items ``level`` holds before it is compacted (Deequ's formula)."""
        depth = len(self.levels) - 1 - level
        return 2 * (math.ceil(self.k * self.c**depth / 2) + 1)

    def update(self, values: np.ndarray) -> None:
        """Add a batch of finite float values."""
        if not values.size:
            return
        values = values.astype(float, copy=False)
        level = 0
        if values.size > 2 * self.capacity(0):
            # A chunk far above level 0's capacity: sort it once and take every 2**j-th item
            # from a random offset, which is what j successive compactions of it would keep,
            # instead of sorting it again on every level.
            while values.size >> level > self.capacity(0) and level < 60:
                level += 1
            level -= 1
            while level >= len(self.levels):
                self.levels.append(np.empty(0))
            step = 1 << level
            values = np.sort(values)[int(self._coin.integers(step))::step]
        self.levels[level] = np.concatenate([self.levels[level], values])
        self._compress()

    def merge(self, other: KLLSketch) -> None:
        """Fold another sketch in (used to combine per-chunk or per-worker sketches)."""
        for h, items in enumerate(other.levels):
            while h >= len(self.levels):
                self.levels.append(np.empty(0))
            self.levels[h] = np.concatenate([self.levels[h], items])
        self._compress()

    def _compress(self) -> None:
        level = 0
        while level < len(self.levels):
            items = self.levels[level]
            if items.size > self.capacity(level):
                if level + 1 == len(self.levels):
                    self.levels.append(np.empty(0))
                items = np.sort(items)
                keep = items[-1:] if items.size % 2 else items[:0]
                pairs = items[: items.size - keep.size]
                promoted = pairs[int(self._coin.integers(2))::2]
                self.levels[level + 1] = np.concatenate([self.levels[level + 1], promoted])
                self.levels[level] = keep.copy()
            level += 1

    def weighted(self) -> tuple[np.ndarray, np.ndarray]:
        """All items sorted, with their weights (2**level)."""
        return weighted_items([lv.tolist() for lv in self.levels])

    def to_json(self) -> dict[str, Any]:
        """The ``sketch`` object of statistics.json."""
        return {"parameters": {"c": self.c, "k": float(self.k)},
                "data": [lv.tolist() for lv in self.levels]}


def weighted_items(data: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted values and weights of a sketch's ``data`` arrays (ours or one AWS wrote)."""
    values = [np.asarray(level, dtype=float) for level in data]
    if not values or not any(v.size for v in values):
        return np.empty(0), np.empty(0)
    weights = [np.full(v.size, 2.0**h) for h, v in enumerate(values)]
    flat, wflat = np.concatenate(values), np.concatenate(weights)
    order = np.argsort(flat, kind="stable")
    return flat[order], wflat[order]


def cdf(values: np.ndarray, weights: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Empirical CDF P(X <= at) of a weighted sample."""
    if values.size == 0:
        return np.zeros(at.shape)
    cumulative = np.cumsum(weights)
    index = np.searchsorted(values, at, side="right")
    below = np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0.0)
    return np.asarray(below / cumulative[-1])


def buckets(values: np.ndarray, weights: np.ndarray, low: float, high: float,
            total: float) -> list[dict[str, float]]:
    """Ten equal-width buckets between min and max, the last one including the max.

    Counts are scaled to the true number of values (the sketch holds a sample of them).
    """
    if values.size == 0:
        return []
    edges = [low + (high - low) * i / BUCKETS for i in range(BUCKETS + 1)]
    if high == low:
        return [{"lower_bound": low, "upper_bound": high, "count": float(total)}]
    cuts = np.searchsorted(values, edges[1:-1], side="left")
    cumulative = np.concatenate([[0.0], np.cumsum(weights)])
    bounds = np.concatenate([[0], cuts, [values.size]])
    scale = total / cumulative[-1]
    out = []
    for i in range(BUCKETS):
        count = (cumulative[bounds[i + 1]] - cumulative[bounds[i]]) * scale
        out.append({"lower_bound": edges[i], "upper_bound": edges[i + 1],
                    "count": float(round(count, 6))})
    return out
