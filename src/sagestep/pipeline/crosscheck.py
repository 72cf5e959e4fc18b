"""Rules that span stages, checked on the stored item (whatever format it came from)."""

from __future__ import annotations

import json
from typing import Any

from sagestep.pipeline.item import MODEL_DATA
from sagestep.pipeline.problems import Problems

MODEL_USERS = ("evaluation", "register", "create_model")


def cross_check(stages: dict[str, dict[str, Any]], problems: Problems) -> None:
    """Record every cross-stage inconsistency of ``stages`` in ``problems``."""
    runs = {name: bool(body.get("run")) for name, body in stages.items()}
    _gate(stages, runs, problems)
    model_source = runs["training"] or runs["tuning"] or bool(
        stages["create_model"].get("model_data"))
    for stage in MODEL_USERS:
        body = stages[stage]
        if runs[stage] and _mentions(body, MODEL_DATA) and not model_source:
            problems.add(("stages", stage, "run"),
                         f"{stage} needs the run's model, but neither training nor tuning runs; "
                         "turn one on or set stages.create_model.model_data to a model.tar.gz URI")
    for stage in ("deploy", "batch_transform"):
        if runs[stage] and _mentions(stages[stage], "names.model") and not runs["create_model"]:
            problems.add(("stages", stage, "run"),
                         f"{stage} serves this run's model, but create_model does not run; "
                         "set stages.create_model.run: true")
    if runs["tuning"] and not stages["tuning"].get("request"):
        problems.add(("stages", "tuning"), "tuning has no request (add a training block)")
    for stage, path in (("create_model", ("PrimaryContainer", "Image")),
                        ("register", ("InferenceSpecification", "Containers", 0, "Image"))):
        if runs[stage] and stages[stage].get("request") and not _get(stages[stage]["request"], path):
            problems.add(("stages", stage, "image"),
                         f"{stage} has no image (no training stage to take it from): set image:")


def _gate(stages: dict[str, dict[str, Any]], runs: dict[str, bool], problems: Problems) -> None:
    gate = stages["gate"]
    if not runs["gate"]:
        return
    if gate.get("source") == "evaluation":
        if not runs["evaluation"]:
            problems.add(("stages", "gate", "source"),
                         "the gate reads evaluation.json but evaluation does not run; set "
                         "stages.evaluation.run: true, or gate source: training")
    elif not (runs["training"] or runs["tuning"]):
        problems.add(("stages", "gate", "source"),
                     "the gate reads training metrics but neither training nor tuning runs")


def _mentions(body: dict[str, Any], text: str) -> bool:
    return text.replace(" ", "") in json.dumps(body).replace(" ", "")


def _get(value: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and len(value) > part else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value
