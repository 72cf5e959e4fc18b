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
        values = column.dropna()
        if column.dtype == object and len(values):
            values = values[values.astype(str).str.strip() != ""]  # blank CSV cells are missing
        self.present += len(values)
        self.missing += len(column) - len(values)
        if column.dtype.kind == "b":
            self.strings += len(values)
            self._categories(values.astype(str).str.lower())
            return
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        finite = numbers[~np.isnan(numbers)]
        whole = int(np.count_nonzero(finite == np.floor(finite)))
        self.integral += whole
        self.fractional += finite.size - whole
        self.strings += len(values) - finite.size
        self._numbers(finite)
        self._categories(values.astype(str))

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
        if len(counts) + len(self.categories) > MAX_CATEGORIES and \
                len(set(counts.index.astype(str)) | set(self.categories)) > MAX_CATEGORIES:
            self.distinct_floor = MAX_CATEGORIES
            self.categories = None
            return
        for value, count in zip(counts.index.astype(str), counts.to_numpy(), strict=True):
            self.categories[value] += int(count)

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
