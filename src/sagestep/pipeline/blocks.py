"""Typed stage blocks of a sagestep pipeline config (high-level fields or a raw request).

Every stage accepts ``request:``: an exact SageMaker API request body, passed through (and
checked against botocore's model). Otherwise the high-level fields build that request.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

Scalar = str | int | float | bool
Request = dict[str, Any]


class Block(BaseModel):
    """A config block: unknown keys are errors (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Stage(Block):
    """Fields every stage has."""

    run: StrictBool = Field(True, description="Run this stage (true/false).")
    request: Request | None = Field(
        None, description="Raw SageMaker API request body, passed through as it is."
    )


class RetryPolicy(Block):
    """Extra attempts when a job fails (capacity, internal errors, flaky code).

    Throttling and capacity errors of the SageMaker API itself are always retried.
    """

    max_attempts: int = Field(1, ge=0, le=9, description="Attempts after the first failure.")
    interval_seconds: int = Field(60, ge=1, le=3600)
    backoff_rate: float = Field(2.0, ge=1.0, le=10.0)


class Job(Stage):
    """A stage that runs a SageMaker job."""

    retry: RetryPolicy | None = Field(None, description="Retry the job when it fails.")


class Container(Job):
    """Image and resources of a job."""

    image: str | None = Field(None, description="Container image URI (overrides framework).")
    framework: Literal["sklearn", "xgboost"] | None = Field(
        None, description="Framework container in script mode."
    )
    framework_version: str | None = Field(None, description="e.g. 1.2-1 (sklearn), 1.7-1 (xgboost)")
    instance_type: str = "ml.m5.large"
    instance_count: int = Field(1, ge=1, le=100)
    volume_size_gb: int = Field(30, ge=1, le=16384)
    max_runtime: int = Field(3600, ge=1, le=2419200, description="MaxRuntimeInSeconds")
    environment: dict[str, str] = Field(default_factory=dict)
    script: str | None = Field(None, description="Entry point script (file in source_dir).")
    source_dir: str | None = Field(
        None, description="Directory with the script: an s3:// URI, or a local path uploaded "
        "by `sagestep register`."
    )


class ProcessingInput(Block):
    """An S3 input of a processing job."""

    name: str
    source: str = Field(description="S3 URI (placeholders allowed).")
    destination: str | None = Field(None, description="Local path; default /opt/ml/processing/input/<name>")


class ProcessingOutput(Block):
    """An S3 output of a processing job."""

    name: str
    source: str | None = Field(None, description="Local path; default /opt/ml/processing/output/<name>")
    destination: str | None = Field(
        None, description="S3 URI; default s3://<bucket>/<pipeline>/{{ run.id }}/<stage>/<name>"
    )


class Processing(Container):
    """preprocessing, evaluation, postprocessing: a processing job."""

    arguments: list[str] = Field(default_factory=list)
    inputs: list[ProcessingInput] = Field(default_factory=list)
    outputs: list[ProcessingOutput] = Field(default_factory=list)


class Report(Block):
    """Where the evaluation job writes its metrics report."""

    output: str = Field("evaluation", description="Name of the output holding the report.")
    file: str = "evaluation.json"


class Evaluation(Processing):
    """evaluation: a processing job that also gets the model artifact and writes a report."""

    report: Report = Field(default_factory=Report)  # type: ignore[arg-type]
    model_path: str = Field("/opt/ml/processing/model", description="Where the model lands.")


class Channel(Block):
    """A training input channel."""

    uri: str
    content_type: str | None = None
    distribution: Literal["FullyReplicated", "ShardedByS3Key"] = "FullyReplicated"
    data_type: Literal["S3Prefix", "ManifestFile", "AugmentedManifestFile"] = "S3Prefix"


class MetricDefinition(Block):
    """A metric scraped from the job's logs."""

    name: str = Field(alias="Name")
    regex: str = Field(alias="Regex")


class Training(Container):
    """training: a training job (built-in algorithm, framework script, or image)."""

    algorithm: Literal["xgboost"] | None = Field(None, description="Built-in algorithm.")
    version: str | None = Field(None, description="Built-in algorithm version, e.g. 1.7-1.")
    hyperparameters: dict[str, Scalar] = Field(default_factory=dict)
    inputs: dict[str, str | Channel] = Field(
        default_factory=dict, description="Channel name -> S3 URI or {uri, content_type}."
    )
    content_type: str | None = Field(None, description="Default ContentType of every channel.")
    input_mode: Literal["File", "Pipe", "FastFile"] = "File"
    output_path: str | None = Field(None, description="S3OutputPath (default under the bucket).")
    metric_definitions: list[MetricDefinition] = Field(default_factory=list)


class Range(Block):
    """A tuned hyperparameter."""

    type: Literal["integer", "continuous", "categorical"]
    min: float | None = None
    max: float | None = None
    values: list[str] | None = None
    scaling: Literal["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"] = "Auto"


class Objective(Block):
    """What tuning optimises."""

    metric: str
    type: Literal["Minimize", "Maximize"] = "Minimize"


class Tuning(Job):
    """tuning: a hyperparameter tuning job over the training stage's definition."""

    objective: Objective | None = None
    parameter_ranges: dict[str, Range] = Field(default_factory=dict)
    max_jobs: int = Field(4, ge=1, le=750)
    max_parallel_jobs: int = Field(2, ge=1, le=100)
    strategy: Literal["Bayesian", "Random", "Grid", "Hyperband"] = "Bayesian"


Comparison = Literal[
    "less_than", "less_than_or_equal", "greater_than", "greater_than_or_equal",
    "<", "<=", ">", ">=", "min", "max",
]


class Gate(Stage):
    """gate: a threshold on one metric."""

    source: Literal["evaluation", "training"] = "evaluation"
    metric: str = Field(description="Key path in evaluation.json, or a training metric name.")
    threshold: float
    comparison: Comparison = Field(
        "less_than_or_equal",
        description="Pass when value <op> threshold; 'max' = at most threshold, 'min' = at least.",
    )
    on_fail: Literal["fail", "stop"] = "fail"


class Approval(Stage):
    """approval: automatic, or manual through a task token."""

    mode: Literal["auto", "manual"] = "manual"
    message: str = "A new model waits for your approval."
    timeout_hours: int = Field(168, ge=1, le=8760, description="Fail when nobody answers.")


class Register(Stage):
    """register: a model package in the model registry."""

    model_package_group: str | None = None
    description: str = ""
    approval_status: Literal["Approved", "PendingManualApproval", "Rejected"] | None = None
    image: str | None = None
    content_types: list[str] = Field(default_factory=lambda: ["text/csv"])
    response_types: list[str] = Field(default_factory=lambda: ["text/csv"])
    instance_types: list[str] = Field(default_factory=lambda: ["ml.m5.large"])


class CreateModel(Stage):
    """create_model: a SageMaker model from the run's artifact."""

    image: str | None = Field(None, description="Serving image (default: the training image).")
    environment: dict[str, str] = Field(default_factory=dict)
    model_data: str | None = Field(None, description="Fixed model.tar.gz when no training runs.")
    script: str | None = Field(None, description="Inference script (SAGEMAKER_PROGRAM).")
    source_dir: str | None = None


class Deploy(Stage):
    """deploy: create the endpoint, or update it when it exists."""

    endpoint_name: str | None = None
    instance_type: str = "ml.m5.large"
    instance_count: int = Field(1, ge=1)
    variant_name: str = "AllTraffic"
    wait_seconds: int = Field(30, ge=1, le=3600)


class BatchTransform(Job):
    """batch_transform: a transform job over the run's model."""

    input: str = ""
    output: str | None = None
    content_type: str = "text/csv"
    split_type: Literal["None", "Line", "RecordIO", "TFRecord"] = "Line"
    accept: str | None = None
    assemble_with: Literal["None", "Line"] | None = "Line"
    strategy: Literal["MultiRecord", "SingleRecord"] | None = None
    max_payload_mb: int | None = Field(None, ge=0, le=100)
    instance_type: str = "ml.m5.large"
    instance_count: int = Field(1, ge=1)
    environment: dict[str, str] = Field(default_factory=dict)
    input_filter: str | None = None
    output_filter: str | None = None
    join_source: Literal["Input", "None"] | None = None


class CustomMessage(Block):
    """Seed 001's custom_notification_config entry."""

    step_name: str
    step_status: str
    step_custom_message: str


class Messages(Block):
    """Notification texts; per-stage failure texts override ``failure``."""

    success: str = "The pipeline run succeeded."
    failure: str = "The pipeline run failed."
    approval: str = "A new model waits for your approval."
    stages: dict[str, str] = Field(default_factory=dict, description="stage -> failure text")


class Notify(Stage):
    """notify: SNS messages on success, failure and approval requests."""

    topic_arn: str | None = None
    messages: Messages = Field(default_factory=Messages)
    custom_notification_config: list[CustomMessage] = Field(default_factory=list)
