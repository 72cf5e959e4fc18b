"""Build exact SageMaker API requests from the high-level fields of each stage."""

from __future__ import annotations

import os.path
import re
from dataclasses import dataclass, field
from typing import Any

from sagestep.errors import SpecError
from sagestep.pipeline.blocks import (
    BatchTransform,
    Channel,
    Container,
    CreateModel,
    Deploy,
    Evaluation,
    Processing,
    Register,
    Training,
    Tuning,
)
from sagestep.pipeline.document import Loc
from sagestep.pipeline.images import image_uri
from sagestep.pipeline.item import MODEL_DATA
from sagestep.pipeline.problems import Problems

CODE_DIR = "/opt/ml/processing/input/code"


@dataclass(frozen=True)
class Upload:
    """A local directory that `sagestep register` uploads before the config can run."""

    local_path: str
    s3_uri: str
    archive: bool
    """True: upload as one ``sourcedir.tar.gz`` (training script mode); else file by file."""


# Placeholders unique to one run: an output path holding one of them is the run's own.
_RUN_UNIQUE = re.compile(r"\{\{\s*(run\.(id|execution_name)|names\.)|SFN_EXECUTION_ID")


def per_run(uri: str) -> str:
    """``uri`` made unique per run: runs that share a configured output path (a batch of
    uploads) would otherwise overwrite each other's outputs, so ``/{{ run.id }}`` is added
    when the path names nothing run-unique."""
    if _RUN_UNIQUE.search(uri):
        return uri
    return uri.rstrip("/") + "/{{ run.id }}"


@dataclass
class Context:
    """What request builders need besides the stage block."""

    pipeline: str
    region: str
    role_arn: str
    bucket: str
    base_dir: str | None
    problems: Problems
    uploads: list[Upload] = field(default_factory=list)

    def run_prefix(self, stage: str) -> str:
        """Default S3 location of one run's outputs of ``stage``."""
        return f"s3://{self.bucket}/{self.pipeline}/{{{{ run.id }}}}/{stage}"

    def code_uri(self, stage: str, source_dir: str, archive: bool) -> str:
        """S3 URI of a stage's code; local directories are queued for upload."""
        if source_dir.startswith("s3://") or "{{" in source_dir:
            return source_dir
        target = f"s3://{self.bucket}/{self.pipeline}/code/{stage}"
        if archive:
            target += "/sourcedir.tar.gz"
        # A local directory, relative to the config file's folder.
        local = source_dir if os.path.isabs(source_dir) else os.path.join(
            self.base_dir or ".", source_dir)
        self.uploads.append(Upload(os.path.normpath(local), target, archive))
        return target


def container_image(block: Container | Training, ctx: Context, loc: Loc) -> str:
    """The image of a job: explicit, built-in algorithm, or framework container."""
    if block.image:
        return block.image
    algorithm = getattr(block, "algorithm", None)
    try:
        if algorithm:
            return image_uri(algorithm, getattr(block, "version", None) or block.framework_version,
                             ctx.region)
        if block.framework:
            return image_uri(block.framework, block.framework_version, ctx.region)
    except SpecError as exc:
        ctx.problems.add(loc, str(exc))
        return "invalid-image"
    ctx.problems.add(loc, "no image: set image:, framework: (sklearn|xgboost) or algorithm: xgboost")
    return "invalid-image"


def processing(stage: str, block: Processing, ctx: Context, loc: Loc) -> tuple[dict[str, Any], dict[str, str]]:
    """CreateProcessingJob request (no name) and the S3 URI of each output."""
    app: dict[str, Any] = {"ImageUri": container_image(block, ctx, loc)}
    inputs = [_proc_input(i.name, i.source, i.destination or f"/opt/ml/processing/input/{i.name}")
              for i in block.inputs]
    if block.script:
        if not block.source_dir:
            ctx.problems.add((*loc, "source_dir"), "script needs source_dir (the directory holding it)")
        else:
            inputs.append(_proc_input("code", ctx.code_uri(stage, block.source_dir, False), CODE_DIR))
        app["ContainerEntrypoint"] = ["python3", f"{CODE_DIR}/{block.script}"]
    if block.arguments:
        app["ContainerArguments"] = list(block.arguments)
    if isinstance(block, Evaluation):
        inputs.append(_proc_input("model", MODEL_DATA, block.model_path))
    outputs: dict[str, str] = {}
    out_list = []
    for o in block.outputs:
        uri = per_run(o.destination) if o.destination else f"{ctx.run_prefix(stage)}/{o.name}"
        outputs[o.name] = uri
        out_list.append({"OutputName": o.name, "S3Output": {
            "S3Uri": uri, "LocalPath": o.source or f"/opt/ml/processing/output/{o.name}",
            "S3UploadMode": "EndOfJob"}})
    request: dict[str, Any] = {
        "AppSpecification": app,
        "ProcessingResources": {"ClusterConfig": {
            "InstanceCount": block.instance_count, "InstanceType": block.instance_type,
            "VolumeSizeInGB": block.volume_size_gb}},
        "StoppingCondition": {"MaxRuntimeInSeconds": block.max_runtime},
        "RoleArn": ctx.role_arn,
    }
    if inputs:
        request["ProcessingInputs"] = inputs
    if out_list:
        request["ProcessingOutputConfig"] = {"Outputs": out_list}
    if block.environment:
        request["Environment"] = dict(block.environment)
    return request, outputs


def _proc_input(name: str, uri: str, local: str) -> dict[str, Any]:
    return {"InputName": name, "S3Input": {
        "S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated"}}


def training(block: Training, ctx: Context, loc: Loc) -> dict[str, Any]:
    """CreateTrainingJob request (no name)."""
    hyper = {k: _text(v) for k, v in block.hyperparameters.items()}
    if block.script:
        if not (block.framework or block.image):
            ctx.problems.add((*loc, "script"), "script mode needs framework: sklearn|xgboost (or image:)")
        if not block.source_dir:
            ctx.problems.add((*loc, "source_dir"), "script needs source_dir (the directory holding it)")
        else:
            hyper["sagemaker_program"] = block.script
            hyper["sagemaker_submit_directory"] = ctx.code_uri("training", block.source_dir, True)
            hyper.setdefault("sagemaker_region", ctx.region)
    algorithm: dict[str, Any] = {"TrainingImage": container_image(block, ctx, loc),
                                 "TrainingInputMode": block.input_mode}
    if block.metric_definitions:
        algorithm["MetricDefinitions"] = [{"Name": m.name, "Regex": m.regex}
                                          for m in block.metric_definitions]
    if not block.inputs:
        ctx.problems.add((*loc, "inputs"), "training needs at least one input channel "
                         "(e.g. inputs: {train: '{{ stages.preprocessing.outputs.train }}'})")
    request: dict[str, Any] = {
        "AlgorithmSpecification": algorithm,
        "RoleArn": ctx.role_arn,
        "InputDataConfig": [_channel(name, c, block.content_type) for name, c in block.inputs.items()],
        "OutputDataConfig": {"S3OutputPath": block.output_path or ctx.run_prefix("training")},
        "ResourceConfig": {"InstanceType": block.instance_type, "InstanceCount": block.instance_count,
                           "VolumeSizeInGB": block.volume_size_gb},
        "StoppingCondition": {"MaxRuntimeInSeconds": block.max_runtime},
    }
    if hyper:
        request["HyperParameters"] = hyper
    if block.environment:
        request["Environment"] = dict(block.environment)
    return request


def _channel(name: str, spec: str | Channel, default_type: str | None) -> dict[str, Any]:
    c = spec if isinstance(spec, Channel) else Channel(uri=spec)
    out: dict[str, Any] = {"ChannelName": name, "DataSource": {"S3DataSource": {
        "S3DataType": c.data_type, "S3Uri": c.uri, "S3DataDistributionType": c.distribution}}}
    if c.content_type or default_type:
        out["ContentType"] = c.content_type or default_type
    return out


def _text(value: Any) -> str:
    # HyperParameters is a string -> string map in the API.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def tuning(block: Tuning, train: dict[str, Any], ctx: Context, loc: Loc) -> dict[str, Any]:
    """CreateHyperParameterTuningJob request (no name) over the training request."""
    if block.objective is None:
        ctx.problems.add((*loc, "objective"), "tuning needs objective: {metric: <name>, type: Minimize}")
    if not block.parameter_ranges:
        ctx.problems.add((*loc, "parameter_ranges"), "tuning needs at least one parameter range")
    ranges: dict[str, list[dict[str, Any]]] = {}
    for name, r in block.parameter_ranges.items():
        if r.type == "categorical":
            if not r.values:
                ctx.problems.add((*loc, "parameter_ranges", name, "values"), "categorical needs values")
            ranges.setdefault("CategoricalParameterRanges", []).append(
                {"Name": name, "Values": list(r.values or [])})
            continue
        if r.min is None or r.max is None:
            ctx.problems.add((*loc, "parameter_ranges", name), f"{r.type} range needs min and max")
            continue
        cast = int if r.type == "integer" else float
        key = "IntegerParameterRanges" if r.type == "integer" else "ContinuousParameterRanges"
        ranges.setdefault(key, []).append({"Name": name, "MinValue": str(cast(r.min)),
                                           "MaxValue": str(cast(r.max)), "ScalingType": r.scaling})
    static = {k: v for k, v in (train.get("HyperParameters") or {}).items()
              if k not in block.parameter_ranges}
    definition: dict[str, Any] = {k: train[k] for k in ("AlgorithmSpecification", "RoleArn", "InputDataConfig",
                                        "OutputDataConfig", "ResourceConfig", "StoppingCondition",
                                        "VpcConfig", "Environment") if k in train}
    if static:
        definition["StaticHyperParameters"] = static
    objective = block.objective
    return {
        "HyperParameterTuningJobConfig": {
            "Strategy": block.strategy,
            "HyperParameterTuningJobObjective": {
                "Type": objective.type if objective else "Minimize",
                "MetricName": objective.metric if objective else "objective"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": block.max_jobs,
                               "MaxParallelTrainingJobs": block.max_parallel_jobs},
            "ParameterRanges": ranges,
        },
        "TrainingJobDefinition": definition,
    }


def create_model(block: CreateModel, image: str, env: dict[str, str], ctx: Context) -> dict[str, Any]:
    """CreateModel request (no name); the artifact is the run's model."""
    container: dict[str, Any] = {"Image": block.image or image,
                                 "ModelDataUrl": block.model_data or MODEL_DATA}
    environment = {**env, **block.environment}
    if block.script:
        environment["SAGEMAKER_PROGRAM"] = block.script
        if block.source_dir:
            environment["SAGEMAKER_SUBMIT_DIRECTORY"] = ctx.code_uri("create_model", block.source_dir, True)
    if environment:
        container["Environment"] = environment
    return {"PrimaryContainer": container, "ExecutionRoleArn": ctx.role_arn}


def endpoint_config(block: Deploy) -> dict[str, Any]:
    """CreateEndpointConfig request (no name) serving this run's model."""
    request: dict[str, Any] = {"ProductionVariants": [{
        "VariantName": block.variant_name, "ModelName": "{{ names.model }}",
        "InitialInstanceCount": block.instance_count, "InstanceType": block.instance_type,
        "InitialVariantWeight": 1.0}]}
    capture = block.data_capture
    if capture is not None:
        modes = ["Input", "Output"] if capture.mode == "InputAndOutput" else [capture.mode]
        request["DataCaptureConfig"] = {
            "EnableCapture": True, "InitialSamplingPercentage": capture.sampling_percentage,
            "DestinationS3Uri": capture.destination,
            "CaptureOptions": [{"CaptureMode": m} for m in modes],
            "CaptureContentTypeHeader": {"CsvContentTypes": capture.csv_content_types,
                                         "JsonContentTypes": capture.json_content_types},
            **({"KmsKeyId": capture.kms_key_id} if capture.kms_key_id else {})}
    return request


def transform(block: BatchTransform, ctx: Context, loc: Loc) -> dict[str, Any]:
    """CreateTransformJob request (no name) over this run's model."""
    if not block.input:
        ctx.problems.add((*loc, "input"), "batch_transform needs input: the S3 URI to score")
    output: dict[str, Any] = {"S3OutputPath": per_run(block.output) if block.output
                              else ctx.run_prefix("batch_transform")}
    if block.accept:
        output["Accept"] = block.accept
    if block.assemble_with:
        output["AssembleWith"] = block.assemble_with
    request: dict[str, Any] = {
        "ModelName": "{{ names.model }}",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                           "S3Uri": block.input}},
                           "ContentType": block.content_type, "SplitType": block.split_type},
        "TransformOutput": output,
        "TransformResources": {"InstanceType": block.instance_type,
                               "InstanceCount": block.instance_count},
    }
    if block.strategy:
        request["BatchStrategy"] = block.strategy
    if block.max_payload_mb is not None:
        request["MaxPayloadInMB"] = block.max_payload_mb
    if block.environment:
        request["Environment"] = dict(block.environment)
    processing_ = {k: v for k, v in (("InputFilter", block.input_filter),
                                     ("OutputFilter", block.output_filter),
                                     ("JoinSource", block.join_source)) if v}
    if processing_:
        request["DataProcessing"] = processing_
    if block.data_capture is not None:
        capture = block.data_capture
        request["DataCaptureConfig"] = {
            "DestinationS3Uri": capture.destination,
            "GenerateInferenceId": capture.generate_inference_id,
            **({"KmsKeyId": capture.kms_key_id} if capture.kms_key_id else {})}
    return request


def register(block: Register, image: str, report_uri: str | None, approval_runs: bool) -> dict[str, Any]:
    """CreateModelPackage request for this run's model."""
    status = block.approval_status or ("Approved" if approval_runs else "PendingManualApproval")
    request: dict[str, Any] = {
        "ModelPackageGroupName": block.model_package_group or "{{ names.model_package_group }}",
        "ModelApprovalStatus": status,
        "InferenceSpecification": {
            "Containers": [{"Image": block.image or image, "ModelDataUrl": MODEL_DATA}],
            "SupportedContentTypes": list(block.content_types),
            "SupportedResponseMIMETypes": list(block.response_types),
            "SupportedRealtimeInferenceInstanceTypes": list(block.instance_types),
            "SupportedTransformInstanceTypes": list(block.instance_types),
        },
    }
    if block.description:
        request["ModelPackageDescription"] = block.description
    if report_uri:
        request["ModelMetrics"] = {"ModelQuality": {"Statistics": {
            "ContentType": "application/json", "S3Uri": report_uri}}}
    return request
