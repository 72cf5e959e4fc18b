"""Build profiles and baseline files from DataFrames, as the jobs do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sagestep.monitor.datasets import read_chunks
from sagestep.monitor.profile import DatasetProfile
from sagestep.monitor.quality import CheckResult, check
from sagestep.monitor.statistics import constraints_json, statistics_json


def profile(frame: pd.DataFrame, chunk: int = 1000) -> DatasetProfile:
    made = DatasetProfile()
    for start in range(0, len(frame), chunk):
        made.add(frame.iloc[start:start + chunk])
    return made


def profile_csv(path: Path, chunk: int = 1000) -> DatasetProfile:
    """Profile a CSV file through the jobs' chunked reader (pandas infers types per chunk)."""
    made = DatasetProfile()
    for part in read_chunks(path, {"csv": {"header": True}}, chunk):
        made.add(part)
    return made


def baseline(frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    made = profile(frame)
    return statistics_json(made), constraints_json(made)


def run_check(base: pd.DataFrame, current: pd.DataFrame | Path, **kw: Any) -> CheckResult:
    stats, constraints = baseline(base)
    made = profile_csv(current) if isinstance(current, Path) else profile(current)
    return check(made, statistics_json(made), constraints, stats, **kw)


def table(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.integers(18, 90, n), "income": rng.normal(50, 10, n),
                         "state": rng.choice(["CA", "NY", "TX"], n)})


def kinds(result: CheckResult) -> list[tuple[str, str]]:
    return sorted((v["feature_name"], v["constraint_check_type"]) for v in result.violations)
