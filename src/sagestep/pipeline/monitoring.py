"""CreateProcessingJob requests of the monitoring stages (``sagestep.monitor`` as a job).

The job runs ``python3 <code>/sagestep/monitor/entry.py <job>`` in the scikit-learn
processing image (pandas, numpy and scipy are there), with sagestep's own package uploaded as
the code input, so the same stage runs locally and on AWS with no custom image. Settings are
Model Monitor's environment variables (``dataset_format``, ``baseline_constraints``, ...).
The job itself always completes (its files are uploaded); the compiled verdict after it fails
the stage on violations when the stage says ``on_violation: fail`` (see monitor_stages).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagestep.pipeline.document import Loc
from sagestep.pipeline.images import image_uri
from sagestep.pipeline.monitor_blocks import Baseline, DataQuality, Dataset, ModelQuality, Monitor
from sagestep.pipeline.requests import Context, Upload

BASE = "/opt/ml/processing"
CODE = f"{BASE}/input/code"
PACKAGE = Path(__file__).resolve().parents[1]  # the sagestep package this config runs with
JOBS = {"baseline": "baseline", "data_quality": "data-quality", "model_quality": "model-quality"}


def dataset_format(data: Dataset) -> str:
    """Model Monitor's ``dataset_format`` JSON for a dataset block."""
    if data.format == "capture":
        value: dict[str, Any] = {"sagemakerCaptureJson": {
            "captureIndexNames": ["endpointInput", "endpointOutput"]}}
    elif data.format == "csv":
        value = {"csv": {"header": data.header, "output_columns_position": "START"}}
    elif data.format == "json":
        value = {"json": {"lines": True}}
    else:
        value = {"parquet": {}}
    return json.dumps(value, separators=(",", ":"))


def _input(name: str, uri: str, local: str | None = None) -> dict[str, Any]:
    return {"InputName": name, "S3Input": {
        "S3Uri": uri, "LocalPath": local or f"{BASE}/input/{name}", "S3DataType": "S3Prefix",
        "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}


def code_uri(ctx: Context) -> str:
    """Where `sagestep register` uploads the sagestep package for monitoring jobs."""
    target = f"s3://{ctx.bucket}/{ctx.pipeline}/code/monitor/sagestep"
    if not any(u.s3_uri == target for u in ctx.uploads):
        ctx.uploads.append(Upload(str(PACKAGE), target, False))
    # The request names the upload's own URI, so a draft run (which moves uploads) finds it.
    return target


def request(stage: str, block: Monitor, ctx: Context, loc: Loc) -> dict[str, Any]:
    """The CreateProcessingJob body (no name) of one monitoring stage."""
    env: dict[str, str] = {"chunk_rows": str(block.chunk_rows), "output_path": f"{BASE}/output"}
    inputs = [_input("code", code_uri(ctx), f"{CODE}/sagestep")]
    if isinstance(block, Baseline):
        inputs.append(_input("dataset", block.dataset.source))
        env.update(_dataset_env(block.dataset, "dataset"))
    elif isinstance(block, DataQuality):
        inputs.append(_input("dataset", block.dataset.source))
        env.update(_dataset_env(block.dataset, "dataset"))
        baseline = block.baseline or "{{ stages.baseline.outputs.result }}"
        inputs.append(_input("baseline", baseline))
        env.update({"baseline_constraints": f"{BASE}/input/baseline/constraints.json",
                    "baseline_statistics": f"{BASE}/input/baseline/statistics.json"})
        if block.categorical_drift_method:
            env["categorical_drift_method"] = block.categorical_drift_method
    elif isinstance(block, ModelQuality):
        env.update(_model_quality_env(block, inputs, ctx, loc))
    env.update(block.environment)
    output = block.output or ctx.run_prefix(stage)
    return {
        "AppSpecification": {
            "ImageUri": block.image or image_uri("sklearn", None, ctx.region),
            "ContainerEntrypoint": ["python3", f"{CODE}/sagestep/monitor/entry.py", JOBS[stage]]},
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "result", "S3Output": {
            "S3Uri": output, "LocalPath": f"{BASE}/output", "S3UploadMode": "EndOfJob"}}]},
        "ProcessingResources": {"ClusterConfig": {
            "InstanceCount": 1, "InstanceType": block.instance_type,
            "VolumeSizeInGB": block.volume_size_gb}},
        "StoppingCondition": {"MaxRuntimeInSeconds": block.max_runtime},
        "Environment": env,
        "RoleArn": ctx.role_arn,
    }


def _dataset_env(data: Dataset, name: str) -> dict[str, str]:
    env = {"dataset_source": f"{BASE}/input/{name}", "dataset_format": dataset_format(data)}
    if data.start_time:
        env["start_time"] = data.start_time
    if data.end_time:
        env["end_time"] = data.end_time
    return env


def _model_quality_env(block: ModelQuality, inputs: list[dict[str, Any]], ctx: Context,
                       loc: Loc) -> dict[str, str]:
    inputs.append(_input("dataset", block.predictions.source))
    inputs.append(_input("ground_truth", block.ground_truth.source))
    env = _dataset_env(block.predictions, "dataset")
    env.update({"ground_truth_source": f"{BASE}/input/ground_truth",
                "ground_truth_format": dataset_format(block.ground_truth),
                "problem_type": block.problem_type,
                "inference_attribute": block.inference_attribute,
                "ground_truth_attribute": block.ground_truth_attribute,
                "probability_threshold_attribute": str(block.probability_threshold)})
    if block.probability_attribute:
        env["probability_attribute"] = block.probability_attribute
    if block.join_column:
        env["join_column"] = block.join_column
    if block.thresholds:
        env["metric_thresholds"] = json.dumps(block.thresholds, sort_keys=True)
    if block.constraints:
        inputs.append(_input("constraints", block.constraints))
        name = block.constraints.rstrip("/").rsplit("/", 1)[-1]
        env["baseline_constraints"] = f"{BASE}/input/constraints/{name}"
    if not block.thresholds and not block.constraints:
        ctx.problems.add(loc, "model_quality needs thresholds (e.g. {mse: 6.0}) or constraints "
                         "(an S3 URI of a constraints.json)")
    return env
