"""Import seed 000's DynamoDB item (aws-samples/sagemaker-mlops-reusable-framework) as it is.

The item is DynamoDB-typed JSON (``{"name": {"S": ...}}``, optionally under ``"Item"``) with
``"Y"``/``"N"`` stage flags and the seed's own field names (``image_url``,
``metricdefinitions``, ``hyperparametejobobjective`` [sic], ``model_para``, ...). The
requests built here are the ones the seed's state machine sent, minus its bugs: stable
endpoint name (updated, not recreated), the transform block read from ``transform_para``,
the model taken from tuning's best job when tuning ran, instance counts kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagestep.pipeline.item import ITEM_VERSION, MODEL_DATA, STAGES
from sagestep.pipeline.problems import Problems
from sagestep.pipeline.seed000_shape import TYPES, check, untype

FLAGS = {"training_job": "training", "tuning_job": "tuning", "create_model": "create_model",
         "transform_job": "batch_transform", "postprocessing_job": "postprocessing"}


def looks_like(data: Any) -> bool:
    """True for a DynamoDB-typed item (plain, or ``{"Item": {...}}``)."""
    if isinstance(data, Mapping) and isinstance(data.get("Item"), Mapping):
        data = data["Item"]
    name = data.get("name") if isinstance(data, Mapping) else None
    return isinstance(name, Mapping) and len(name) == 1 and set(name) <= TYPES


def flag(item: Mapping[str, Any], key: str, problems: Problems, prefix: tuple[str, ...] = ()) -> bool:
    """A seed stage flag: "Y"/"N" (also true/false) -> bool; anything else is an error."""
    value = item.get(key, "N")
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("y", "yes", "true"):
        return True
    if text in ("n", "no", "false", ""):
        return False
    problems.add((*prefix, key), f"stage flag must be \"Y\" or \"N\", not {value!r}")
    return False


def import_seed000(data: Mapping[str, Any], problems: Problems, notes: list[str]) -> dict[str, Any]:
    """The stored item of a seed 000 DynamoDB item."""
    wrapped = isinstance(data.get("Item"), Mapping)
    raw = data["Item"] if wrapped else data
    prefix = ("Item",) if wrapped else ()
    plain = untype(raw, prefix, problems)
    shape = check(plain, raw, prefix, problems) if not problems.items else None
    if shape is None:
        return {}
    item: dict[str, Any] = shape.model_dump()
    flags = {k: plain[k] for k in (*FLAGS, "create_endpoint_config", "create_endpoint")
             if plain.get(k) is not None}
    role = str(item.get("sagemaker_role_arn", ""))
    pre = item.get("preprocessing") or {}
    train = item.get("training") or {}
    runs = {stage: flag(flags, key, problems, prefix) for key, stage in FLAGS.items()}
    deploy = flag(flags, "create_endpoint_config", problems, prefix) or flag(
        flags, "create_endpoint", problems, prefix)
    stages: dict[str, dict[str, Any]] = {s: {"run": False} for s in STAGES}
    job_type = str(pre.get("job_type", ""))
    if pre:
        if job_type != "sagemaker-processing":
            notes.append(f"preprocessing.job_type {job_type!r}: only sagemaker-processing runs "
                         "in sagestep; the stage is off (the seed skipped unknown types too)")
        processing = _processing(pre, role)
        stages["preprocessing"] = {"run": job_type == "sagemaker-processing", "request": processing}
        stages["postprocessing"] = {"run": runs["postprocessing"], "request": processing}
    if train:
        stages["training"] = {"run": runs["training"], "request": _training(train, pre, role)}
    if item.get("tuning"):
        stages["tuning"] = {"run": runs["tuning"],
                            "request": _tuning(item["tuning"], train, pre, role)}
    model_env = (item.get("model_para") or {}).get("environment") or {}
    container: dict[str, Any] = {"Image": train.get("image_url", ""), "ModelDataUrl": MODEL_DATA}
    if model_env:
        container["Environment"] = {k: str(v) for k, v in model_env.items()}
    stages["create_model"] = {"run": runs["create_model"],
                              "request": {"PrimaryContainer": container, "ExecutionRoleArn": role}}
    stages["batch_transform"] = {"run": runs["batch_transform"],
                                 "request": _transform(item.get("transform_para") or {}, pre)}
    endpoint = (item.get("endpoint_para") or {}).get("endpoint_name") or item.get("name")
    stages["deploy"] = {"run": deploy, "endpoint_name": str(endpoint), "wait_seconds": 30,
                        "endpoint_config": {"ProductionVariants": [{
                            "VariantName": "AllTraffic", "ModelName": "{{ names.model }}",
                            "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium",
                            "InitialVariantWeight": 1.0}]}}
    return {"name": str(item.get("name", "")), "item_version": ITEM_VERSION, "source": "seed000",
            "description": f"imported from seed 000 item (project {item.get('project', '')})",
            "triggers": {"s3": [], "schedules": []},
            "defaults": {"region": str(item.get("region") or "us-east-1"), "role_arn": role,
                         "bucket": _bucket(str(train.get("output_path", "")))},
            "stages": stages}


def _processing(pre: Mapping[str, Any], role: str) -> dict[str, Any]:
    def s3_in(name: str, uri: str, local: str) -> dict[str, Any]:
        return {"InputName": name, "S3Input": {
            "S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix", "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated"}}

    outputs = [{"OutputName": f"{kind}_data", "S3Output": {
        "S3Uri": str(pre[f"output_{kind}_data_path"]), "LocalPath": f"/opt/ml/processing/{kind}",
        "S3UploadMode": "EndOfJob"}}
        for kind in ("train", "test", "result") if pre.get(f"output_{kind}_data_path")]
    app: dict[str, Any] = {"ImageUri": str(pre.get("image_url", ""))}
    if pre.get("container_entrypoint"):
        app["ContainerEntrypoint"] = [str(a) for a in pre["container_entrypoint"]]
    if pre.get("container_argument"):
        app["ContainerArguments"] = [str(a) for a in pre["container_argument"]]
    request: dict[str, Any] = {
        "AppSpecification": app,
        "ProcessingInputs": [
            s3_in("code", str(pre.get("source_code_path", "")), "/opt/ml/processing/input/code"),
            s3_in("entrypoint", str(pre.get("entrypoint_path", "")),
                  "/opt/ml/processing/input/entrypoint"),
        ],
        "ProcessingResources": {"ClusterConfig": {
            "InstanceCount": int(pre.get("instance_count", 1)),
            "InstanceType": str(pre.get("instance_type", "ml.m5.large")), "VolumeSizeInGB": 30}},
        "StoppingCondition": {"MaxRuntimeInSeconds": 7200},
        "RoleArn": role,
    }
    if outputs:
        request["ProcessingOutputConfig"] = {"Outputs": outputs}
    return request


def _channels(pre: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"ChannelName": kind, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": str(pre[f"output_{kind}_data_path"]),
        "S3DataDistributionType": "FullyReplicated"}}}
        for kind in ("train", "test") if pre.get(f"output_{kind}_data_path")]


def _algorithm(block: Mapping[str, Any], image: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"TrainingImage": image, "TrainingInputMode": "File"}
    metrics = block.get("metricdefinitions") or []
    if metrics:
        spec["MetricDefinitions"] = [{"Name": str(m["Name"]), "Regex": str(m["Regex"])}
                                     for m in metrics]
    return spec


def _resources(block: Mapping[str, Any]) -> dict[str, Any]:
    return {"InstanceType": str(block.get("instance_type", "ml.m5.large")),
            "InstanceCount": int(block.get("instance_count", 1)), "VolumeSizeInGB": 30}


def _training(train: Mapping[str, Any], pre: Mapping[str, Any], role: str) -> dict[str, Any]:
    return {
        "AlgorithmSpecification": _algorithm(train, str(train.get("image_url", ""))),
        "RoleArn": role,
        "HyperParameters": {k: str(v) for k, v in (train.get("hyperparameters") or {}).items()},
        "InputDataConfig": _channels(pre),
        "OutputDataConfig": {"S3OutputPath": str(train.get("output_path", ""))},
        "ResourceConfig": _resources(train),
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }


def _tuning(tune: Mapping[str, Any], train: Mapping[str, Any], pre: Mapping[str, Any],
            role: str) -> dict[str, Any]:
    objective = tune.get("hyperparametejobobjective") or tune.get("hyperparameterjobobjective") or {}
    return {
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": str(objective.get("Type", "Minimize")),
                                                 "MetricName": str(objective.get("MetricName", ""))},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": int(tune.get("max_jobs", 10)),
                               "MaxParallelTrainingJobs": int(tune.get("max_parallel_jobs", 5))},
            "ParameterRanges": tune.get("parameterranges") or {},
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": _algorithm(tune, str(train.get("image_url", ""))),
            "RoleArn": role,
            "StaticHyperParameters": {k: str(v) for k, v in
                                      (tune.get("statichyperparameters") or {}).items()},
            "InputDataConfig": _channels(pre),
            "OutputDataConfig": {"S3OutputPath": str(tune.get("output_path", ""))},
            "ResourceConfig": _resources(tune),
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        },
    }


def _transform(para: Mapping[str, Any], pre: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ModelName": "{{ names.model }}",
        "TransformInput": {"DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": str(pre.get("output_test_data_path", ""))}},
            "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": str(para.get("output", "")), "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m4.xlarge", "InstanceCount": 1},
        "DataProcessing": {"InputFilter": "$[1:]"},
    }


def _bucket(uri: str) -> str:
    return uri[len("s3://"):].split("/", 1)[0] if uri.startswith("s3://") else "sagestep"
