"""Every SageMaker request the shipped example pipelines build passes AWS's validation rules.

The config item holds each stage's request with router placeholders; they are rendered with
stand-in values (a whole-string placeholder stands for an S3 URI) and the job name is added,
then the request goes through the same validator the local SageMaker applies.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sagestep.sagemaker.validation import RequestValidator

EXAMPLES = sorted(p for pattern in ("*/pipeline.yaml", "*/input.yaml")
                  for p in (Path(__file__).parents[2] / "examples").glob(pattern))
OPERATIONS = {
    "preprocessing": ("CreateProcessingJob", "ProcessingJobName"),
    "evaluation": ("CreateProcessingJob", "ProcessingJobName"),
    "postprocessing": ("CreateProcessingJob", "ProcessingJobName"),
    "baseline": ("CreateProcessingJob", "ProcessingJobName"),
    "data_quality": ("CreateProcessingJob", "ProcessingJobName"),
    "model_quality": ("CreateProcessingJob", "ProcessingJobName"),
    "training": ("CreateTrainingJob", "TrainingJobName"),
    "tuning": ("CreateHyperParameterTuningJob", "HyperParameterTuningJobName"),
    "register": ("CreateModelPackage", None),
    "create_model": ("CreateModel", "ModelName"),
    "batch_transform": ("CreateTransformJob", "TransformJobName"),
}
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")


def _render(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _render(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, key) for v in value]
    if isinstance(value, str):
        # a whole-value placeholder stands for what the router puts there: a URI or a name
        if _PLACEHOLDER.fullmatch(value.strip()) and key.endswith(("Uri", "Url", "Path")):
            return "s3://bucket/rendered/value"
        return _PLACEHOLDER.sub("run1", value)
    return value


def _requests(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    from sagestep.pipeline.loader import load_config

    item = load_config(path).item
    out = []
    for stage, block in item["stages"].items():
        if stage in OPERATIONS and block.get("run") and "request" in block:
            operation, name_key = OPERATIONS[stage]
            request = _render(block["request"])
            if name_key:
                request[name_key] = f"{stage.replace('_', '-')}-run1"
            out.append((stage, operation, request))
        if stage == "deploy" and block.get("run") and "endpoint_config" in block:
            config = dict(_render(block["endpoint_config"]), EndpointConfigName="deploy-run1")
            out.append((stage, "CreateEndpointConfig", config))
        if stage == "register" and block.get("run") and "group" in block:
            out.append((stage, "CreateModelPackageGroup", _render(block["group"])))
    return out


@pytest.mark.skipif(not EXAMPLES, reason="no example pipelines in this tree")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_requests_are_valid_for_aws(path: Path) -> None:
    validator = RequestValidator()
    requests = _requests(path)
    assert requests, f"{path} builds no SageMaker request"
    for stage, operation, request in requests:
        try:
            validator.validate(operation, request)
        except Exception as exc:
            pytest.fail(f"{path.parent.name}: stage {stage}: {operation}: {exc}")
