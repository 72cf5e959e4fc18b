"""Selectable inference output of the built-in XGBoost (``SAGEMAKER_INFERENCE_OUTPUT``).

Keys per objective and their meaning follow the container's serve_utils; a key the
objective cannot give is answered as NaN (JSON ``NaN``; empty in CSV). [src: serve_utils.py]
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

_CLASSIFY = ["predicted_label", "labels", "raw_score", "raw_scores"]
VALID_KEYS: dict[str, list[str]] = {
    "reg:squarederror": ["predicted_score"], "reg:logistic": ["predicted_score"],
    "reg:gamma": ["predicted_score"], "reg:tweedie": ["predicted_score"],
    "binary:logistic": _CLASSIFY + ["probability", "probabilities"],
    "binary:logitraw": _CLASSIFY, "binary:hinge": _CLASSIFY, "multi:softmax": _CLASSIFY,
    "multi:softprob": _CLASSIFY + ["probability", "probabilities"],
}


def _label(objective: str, raw: Any) -> Any:
    if objective in ("binary:hinge", "multi:softmax"):
        return float(raw)
    if objective == "binary:logistic":
        return int(raw > 0.5)
    if objective == "binary:logitraw":
        return int(raw > 0)
    return int(np.argmax(raw))


def _pair(raw: Any) -> list[float]:
    return [1.0 - float(raw), float(raw)]


def _extractors(objective: str, num_class: int) -> dict[str, Callable[[Any], Any]]:
    multi = objective == "multi:softprob"
    labels = [0, 1] if objective.startswith("binary:") else list(range(num_class))
    return {
        "predicted_label": lambda raw: _label(objective, raw),
        "labels": lambda raw: labels,
        "probability": lambda raw: float(max(raw)) if multi else float(raw),
        "probabilities": lambda raw: [float(v) for v in raw] if multi else _pair(raw),
        "raw_score": lambda raw: float(max(raw)) if multi else float(raw),
        "raw_scores": lambda raw: [float(v) for v in raw] if multi else _pair(raw),
        "predicted_score": lambda raw: float(raw),
    }


def select(preds: np.ndarray, keys: Sequence[str], objective: str,
           num_class: int) -> list[dict[str, Any]]:
    """One dict of the selected keys per prediction."""
    valid = VALID_KEYS.get(objective)
    if valid is None:
        raise ValueError(f"Objective `{objective}` unsupported for selectable inference predictions.")
    extract = _extractors(objective, num_class)
    return [
        {key: extract[key](raw) if key in valid else math.nan for key in keys} for raw in preds
    ]


def _csv_cell(value: Any) -> str:
    if isinstance(value, list):
        return '"' + json.dumps(value) + '"'
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def encode_selected(preds: np.ndarray, keys: Sequence[str], objective: str, num_class: int,
                    accept: str) -> bytes:
    """The selected predictions as CSV (keys in order), JSON or JSON Lines."""
    rows = select(preds, keys, objective, num_class)
    if accept == "application/json":
        return json.dumps({"predictions": rows}).encode()
    if accept == "application/jsonlines":
        return ("\n".join(json.dumps(r) for r in rows) + "\n").encode()
    return ("\n".join(",".join(_csv_cell(r[k]) for k in keys) for r in rows) + "\n").encode()
