"""Import seed 002's input.yaml (awslabs/aiops-modules mlops-stepfunctions) as it is.

Each stage is ``{run: bool, input: <raw SageMaker request>}``; stage keys are
``preprocessing, training, evaluation, CreateModel, batchTransform``. The seed's state
machine named the training job after the execution, so model paths read
``.../SFN_EXECUTION_ID/output/model.tar.gz``; sagestep names jobs per attempt, so such a path
becomes the run's model artifact (``{{ state.model_data }}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagestep.pipeline.botocheck import OPERATIONS, operation
from sagestep.pipeline.item import ITEM_VERSION, MODEL_DATA, STAGES
from sagestep.pipeline.problems import Problems

STAGE_KEYS = {"preprocessing": "preprocessing", "training": "training",
              "evaluation": "evaluation", "CreateModel": "create_model",
              "batchTransform": "batch_transform"}
MODEL_SUFFIX = "/SFN_EXECUTION_ID/output/model.tar.gz"


def looks_like(data: Any) -> bool:
    """True for a seed 002 input.yaml."""
    if not isinstance(data, Mapping):
        return False
    staged = [data.get(k) for k in STAGE_KEYS]
    return any(isinstance(s, Mapping) and "input" in s for s in staged)


def import_seed002(data: Mapping[str, Any], problems: Problems, notes: list[str],
                   name: str | None = None) -> dict[str, Any]:
    """The stored item of a seed 002 config."""
    stages: dict[str, dict[str, Any]] = {s: {"run": False} for s in STAGES}
    for key, stage in STAGE_KEYS.items():
        block = data.get(key)
        if block is None:
            continue
        if not isinstance(block, Mapping) or not isinstance(block.get("input"), Mapping):
            problems.add((key,), "expected {run: true|false, input: <SageMaker request>}")
            continue
        run = block.get("run", True)
        if not isinstance(run, bool):
            problems.add((key, "run"), f"run must be true or false, not {run!r}")
            run = False
        request = _known_members(stage, _strip_nulls(dict(block["input"])), key, notes)
        request = _model_paths(request)
        body: dict[str, Any] = {"run": run}
        if stage == "create_model":
            request.pop("ModelName", None)
        if stage == "batch_transform":
            request.setdefault("ModelName", "{{ names.model }}")
        body["request"] = request
        stages[stage] = body
    pipeline = name or str(data.get("model_id") or data.get("app_id") or "seed002")
    return {"name": pipeline, "item_version": ITEM_VERSION, "source": "seed002",
            "description": f"imported from seed 002 input.yaml (app {data.get('app_id', '')})",
            "triggers": {"s3": [], "schedules": []}, "defaults": _defaults(stages),
            "stages": stages}


def _strip_nulls(value: Any) -> Any:
    # The seed writes "Environment: null" etc.; the API takes absent members, not nulls.
    if isinstance(value, Mapping):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _known_members(stage: str, request: dict[str, Any], key: str, notes: list[str]) -> dict[str, Any]:
    members = operation(OPERATIONS[stage]).input_shape.members
    unknown = [k for k in request if k not in members]
    for k in unknown:
        notes.append(f"{key}.input.{k}: not a {OPERATIONS[stage]} parameter; dropped")
    return {k: v for k, v in request.items() if k in members}


def _model_paths(value: Any) -> Any:
    if isinstance(value, str) and value.endswith(MODEL_SUFFIX):
        return MODEL_DATA
    if isinstance(value, Mapping):
        return {k: _model_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_model_paths(v) for v in value]
    return value


def _defaults(stages: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    request = stages["training"].get("request") or stages["preprocessing"].get("request") or {}
    out: dict[str, str] = {}
    if isinstance(request.get("RoleArn"), str):
        out["role_arn"] = request["RoleArn"]
    image = ""
    for key, field in (("AlgorithmSpecification", "TrainingImage"), ("AppSpecification", "ImageUri")):
        spec = request.get(key)
        if isinstance(spec, Mapping) and isinstance(spec.get(field), str):
            image = image or spec[field]
    parts = image.split(".")
    if len(parts) > 4 and parts[1] == "dkr":
        out["region"] = parts[3]
    return out
