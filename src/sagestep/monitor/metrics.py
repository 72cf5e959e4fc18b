"""Model-quality metrics in Model Monitor's statistics shape (reference §3.2, §3.3).

Every scalar is ``{"value": x, "standard_deviation": s}``; the standard deviation comes from 5
resamples of 80 % and only with at least 200 samples, otherwise it is the string ``"NaN"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sagestep.errors import MonitorError

PROBLEM_TYPES = ("Regression", "BinaryClassification", "MulticlassClassification")
SECTION = {"Regression": "regression", "BinaryClassification": "binary_classification",
           "MulticlassClassification": "multiclass_classification"}
# Error metrics should stay low; everything else (accuracy, r2, ...) should stay high.
LOWER_IS_BETTER = {"mse", "rmse", "mae", "false_positive_rate", "false_negative_rate"}
MIN_FOR_STD = 200
RESAMPLES = 5


def regression(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """mae, mse, rmse and r2."""
    err = p - y
    mse = float(np.mean(err**2))
    var = float(np.var(y))
    return {"mae": float(np.mean(np.abs(err))), "mse": mse, "rmse": float(np.sqrt(mse)),
            "r2": 1 - mse / var if var > 0 else 0.0}


def _f_beta(precision: float, recall: float, beta: float) -> float:
    b2 = beta * beta
    denom = b2 * precision + recall
    return (1 + b2) * precision * recall / denom if denom > 0 else 0.0


def binary(y: np.ndarray, label: np.ndarray, score: np.ndarray | None) -> dict[str, float]:
    """Accuracy, precision, recall, f-scores, rates and AUC of 0/1 labels."""
    tp = float(np.sum((label == 1) & (y == 1)))
    tn = float(np.sum((label == 0) & (y == 0)))
    fp = float(np.sum((label == 1) & (y == 0)))
    fn = float(np.sum((label == 0) & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    out = {"accuracy": (tp + tn) / y.size, "precision": precision, "recall": recall,
           "true_positive_rate": recall, "true_negative_rate": tn / (tn + fp) if tn + fp else 0.0,
           "false_positive_rate": fp / (fp + tn) if fp + tn else 0.0,
           "false_negative_rate": fn / (fn + tp) if fn + tp else 0.0,
           "f0_5": _f_beta(precision, recall, 0.5), "f1": _f_beta(precision, recall, 1.0),
           "f2": _f_beta(precision, recall, 2.0)}
    out["auc"] = auc(y, score if score is not None else label.astype(float))
    return out


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney with tied ranks averaged)."""
    from scipy.stats import rankdata

    positives = int(np.sum(y == 1))
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def multiclass(y: np.ndarray, label: np.ndarray) -> dict[str, float]:
    """Accuracy and support-weighted precision, recall and f-scores."""
    classes, support = np.unique(y, return_counts=True)
    weights = support / support.sum()
    per: dict[str, list[float]] = {"p": [], "r": [], "f0_5": [], "f1": [], "f2": []}
    for cls in classes:
        tp = float(np.sum((label == cls) & (y == cls)))
        predicted = float(np.sum(label == cls))
        actual = float(np.sum(y == cls))
        p = tp / predicted if predicted else 0.0
        r = tp / actual if actual else 0.0
        per["p"].append(p)
        per["r"].append(r)
        for beta, key in ((0.5, "f0_5"), (1.0, "f1"), (2.0, "f2")):
            per[key].append(_f_beta(p, r, beta))

    def w(key: str) -> float:
        return float(np.dot(weights, per[key]))

    return {"accuracy": float(np.mean(label == y)), "weighted_precision": w("p"),
            "weighted_recall": w("r"), "weighted_f0_5": w("f0_5"), "weighted_f1": w("f1"),
            "weighted_f2": w("f2")}


def confusion(y: np.ndarray, label: np.ndarray) -> dict[str, dict[str, int]]:
    """``{actual: {predicted: count}}`` with string keys."""
    classes = sorted({str(v) for v in np.concatenate([y, label]).tolist()})
    ys, ls = y.astype(str), label.astype(str)
    return {a: {p: int(np.sum((ys == a) & (ls == p))) for p in classes} for a in classes}


def statistics(problem: str, y: np.ndarray, prediction: np.ndarray,
               score: np.ndarray | None = None) -> dict[str, Any]:
    """The model-quality ``statistics.json`` for one problem type."""
    compute: Callable[[np.ndarray], dict[str, float]]
    if problem == "Regression":
        compute = lambda idx: regression(y[idx], prediction[idx])  # noqa: E731
    elif problem == "BinaryClassification":
        compute = lambda idx: binary(y[idx], prediction[idx],  # noqa: E731
                                     None if score is None else score[idx])
    else:
        compute = lambda idx: multiclass(y[idx], prediction[idx])  # noqa: E731
    values = compute(np.arange(y.size))
    spread = _spread(compute, y.size)
    block: dict[str, Any] = {k: {"value": v, "standard_deviation": spread.get(k, "NaN")}
                             for k, v in values.items()}
    if problem != "Regression":
        block["confusion_matrix"] = confusion(y, prediction)
    return {"version": 0.0, "dataset": {"item_count": int(y.size)},
            f"{SECTION[problem]}_metrics": block}


def _spread(compute: Callable[[np.ndarray], dict[str, float]], n: int) -> dict[str, float]:
    if n < MIN_FOR_STD:
        return {}
    rng = np.random.default_rng(0)  # fixed: the same data writes the same file
    runs = [compute(rng.choice(n, size=int(n * 0.8), replace=False)) for _ in range(RESAMPLES)]
    return {k: float(np.std([r[k] for r in runs])) for k in runs[0]}


def suggest_constraints(stats: dict[str, Any], problem: str) -> dict[str, Any]:
    """Constraints at the baseline's own values: errors may not grow, scores may not drop."""
    block = stats[f"{SECTION[problem]}_metrics"]
    out = {}
    for name, metric in block.items():
        if not isinstance(metric, dict) or "value" not in metric or metric["value"] != metric["value"]:
            continue
        op = "GreaterThanThreshold" if name in LOWER_IS_BETTER else "LessThanThreshold"
        out[name] = {"threshold": metric["value"], "comparison_operator": op}
    return {"version": 0.0, f"{SECTION[problem]}_constraints": out}


def compare(stats: dict[str, Any], constraints: dict[str, Any]) -> list[dict[str, str]]:
    """Model-quality violations: each metric beyond its threshold in the operator's direction."""
    violations = []
    for section in SECTION.values():
        metrics = stats.get(f"{section}_metrics", {})
        for name, rule in constraints.get(f"{section}_constraints", {}).items():
            metric = metrics.get(name)
            if not isinstance(metric, dict):
                continue
            value, threshold = float(metric["value"]), float(rule["threshold"])
            op = rule.get("comparison_operator", "")
            broken = {"GreaterThanThreshold": value > threshold,
                      "LessThanThreshold": value < threshold}.get(op)
            if broken is None:
                raise MonitorError(f"constraints.json: {section}_constraints.{name}: comparison_operator "
                                 f"{op!r} is not GreaterThanThreshold or LessThanThreshold")
            if broken:
                violations.append({"metric_name": name, "constraint_check_type": op,
                                   "description": f"Metric {name} with {value:.6g} was {op} "
                                                  f"'{threshold}'"})
    return violations
