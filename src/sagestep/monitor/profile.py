"""Per-column statistics accumulated chunk by chunk, so memory is bounded by the chunk size.

One :class:`ColumnProfile` per column counts present/missing values and how many look
integral, fractional or like strings (Deequ's data-type histogram), keeps a streaming
mean/variance (Chan's parallel update), min/max/sum, a KLL sketch of the numeric values and,
while the column has few distinct values, exact category counts.

pandas parses each CSV chunk with its own type inference, so a value's textual form is not
seen. The rules that stand in for Deequ's regexes: an int64 chunk is integral; in a float chunk
each value is integral when it is a whole number, except that a chunk of whole numbers with no
missing value can only be float because some value was written with a decimal point ("1.0",
how pandas writes float columns), so all of it counts as fractional. A boolean chunk counts as
strings (Model Monitor's types are Integral, Fractional and String).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sagestep.monitor.sketch import KLLSketch

MAX_CATEGORIES = 10_000  # above this a column is not categorical: stop counting values


@dataclass
class ColumnProfile:
    """Running statistics of one column."""

    name: str
    present: int = 0
    missing: int = 0
    integral: int = 0
    fractional: int = 0
    strings: int = 0
    count: int = 0  # numeric values seen
    mean: float = 0.0
    m2: float = 0.0
    total: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")
    sketch: KLLSketch = field(default_factory=KLLSketch)
    categories: Counter[str] | None = field(default_factory=Counter)
    distinct_floor: int = 0  # distinct values seen before counting stopped

    def add(self, column: pd.Series) -> None:
        """Fold one chunk of the column in."""
        size = len(column)
        kind = column.dtype.kind
        if kind in "iu":
            numbers = column.to_numpy(dtype=float)
            self.present += size
            self.integral += size
            self._numbers(numbers)
            self._categories(column)
            return
        if kind == "f":
            values = column.to_numpy()
            finite = values[~np.isnan(values)]
            self.present += finite.size
            self.missing += size - finite.size
            whole = int(np.count_nonzero(finite == np.floor(finite)))
            if whole == finite.size and finite.size == size:
                self.fractional += whole  # float dtype with no gap: written as "1.0"
            else:
                self.integral += whole
                self.fractional += finite.size - whole
            self._numbers(finite)
            self._categories(column.dropna())
            return
        self._objects(column)

    def _objects(self, column: pd.Series) -> None:
        # Work on the distinct values and their counts: parsing each distinct string once is
        # what keeps low-cardinality string columns as fast as numeric ones.
        counts = column.value_counts(sort=False, dropna=True)
        keys = counts.index.astype(str)
        weights = counts.to_numpy(dtype=np.int64)
        filled = np.asarray(keys.str.strip() != "")  # blank CSV cells are missing
        keys, weights = keys[filled], weights[filled]
        present = int(weights.sum())
        self.present += present
        self.missing += len(column) - present
        if column.dtype.kind == "b":
            self.strings += present
            self._count(keys.str.lower(), weights)
            return
        parsed = np.asarray(pd.to_numeric(pd.Series(keys), errors="coerce"), dtype=float)
        numeric = ~np.isnan(parsed)
        whole = numeric & (parsed == np.floor(np.where(numeric, parsed, 0.0)))
        self.integral += int(weights[whole].sum())
        self.fractional += int(weights[numeric & ~whole].sum())
        self.strings += int(weights[~numeric].sum())
        if numeric.any():
            self._numbers(np.repeat(parsed[numeric], weights[numeric]))
        self._count(keys, weights)

    def _numbers(self, values: np.ndarray) -> None:
        if values.size == 0:
            return
        n, mean = values.size, float(values.mean())
        m2 = float(((values - mean) ** 2).sum())
        combined = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / combined
        self.m2 += m2 + delta * delta * self.count * n / combined
        self.count = combined
        self.total += float(values.sum())
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))
        self.sketch.update(values)

    def _categories(self, values: pd.Series) -> None:
        if self.categories is None or not len(values):
            return
        counts = values.value_counts(sort=False)
        if len(counts) > MAX_CATEGORIES:  # a continuous column: stop before stringifying
            self._stop_counting()
            return
        self._count(counts.index.astype(str), counts.to_numpy(dtype=np.int64))

    def _count(self, keys: pd.Index, weights: np.ndarray) -> None:
        if self.categories is None:
            return
        if len(keys) > MAX_CATEGORIES or (len(keys) + len(self.categories) > MAX_CATEGORIES and
                                          len(set(keys) | set(self.categories)) > MAX_CATEGORIES):
            self._stop_counting()
            return
        for value, count in zip(keys, weights.tolist(), strict=True):
            self.categories[value] += count

    def _stop_counting(self) -> None:
        assert self.categories is not None
        self.distinct_floor = max(MAX_CATEGORIES, len(self.categories))
        self.categories = None

    @property
    def inferred_type(self) -> str:
        """Deequ's rule: any string makes a String column, any fraction a Fractional one."""
        if self.present == 0:
            return "Unknown"
        if self.strings:
            return "String"
        return "Fractional" if self.fractional else "Integral"

    @property
    def std_dev(self) -> float:
        """Population standard deviation, as Deequ's StandardDeviation analyzer computes it."""
        return float(np.sqrt(self.m2 / self.count)) if self.count else 0.0

    @property
    def distinct_count(self) -> int:
        """Exact distinct values, or the floor at which counting stopped."""
        return len(self.categories) if self.categories is not None else self.distinct_floor


class DatasetProfile:
    """Profiles of every column of a dataset read in chunks; column order is first-seen order."""

    def __init__(self) -> None:
        self.rows = 0
        self.columns: dict[str, ColumnProfile] = {}

    def add(self, chunk: pd.DataFrame) -> None:
        """Fold one chunk in; a column absent from this chunk counts its rows as missing."""
        for name in chunk.columns:
            key = str(name)
            if key not in self.columns:
                self.columns[key] = ColumnProfile(key, missing=self.rows)
            self.columns[key].add(chunk[name])
        for key, profile in self.columns.items():
            if key not in chunk.columns:
                profile.missing += len(chunk)
        self.rows += len(chunk)
