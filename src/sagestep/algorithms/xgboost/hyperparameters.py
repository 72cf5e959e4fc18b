"""Hyperparameters of the built-in XGBoost algorithm: names, types, ranges, as the container checks them.

SageMaker passes every hyperparameter as a string; the container parses each to its declared
type, rejects unknown names ("Extraneous hyperparameter found") and values out of range, and
fills defaults. Messages follow the container's wording so FailureReason reads as on AWS.
[src: sagemaker-xgboost-container algorithm_mode/hyperparameter_validation.py]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sagestep.algorithms.failure import UserError

OBJECTIVES = (
    "binary:logistic", "binary:logitraw", "binary:hinge", "count:poisson", "multi:softmax",
    "multi:softprob", "rank:pairwise", "rank:ndcg", "rank:map", "reg:linear",
    "reg:squarederror", "reg:logistic", "reg:gamma", "reg:pseudohubererror",
    "reg:squaredlogerror", "reg:absoluteerror", "reg:tweedie", "survival:aft", "survival:cox",
)
EVAL_METRICS = (
    "accuracy", "auc", "aucpr", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "map", "ndcg",
    "precision", "r2", "recall", "precision_macro", "precision_micro", "recall_macro",
    "recall_micro", "aft-nloglik", "cox-nloglik", "error", "gamma-deviance", "gamma-nloglik",
    "interval-regression-accuracy", "logloss", "mae", "mape", "merror", "mlogloss", "mphe", "mse",
    "poisson-nloglik", "rmse", "rmsle", "tweedie-nloglik",
)
# Metrics the container computes itself (sklearn-style); XGBoost has no native version.
CUSTOM_METRICS = frozenset({
    "accuracy", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "precision", "r2", "recall",
    "precision_macro", "precision_micro", "recall_macro", "recall_micro", "mse",
})
ALIASES = {"learning_rate": "eta", "min_split_loss": "gamma", "reg_lambda": "lambda",
           "reg_alpha": "alpha"}


@dataclass(frozen=True)
class Interval:
    """A numeric range; ``None`` bounds are unbounded."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (
            self.high is not None and (value > self.high or (self.high_open and value == self.high))
        )

    def __str__(self) -> str:
        low = "(-inf" if self.low is None else ("(" if self.low_open else "[") + f"{self.low:g}"
        high = "+inf)" if self.high is None else f"{self.high:g}" + (")" if self.high_open else "]")
        return f"{low}, {high}"


@dataclass(frozen=True)
class Spec:
    """One hyperparameter: how to parse it and what values it may take."""

    parse: Callable[[str], Any]
    allowed: Interval | tuple[str, ...] | None = None


def _int(value: str) -> int:
    number = float(value)
    if not number.is_integer():
        raise ValueError(value)
    return int(number)


def _float(value: str) -> float:
    number = float(value)
    if math.isnan(number):
        raise ValueError(value)
    return number


def _text(value: str) -> str:
    return value


def _metrics(value: str) -> list[str]:
    return [m.strip() for m in value.split(",") if m.strip()]


NONNEG = Interval(0)
UNIT = Interval(0, 1, low_open=True)
SPECS: dict[str, Spec] = {
    "num_round": Spec(_int, Interval(1)),
    "num_class": Spec(_int, Interval(2)),
    "objective": Spec(_text, OBJECTIVES),
    "eval_metric": Spec(_metrics),
    "eta": Spec(_float, Interval(0, 1)),
    "gamma": Spec(_float, NONNEG),
    "max_depth": Spec(_int, NONNEG),
    "min_child_weight": Spec(_float, NONNEG),
    "max_delta_step": Spec(_float, NONNEG),
    "subsample": Spec(_float, UNIT),
    "colsample_bytree": Spec(_float, UNIT),
    "colsample_bylevel": Spec(_float, UNIT),
    "colsample_bynode": Spec(_float, UNIT),
    "lambda": Spec(_float, NONNEG),
    "alpha": Spec(_float, NONNEG),
    "base_score": Spec(_float),
    "booster": Spec(_text, ("gbtree", "gblinear", "dart")),
    "tree_method": Spec(_text, ("auto", "exact", "approx", "hist", "gpu_hist")),
    "early_stopping_rounds": Spec(_int, Interval(1)),
    "csv_weights": Spec(_int, Interval(0, 1)),
    "scale_pos_weight": Spec(_float, Interval(0, low_open=True)),
    "seed": Spec(_int),
    "nthread": Spec(_int, Interval(1)),
    "verbosity": Spec(_int, Interval(0, 3)),
    "grow_policy": Spec(_text, ("depthwise", "lossguide")),
    "max_leaves": Spec(_int, NONNEG),
    "max_bin": Spec(_int, NONNEG),
    "sketch_eps": Spec(_float, Interval(0, 1, low_open=True, high_open=True)),
    "sample_type": Spec(_text, ("uniform", "weighted")),
    "normalize_type": Spec(_text, ("tree", "forest")),
    "rate_drop": Spec(_float, Interval(0, 1)),
    "one_drop": Spec(_int, Interval(0, 1)),
    "skip_drop": Spec(_float, Interval(0, 1)),
    "tweedie_variance_power": Spec(_float, Interval(1, 2, low_open=True, high_open=True)),
    "updater": Spec(_text),
    "process_type": Spec(_text, ("default", "update")),
    "refresh_leaf": Spec(_int, Interval(0, 1)),
    "dsplit": Spec(_text, ("row", "col")),
    "predictor": Spec(_text, ("auto", "cpu_predictor", "gpu_predictor")),
    "monotone_constraints": Spec(_text),
    "interaction_constraints": Spec(_text),
    "num_parallel_tree": Spec(_int, Interval(1)),
    "sampling_method": Spec(_text, ("uniform", "gradient_based")),
    "single_precision_histogram": Spec(_text, ("true", "false")),
    "deterministic_histogram": Spec(_text, ("true", "false")),
    "lambda_bias": Spec(_float, Interval(0, 1)),
    "aft_loss_distribution": Spec(_text, ("normal", "logistic", "extreme")),
    "aft_loss_distribution_scale": Spec(_float, Interval(0, low_open=True)),
    "max_cat_to_onehot": Spec(_int, Interval(1)),
    "save_model_on_termination": Spec(_text, ("true", "false")),
    "_kfold": Spec(_int, Interval(2)),
    "_num_cv_round": Spec(_int, Interval(1)),
    "_tuning_objective_metric": Spec(_text),
}
DEFAULTS = {"objective": "reg:squarederror"}


def validate(raw: Mapping[str, str]) -> dict[str, Any]:
    """Parse and check ``raw`` (hyperparameters.json) as the container does; UserError if bad."""
    values: dict[str, Any] = {}
    for name, text in raw.items():
        canonical = ALIASES.get(name, name)
        spec = SPECS.get(canonical)
        if spec is None:
            raise UserError(f"Extraneous hyperparameter found: {name}")
        try:
            value = spec.parse(str(text))
        except ValueError as exc:
            raise UserError(f"Hyperparameter {name}: could not parse value {text!r}") from exc
        _check_allowed(name, value, spec.allowed)
        values[canonical] = value
    if "num_round" not in values:
        raise UserError("Missing required hyperparameter: num_round")
    for name, default in DEFAULTS.items():
        values.setdefault(name, default)
    _check_dependencies(values)
    return values


def _check_allowed(name: str, value: Any, allowed: Interval | tuple[str, ...] | None) -> None:
    if isinstance(allowed, Interval) and value not in allowed:
        raise UserError(f"Hyperparameter {name}: {value} is not in {allowed}")
    if isinstance(allowed, tuple) and value not in allowed:
        raise UserError(f"Hyperparameter {name}: {value} is not in {list(allowed)}")


def _check_dependencies(values: dict[str, Any]) -> None:
    objective = values["objective"]
    if objective.startswith("multi:") and "num_class" not in values:
        raise UserError(f"Require input for parameter num_class for objective {objective}")
    for metric in values.get("eval_metric", []):
        base = metric.split("@", 1)[0]
        if base not in EVAL_METRICS or ("@" in metric and base not in ("error", "ndcg", "map")):
            raise UserError(
                f"Hyperparameter eval_metric: {metric} is not a valid metric; valid metrics: "
                f"{', '.join(EVAL_METRICS)} (and error@t, ndcg@t, map@t)"
            )
        if base == "auc" and not objective.startswith(("binary:", "rank:")):
            raise UserError(
                f"Metric 'auc' can only be applied for classification and ranking problems "
                f"(objective binary:* or rank:*), not {objective}"
            )
    tuning = values.get("_tuning_objective_metric")
    if tuning is not None and not tuning.startswith(("validation:", "train:")):
        raise UserError(f"Hyperparameter _tuning_objective_metric: {tuning} is not a metric name")
