"""Metrics of the built-in XGBoost: the published metric definitions and the container's own metrics.

The container publishes ``validation:<metric>`` definitions whose regexes read the XGBoost
evaluation lines (``[3]#011train-rmse:0.1#011validation-rmse:0.2`` once CloudWatch has
rendered the tabs as ``#011``). We publish ``train:<metric>`` too, with the same regex shape,
so ``train:auc`` can be reported and tuned on. Metrics XGBoost lacks (accuracy, f1, r2, ...)
the container computes with scikit-learn; so do we. [src: algorithm_mode/metrics.py]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sagestep.algorithms.xgboost.hyperparameters import CUSTOM_METRICS, EVAL_METRICS

if TYPE_CHECKING:
    import numpy as np

# numpy is imported where it is used: the catalog (and so every CreateTrainingJob in the
# engine worker) imports this module for metric_definitions(), and numpy costs ~0.1 s there.

MAXIMIZE = frozenset({
    "accuracy", "auc", "aucpr", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "map", "ndcg",
    "precision", "r2", "recall", "precision_macro", "precision_micro", "recall_macro",
    "recall_micro",
})
NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"


def metric_regex(channel: str, metric: str) -> str:
    """The regex that reads ``<channel>-<metric>`` from an evaluation log line."""
    return rf".*\[[0-9]+\].*#011{channel}-{re.escape(metric)}:{NUMBER}.*"


def metric_definitions() -> tuple[dict[str, str], ...]:
    """MetricDefinitions AWS attaches to built-in XGBoost jobs (plus train:* ones)."""
    return tuple(
        {"Name": f"{channel}:{metric}", "Regex": metric_regex(channel, metric)}
        for channel in ("validation", "train") for metric in EVAL_METRICS
    )


def objective_direction(metric_name: str) -> str:
    """``Maximize`` or ``Minimize`` for a metric name such as ``validation:auc``."""
    metric = metric_name.split(":", 1)[-1].split("@", 1)[0]
    return "Maximize" if metric in MAXIMIZE else "Minimize"


def _labels(predt: np.ndarray, objective: str) -> np.ndarray:
    if predt.ndim == 2:
        import numpy as np

        return np.asarray(predt.argmax(axis=1))
    if objective.startswith("multi:softmax"):
        return predt.astype(int)
    # logitraw yields margins (decision at 0); the others yield probabilities or 0/1.
    threshold = 0.0 if objective == "binary:logitraw" else 0.5
    return (predt > threshold).astype(int)


def _score(metric: str, labels: np.ndarray, predt: np.ndarray, objective: str) -> float:
    from sklearn import metrics as skm

    if metric == "mse":
        return float(skm.mean_squared_error(labels, predt))
    if metric == "r2":
        return float(skm.r2_score(labels, predt))
    guessed = _labels(predt, objective)
    truth = labels.astype(int)
    scorers: dict[str, Callable[[], Any]] = {
        "accuracy": lambda: skm.accuracy_score(truth, guessed),
        "balanced_accuracy": lambda: skm.balanced_accuracy_score(truth, guessed),
        "f1": lambda: skm.f1_score(truth, guessed, average="binary", zero_division=0),
        "f1_binary": lambda: skm.f1_score(truth, guessed, average="binary", zero_division=0),
        "f1_macro": lambda: skm.f1_score(truth, guessed, average="macro", zero_division=0),
        "precision": lambda: skm.precision_score(truth, guessed, zero_division=0),
        "recall": lambda: skm.recall_score(truth, guessed, zero_division=0),
        "precision_macro": lambda: skm.precision_score(
            truth, guessed, average="macro", zero_division=0),
        "precision_micro": lambda: skm.precision_score(
            truth, guessed, average="micro", zero_division=0),
        "recall_macro": lambda: skm.recall_score(truth, guessed, average="macro", zero_division=0),
        "recall_micro": lambda: skm.recall_score(truth, guessed, average="micro", zero_division=0),
    }
    return float(scorers[metric]())


def split_metrics(requested: Sequence[str]) -> tuple[list[str], list[str]]:
    """(metrics XGBoost computes natively, metrics computed here) in request order."""
    native = [m for m in requested if m not in CUSTOM_METRICS]
    custom = [m for m in requested if m in CUSTOM_METRICS]
    return native, custom


def custom_metric(names: Sequence[str], objective: str) -> Callable[[np.ndarray, Any],
                                                                    list[tuple[str, float]]]:
    """An XGBoost ``custom_metric`` computing ``names`` with scikit-learn."""

    def evaluate(predt: np.ndarray, dmatrix: Any) -> list[tuple[str, float]]:
        labels = dmatrix.get_label()
        return [(name, _score(name, labels, predt, objective)) for name in names]

    return evaluate
