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

from sagestep.spec.problems import Problems

PLACEHOLDER = re.compile(r"^\s*\{\{\s*[A-Za-z_][A-Za-z0-9_.\-]*\s*\}\}\s*$")
_SAMPLES = {"integer": 1, "long": 1, "float": 1.0, "double": 1.0, "boolean": True}

OPERATIONS = {
    "preprocessing": "CreateProcessingJob",
    "evaluation": "CreateProcessingJob",
    "postprocessing": "CreateProcessingJob",
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
            sample[member] = "x"
    report = ParamValidator().validate(sample, shape)
    if not report.has_errors():
        return []
    return [line.strip() for line in report.generate_report().splitlines()
            if line.strip() and not line.startswith("Parameter validation failed")]


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
