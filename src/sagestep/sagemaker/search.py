"""Hyper-parameter search strategies over AWS ParameterRanges: Random, Bayesian (optuna TPE), Grid.

A strategy proposes one set of tuned hyperparameters (values as the strings SageMaker passes)
at a time and is told each job's objective. Scaling types follow AWS: Linear, Logarithmic
(needs MinValue > 0), ReverseLogarithmic (continuous, range inside [0, 1)), Auto (= Linear).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


@dataclass(frozen=True)
class Proposal:
    """One trial's tuned hyperparameters and the strategy's handle for it."""

    values: dict[str, str]
    handle: Any


def range_problem(ranges: dict[str, Any]) -> str | None:
    """Why ``ParameterRanges`` cannot be searched (as AWS would reject it), else None."""
    for kind in ("IntegerParameterRanges", "ContinuousParameterRanges"):
        for r in ranges.get(kind, []):
            try:
                lo, hi = float(r["MinValue"]), float(r["MaxValue"])
            except ValueError:
                return f"{kind} {r['Name']}: MinValue/MaxValue must be numbers"
            if lo > hi:
                return f"{kind} {r['Name']}: MinValue {lo} is greater than MaxValue {hi}"
            scaling = r.get("ScalingType", "Auto")
            if scaling == "Logarithmic" and lo <= 0:
                return f"{kind} {r['Name']}: Logarithmic scaling needs MinValue > 0"
            if scaling == "ReverseLogarithmic" and (kind.startswith("Integer") or lo < 0 or hi >= 1):
                return f"{kind} {r['Name']}: ReverseLogarithmic scaling needs a continuous range in [0, 1)"
    return None


class OptunaSearch:
    """Random (RandomSampler) or Bayesian (TPESampler) search via optuna's ask/tell."""

    def __init__(self, ranges: dict[str, Any], strategy: str, maximize: bool, seed: int | None) -> None:
        sampler: optuna.samplers.BaseSampler
        if strategy == "Bayesian":
            sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=3)
        else:
            sampler = optuna.samplers.RandomSampler(seed=seed)
        self._study = optuna.create_study(direction="maximize" if maximize else "minimize", sampler=sampler)
        self._ranges = ranges

    def propose(self) -> Proposal:
        trial = self._study.ask()
        values: dict[str, str] = {}
        for r in self._ranges.get("IntegerParameterRanges", []):
            lo, hi = int(float(r["MinValue"])), int(float(r["MaxValue"]))
            log = r.get("ScalingType") == "Logarithmic"
            values[r["Name"]] = str(trial.suggest_int(r["Name"], lo, hi, log=log))
        for r in self._ranges.get("ContinuousParameterRanges", []):
            flo, fhi = float(r["MinValue"]), float(r["MaxValue"])
            scaling = r.get("ScalingType", "Auto")
            if scaling == "ReverseLogarithmic":
                y = trial.suggest_float(r["Name"] + "#rev", 1 - fhi, 1 - flo, log=True)
                values[r["Name"]] = repr(1 - y)
            else:
                values[r["Name"]] = repr(trial.suggest_float(r["Name"], flo, fhi, log=scaling == "Logarithmic"))
        for r in self._ranges.get("CategoricalParameterRanges", []):
            values[r["Name"]] = str(trial.suggest_categorical(r["Name"], list(r["Values"])))
        return Proposal(values, trial.number)

    def tell(self, handle: Any, value: float | None) -> None:
        if value is None or not math.isfinite(value):
            self._study.tell(handle, state=optuna.trial.TrialState.FAIL)
        else:
            self._study.tell(handle, value)


class GridSearch:
    """Every combination of the categorical values, in order (AWS Grid: categorical only)."""

    def __init__(self, ranges: dict[str, Any]) -> None:
        cats = ranges.get("CategoricalParameterRanges", [])
        names = [r["Name"] for r in cats]
        self._combos = [dict(zip(names, combo, strict=True))
                        for combo in itertools.product(*[r["Values"] for r in cats])]
        self._next = 0

    @property
    def size(self) -> int:
        return len(self._combos)

    def propose(self) -> Proposal:
        values = self._combos[self._next % len(self._combos)]
        self._next += 1
        return Proposal(dict(values), self._next - 1)

    def tell(self, handle: Any, value: float | None) -> None:
        return None


def make_search(config: dict[str, Any]) -> OptunaSearch | GridSearch:
    ranges = config.get("ParameterRanges", {})
    if config["Strategy"] == "Grid":
        return GridSearch(ranges)
    maximize = config["HyperParameterTuningJobObjective"]["Type"] == "Maximize"
    return OptunaSearch(ranges, config["Strategy"], maximize, config.get("RandomSeed"))
