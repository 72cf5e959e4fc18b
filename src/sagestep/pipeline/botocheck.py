"""Check SageMaker requests against botocore's service model, placeholders included.

A request that passes here has the shape AWS accepts. Placeholders (``{{ run.id }}``) stand
in for values known only per run: a string that is exactly one placeholder in a non-string
slot (an integer, say) is replaced by a sample of that slot's type before checking.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, Shape
from botocore.validate import ParamValidator

from sagestep.pipeline.problems import Problems

PLACEHOLDER = re.compile(r"^\s*\{\{\s*[A-Za-z_][A-Za-z0-9_.\-]*\s*\}\}\s*$")
ANY_PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_.\-]*\s*\}\}")
_SAMPLES = {"integer": 1, "long": 1, "float": 1.0, "double": 1.0, "boolean": True}

OPERATIONS = {
    "preprocessing": "CreateProcessingJob",
    "evaluation": "CreateProcessingJob",
    "postprocessing": "CreateProcessingJob",
    "baseline": "CreateProcessingJob",
    "data_quality": "CreateProcessingJob",
    "model_quality": "CreateProcessingJob",
    "training": "CreateTrainingJob",
    "tuning": "CreateHyperParameterTuningJob",
    "batch_transform": "CreateTransformJob",
    "create_model": "CreateModel",
    "deploy": "CreateEndpointConfig",
    "register": "CreateModelPackage",
}
"""Stage -> the SageMaker operation its stored request is for."""


@lru_cache(maxsize=1)
def _sagemaker() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def operation(name: str) -> OperationModel:
    """botocore's model of SageMaker operation ``name``."""
    model: OperationModel = _sagemaker().operation_model(name)
    return model


def check_request(op: str, request: Mapping[str, Any], omitted: tuple[str, ...] = ()) -> list[str]:
    """Problems of ``request`` for SageMaker ``op`` (empty when valid).

    ``omitted`` names required members the state machine fills in (the job name).
    """
    shape = operation(op).input_shape
    sample = _fill(dict(request), shape)
    for member in omitted:
        if member not in sample:
            sample[member] = "run1"
    report = ParamValidator().validate(sample, shape)
    if report.has_errors():
        return [line.strip() for line in report.generate_report().splitlines()
                if line.strip() and not line.startswith("Parameter validation failed")]
    sample = _stand_in(sample)
    return _constraints(op, sample) + container_path_problems(op, sample)


def container_path_problems(op: str, request: Mapping[str, Any]) -> list[str]:
    """Paths inside the container that leave /opt/ml (processing: /opt/ml/processing).

    The local SageMaker refuses these requests with ValidationException; saying so at
    validate time keeps ``..`` from passing here and failing at run time.
    """
    from sagestep.sagemaker.confine import (
        CONTAINER_BASE,
        PROCESSING_BASE,
        ContainerPathError,
        container_path,
        path_segment,
    )

    checks: list[tuple[Any, str, str | None]] = []  # (value, where, base; None: a name)
    if op == "CreateProcessingJob":
        for i, item in enumerate(request.get("ProcessingInputs") or [], start=1):
            if isinstance(item, dict) and isinstance(item.get("S3Input"), dict):
                checks.append((item["S3Input"].get("LocalPath"),
                               f"ProcessingInputs[{i}].S3Input.LocalPath", PROCESSING_BASE))
        outputs = (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        for i, item in enumerate(outputs, start=1):
            if isinstance(item, dict) and isinstance(item.get("S3Output"), dict):
                checks.append((item["S3Output"].get("LocalPath"),
                               f"ProcessingOutputConfig.Outputs[{i}].S3Output.LocalPath",
                               PROCESSING_BASE))
    definition = request.get("TrainingJobDefinition") if op == "CreateHyperParameterTuningJob" \
        else request if op == "CreateTrainingJob" else None
    if isinstance(definition, dict):
        for i, channel in enumerate(definition.get("InputDataConfig") or [], start=1):
            if isinstance(channel, dict):
                checks.append((channel.get("ChannelName"), f"InputDataConfig[{i}].ChannelName",
                               None))
        if isinstance(definition.get("CheckpointConfig"), dict):
            checks.append((definition["CheckpointConfig"].get("LocalPath", "/opt/ml/checkpoints"),
                           "CheckpointConfig.LocalPath", CONTAINER_BASE))
    problems = []
    for value, where, base in checks:
        try:
            if base is None:
                path_segment(value, where)
            else:
                container_path(value, base, where)
        except ContainerPathError as exc:
            problems.append(str(exc))
    return problems


def _constraints(op: str, sample: dict[str, Any]) -> list[str]:
    # What ParamValidator skips and the SageMaker API enforces: enums, patterns, lengths,
    # ranges (the local SageMaker's validator, worded as AWS words it).
    from botocore.exceptions import ClientError

    from sagestep.sagemaker.validation import RequestValidator

    try:
        RequestValidator().validate(op, sample)
    except ClientError as exc:
        message = str(exc.response.get("Error", {}).get("Message", exc))
        return [part.strip() for part in message.split(";") if part.strip()]
    return []


def _stand_in(value: Any, key: str = "") -> Any:
    """Placeholders replaced by what the router or the machine puts there."""
    if isinstance(value, str):
        if PLACEHOLDER.match(value) and key.endswith(("Uri", "Url", "Path")):
            return "s3://bucket/run1"
        return ANY_PLACEHOLDER.sub("run1", value)
    if isinstance(value, dict):
        return {k: _stand_in(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_stand_in(v, key) for v in value]
    return value


def validate_stage(stage: str, request: Mapping[str, Any], loc: tuple[str | int, ...],
                   problems: Problems, omitted: tuple[str, ...] = ()) -> None:
    """Record in ``problems`` every way ``request`` deviates from the API shape."""
    for message in check_request(OPERATIONS[stage], request, omitted):
        problems.add(loc, f"not a valid {OPERATIONS[stage]} request: {message}")


def _fill(value: Any, shape: Shape | None) -> Any:
    if shape is None:
        return value
    if isinstance(value, str) and PLACEHOLDER.match(value) and shape.type_name in _SAMPLES:
        return _SAMPLES[shape.type_name]
    if isinstance(value, dict) and shape.type_name == "structure":
        members = shape.members
        return {k: _fill(v, members.get(k)) for k, v in value.items()}
    if isinstance(value, dict) and shape.type_name == "map":
        return {k: _fill(v, shape.value) for k, v in value.items()}
    if isinstance(value, list) and shape.type_name == "list":
        return [_fill(v, shape.member) for v in value]
    return value
