"""Typed stage blocks of a sagestep pipeline config (high-level fields or a raw request).

Every stage accepts ``request:``: an exact SageMaker API request body, passed through (and
checked against botocore's model). Otherwise the high-level fields build that request.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

Scalar = str | int | float | bool
Request = dict[str, Any]


def doc(default: Any = ..., text: str = "", example: Any = None, **kwargs: Any) -> Any:
    """A documented field: ``text`` and ``example`` land in the schema (`sagestep schema`).

    A callable ``default`` (``dict``, a block class, a lambda) is a default factory.
    """
    if callable(default):
        return Field(default_factory=default, description=text, examples=[example], **kwargs)
    return Field(default, description=text, examples=[example], **kwargs)


class Block(BaseModel):
    """A config block: unknown keys are errors (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Stage(Block):
    """Fields every stage has."""

    run: StrictBool = doc(True, "Run this stage (true/false); false keeps the block but skips it.",
                          False)
    request: Request | None = doc(
        None, "Raw SageMaker API request body, passed through as it is (the high-level fields "
        "are then ignored); checked against botocore's model.",
        {"ProcessingJobName": "{{ run.execution_name }}-prep"},
    )


class RetryPolicy(Block):
    """Extra attempts when a job fails (capacity, internal errors, flaky code).

    Throttling and capacity errors of the SageMaker API itself are always retried.
    """

    max_attempts: int = doc(1, "Attempts after the first failure.", 2, ge=0, le=9)
    interval_seconds: int = doc(60, "Seconds before the first retry.", 120, ge=1, le=3600)
    backoff_rate: float = doc(2.0, "Each further wait is the previous one times this.", 1.5,
                              ge=1.0, le=10.0)


class Job(Stage):
    """A stage that runs a SageMaker job."""

    retry: RetryPolicy | None = doc(None, "Retry the job when it fails.", {"max_attempts": 2})


class Container(Job):
    """Image and resources of a job."""

    image: str | None = doc(None, "Container image URI (overrides framework).",
                            "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-image:1")
    framework: Literal["sklearn", "xgboost"] | None = doc(
        None, "Framework container that runs `script` (script mode).", "sklearn"
    )
    framework_version: str | None = doc(
        None, "Framework container version: 1.2-1 (sklearn), 1.7-1 (xgboost).", "1.2-1")
    instance_type: str = doc("ml.m5.large", "SageMaker instance type of the job.", "ml.m5.xlarge")
    instance_count: int = doc(1, "Number of instances.", 1, ge=1, le=100)
    volume_size_gb: int = doc(30, "Storage volume per instance, in GB.", 50, ge=1, le=16384)
    max_runtime: int = doc(3600, "MaxRuntimeInSeconds: the job is stopped after this long.",
                           7200, ge=1, le=2419200)
    environment: dict[str, str] = doc(dict, "Environment variables of the container.",
                                      {"LOG_LEVEL": "INFO"})
    script: str | None = doc(None, "Entry point script (a file in source_dir).", "prepare.py")
    source_dir: str | None = doc(
        None, "Directory with the script: an s3:// URI, or a local path (relative to the "
        "config file) uploaded by `sagestep register`.", "scripts"
    )


class ProcessingInput(Block):
    """An S3 input of a processing job."""

    name: str = doc(..., "Input name (ProcessingInputs[].InputName).", "raw")
    source: str = doc(..., "S3 URI (placeholders allowed).", "{{ trigger.uri }}")
    destination: str | None = doc(None, "Local path; default /opt/ml/processing/input/<name>",
                                  "/opt/ml/processing/input/raw")


class ProcessingOutput(Block):
    """An S3 output of a processing job."""

    name: str = doc(..., "Output name; later stages read it as "
                    "{{ stages.<stage>.outputs.<name> }}.", "train")
    source: str | None = doc(None, "Local path; default /opt/ml/processing/output/<name>",
                             "/opt/ml/processing/output/train")
    destination: str | None = doc(
        None, "S3 URI; default s3://<bucket>/<pipeline>/{{ run.id }}/<stage>/<name>. A URI "
        "naming nothing run-unique ({{ run.id }}, {{ run.execution_name }}, {{ names.* }}) gets "
        "/{{ run.id }} appended, so runs at once never overwrite each other's outputs.",
        "s3://my-bucket/churn/{{ run.id }}/train",
    )


class Processing(Container):
    """preprocessing, evaluation, postprocessing: a processing job."""

    arguments: list[str] = doc(list, "Command-line arguments of the script.",
                               ["--base", "/opt/ml/processing"])
    inputs: list[ProcessingInput] = doc(list, "S3 inputs copied into the container.",
                                        [{"name": "raw", "source": "{{ trigger.uri }}"}])
    outputs: list[ProcessingOutput] = doc(list, "Container folders uploaded to S3 at the end.",
                                          [{"name": "train"}])


class Report(Block):
    """Where the evaluation job writes its metrics report."""

    output: str = doc("evaluation", "Name of the output holding the report.", "evaluation")
    file: str = doc("evaluation.json", "Report file name inside that output (JSON).",
                    "metrics.json")


class Evaluation(Processing):
    """evaluation: a processing job that also gets the model artifact and writes a report."""

    report: Report = doc(Report, "Where the job writes its metrics report (the gate reads it).",
                         {"output": "evaluation", "file": "evaluation.json"})
    model_path: str = doc("/opt/ml/processing/model", "Where the model artifact lands.",
                          "/opt/ml/processing/model")


class Channel(Block):
    """A training input channel."""

    uri: str = doc(..., "S3 URI of the channel's data.",
                   "{{ stages.preprocessing.outputs.train }}")
    content_type: str | None = doc(None, "ContentType of the channel.", "text/csv")
    distribution: Literal["FullyReplicated", "ShardedByS3Key"] = doc(
        "FullyReplicated", "S3DataDistributionType across instances.", "ShardedByS3Key")
    data_type: Literal["S3Prefix", "ManifestFile", "AugmentedManifestFile"] = doc(
        "S3Prefix", "S3DataType: a prefix or a manifest file.", "S3Prefix")


class MetricDefinition(Block):
    """A metric scraped from the job's logs."""

    name: str = doc(..., "Metric name (the gate's and tuning's `metric`).", "validation:auc",
                    alias="Name")
    regex: str = doc(..., "Regex over the job's log; group 1 is the value.",
                     r"validation-auc:([0-9.]+)", alias="Regex")


class Training(Container):
    """training: a training job (built-in algorithm, framework script, or image)."""

    algorithm: Literal["xgboost"] | None = doc(None, "Built-in algorithm.", "xgboost")
    version: str | None = doc(None, "Built-in algorithm version.", "1.7-1")
    hyperparameters: dict[str, Scalar] = doc(
        dict, "Hyperparameters; a built-in algorithm's names and types are checked.",
        {"objective": "binary:logistic", "num_round": 50})
    inputs: dict[str, str | Channel] = doc(
        dict, "Channel name -> S3 URI or {uri, content_type}.",
        {"train": "{{ stages.preprocessing.outputs.train }}"},
    )
    content_type: str | None = doc(None, "Default ContentType of every channel.", "text/csv")
    input_mode: Literal["File", "Pipe", "FastFile"] = doc(
        "File", "TrainingInputMode: how channels reach the container.", "FastFile")
    output_path: str | None = doc(None, "S3OutputPath (default under the bucket).",
                                  "s3://my-bucket/churn/models")
    metric_definitions: list[MetricDefinition] = doc(
        list, "Metrics scraped from the job's log (custom scripts and images).",
        [{"Name": "validation:auc", "Regex": r"validation-auc:([0-9.]+)"}])


class Range(Block):
    """A tuned hyperparameter."""

    type: Literal["integer", "continuous", "categorical"] = doc(
        ..., "Kind of range.", "continuous")
    min: float | None = doc(None, "Lowest value (integer, continuous).", 0.01)
    max: float | None = doc(None, "Highest value (integer, continuous).", 0.3)
    values: list[str] | None = doc(None, "The choices (categorical).", ["gbtree", "dart"])
    scaling: Literal["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"] = doc(
        "Auto", "ScalingType of the search.", "Logarithmic")


class Objective(Block):
    """What tuning optimises."""

    metric: str = doc(..., "Objective metric name, as the training job emits it.",
                      "validation:auc")
    type: Literal["Minimize", "Maximize"] = doc("Minimize", "Direction of the search.", "Maximize")


class Tuning(Job):
    """tuning: a hyperparameter tuning job over the training stage's definition."""

    objective: Objective | None = doc(None, "What tuning optimises.",
                                      {"metric": "validation:auc", "type": "Maximize"})
    parameter_ranges: dict[str, Range] = doc(
        dict, "Hyperparameter name -> range to search.",
        {"eta": {"type": "continuous", "min": 0.01, "max": 0.3}})
    max_jobs: int = doc(4, "Training jobs in total.", 10, ge=1, le=750)
    max_parallel_jobs: int = doc(2, "Training jobs at the same time.", 2, ge=1, le=100)
    strategy: Literal["Bayesian", "Random", "Grid", "Hyperband"] = doc(
        "Bayesian", "Search strategy.", "Random")


Comparison = Literal[
    "less_than", "less_than_or_equal", "greater_than", "greater_than_or_equal",
    "<", "<=", ">", ">=", "min", "max",
]


class Gate(Stage):
    """gate: a threshold on one metric."""

    source: Literal["evaluation", "training"] = doc(
        "evaluation", "Where the metric comes from: the evaluation report or the training job.",
        "training")
    metric: str = doc(..., "Key path in evaluation.json, or a metric the training job emits.",
                      "validation:error")
    threshold: float = doc(..., "The value the metric is compared with.", 0.2)
    comparison: Comparison = doc(
        "less_than_or_equal",
        "Pass when value <op> threshold; 'max' = at most threshold, 'min' = at least.",
        "greater_than_or_equal",
    )
    on_fail: Literal["fail", "stop"] = doc(
        "fail", "When the gate does not pass: fail the run, or stop it as succeeded.", "stop")


class Approval(Stage):
    """approval: automatic, or manual through a task token."""

    mode: Literal["auto", "manual"] = doc(
        "manual", "manual waits for `sagestep approve`/`reject`; auto passes.", "auto")
    message: str = doc("A new model waits for your approval.", "Text sent with the request.",
                       "Churn model ready: check the evaluation report.")
    timeout_hours: int = doc(168, "Fail when nobody answers within this many hours.", 24,
                             ge=1, le=8760)


class Register(Stage):
    """register: a model package in the model registry."""

    model_package_group: str | None = doc(None, "Model package group (default: the pipeline "
                                          "name).", "churn-models")
    description: str = doc("", "Model package description.", "Weekly churn model")
    approval_status: Literal["Approved", "PendingManualApproval", "Rejected"] | None = doc(
        None, "ModelApprovalStatus of the new package (default PendingManualApproval).",
        "Approved")
    image: str | None = doc(None, "Inference image (default: the training image).",
                            "123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1")
    content_types: list[str] = doc(lambda: ["text/csv"], "Request content types the model "
                                   "accepts.", ["text/csv"])
    response_types: list[str] = doc(lambda: ["text/csv"], "Response content types it returns.",
                                    ["application/json"])
    instance_types: list[str] = doc(lambda: ["ml.m5.large"], "Instance types it may be "
                                    "deployed on.", ["ml.m5.large"])


class CreateModel(Stage):
    """create_model: a SageMaker model from the run's artifact."""

    image: str | None = doc(None, "Serving image (default: the training image).",
                            "123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1")
    environment: dict[str, str] = doc(dict, "Environment variables of the serving container.",
                                      {"MODEL_THRESHOLD": "0.5"})
    model_data: str | None = doc(None, "Fixed model.tar.gz when no training runs.",
                                 "s3://my-bucket/models/model.tar.gz")
    script: str | None = doc(None, "Inference script (SAGEMAKER_PROGRAM).", "inference.py")
    source_dir: str | None = doc(None, "Directory with the inference script (s3:// or local).",
                                 "scripts")


class DataCapture(Block):
    """Endpoint data capture (DataCaptureConfig): which payloads to record, where, how often."""

    destination: str = doc(..., "s3:// prefix; records land under "
                           "<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/.",
                           "s3://my-bucket/capture")
    sampling_percentage: int = doc(100, "Share of invocations recorded.", 20, ge=0, le=100)
    mode: Literal["Input", "Output", "InputAndOutput"] = doc(
        "InputAndOutput", "Which payloads are recorded.", "Input")
    csv_content_types: list[str] = doc(lambda: ["text/csv"], "Recorded as CSV text.",
                                       ["text/csv"])
    json_content_types: list[str] = doc(lambda: ["application/json"],
                                        "Recorded as JSON text (others: base64).",
                                        ["application/json"])
    kms_key_id: str | None = doc(None, "KMS key for the capture files.", "alias/capture")


class BatchDataCapture(Block):
    """Batch transform data capture: input/output manifests, optional inference ids."""

    destination: str = doc(..., "s3:// prefix for the input/ and output/ manifests.",
                           "s3://my-bucket/batch-capture")
    generate_inference_id: StrictBool = doc(
        False, "Append an inference id and time to every output line.", True)
    kms_key_id: str | None = doc(None, "KMS key for the manifests.", "alias/capture")


class Deploy(Stage):
    """deploy: create the endpoint, or update it when it exists."""

    endpoint_name: str | None = doc(None, "Endpoint name (default: the pipeline name).",
                                    "churn")
    instance_type: str = doc("ml.m5.large", "Instance type of the endpoint.", "ml.m5.xlarge")
    instance_count: int = doc(1, "Instances behind the endpoint.", 2, ge=1)
    variant_name: str = doc("AllTraffic", "Production variant name.", "AllTraffic")
    wait_seconds: int = doc(30, "Seconds between checks while the endpoint deploys.", 60,
                            ge=1, le=3600)
    data_capture: DataCapture | None = doc(
        None, "Record requests and responses (DataCaptureConfig) for monitoring.",
        {"destination": "s3://my-bucket/capture", "sampling_percentage": 20})
    latest_wins: bool = doc(
        False,
        "Deploy queue policy. Runs deploying to one endpoint wait until it is InService and "
        "update it in trigger order; an update never replaces a later run's model. With "
        "latest_wins a waiting deploy is skipped (and says so) as soon as a later run's "
        "endpoint config exists, so a burst of runs deploys only the newest model.", True)


class BatchTransform(Job):
    """batch_transform: a transform job over the run's model."""

    input: str = doc("", "S3 URI of the data to score.", "s3://my-bucket/churn/to-score/")
    output: str | None = doc(None, "S3 URI for the results (default under the run's prefix); "
                             "one naming nothing run-unique gets /{{ run.id }} appended.",
                             "s3://my-bucket/churn/scored/{{ run.id }}")
    content_type: str = doc("text/csv", "ContentType of the input.", "text/csv")
    split_type: Literal["None", "Line", "RecordIO", "TFRecord"] = doc(
        "Line", "How input files are split into records.", "Line")
    accept: str | None = doc(None, "Accept: content type of the results.", "text/csv")
    assemble_with: Literal["None", "Line"] | None = doc(
        "Line", "How results are joined into output files.", "Line")
    strategy: Literal["MultiRecord", "SingleRecord"] | None = doc(
        None, "BatchStrategy: records per request.", "MultiRecord")
    max_payload_mb: int | None = doc(None, "MaxPayloadInMB of one request.", 6, ge=0, le=100)
    instance_type: str = doc("ml.m5.large", "Instance type of the job.", "ml.m5.xlarge")
    instance_count: int = doc(1, "Number of instances.", 1, ge=1)
    environment: dict[str, str] = doc(dict, "Environment variables of the model container.",
                                      {"LOG_LEVEL": "INFO"})
    input_filter: str | None = doc(None, "DataProcessing.InputFilter (JSONPath).", "$[1:]")
    output_filter: str | None = doc(None, "DataProcessing.OutputFilter (JSONPath).", "$[0,-1]")
    join_source: Literal["Input", "None"] | None = doc(
        None, "DataProcessing.JoinSource: join each result with its input record.", "Input")
    data_capture: BatchDataCapture | None = doc(
        None, "Capture manifests of input and output (DataCaptureConfig).",
        {"destination": "s3://my-bucket/batch-capture", "generate_inference_id": True})


class CustomMessage(Block):
    """Seed 001's custom_notification_config entry."""

    step_name: str = doc(..., "Stage the message is about.", "training")
    step_status: str = doc(..., "Status that sends it.", "Failed")
    step_custom_message: str = doc(..., "The message text.", "Training failed: check the data.")


class Messages(Block):
    """Notification texts; per-stage failure texts override ``failure``."""

    success: str = doc("The pipeline run succeeded.", "Sent when a run succeeds.",
                       "Churn model retrained.")
    failure: str = doc("The pipeline run failed.", "Sent when a run fails.",
                       "Churn pipeline failed.")
    approval: str = doc("A new model waits for your approval.",
                        "Sent when a run waits for approval.", "Please review the churn model.")
    stages: dict[str, str] = doc(dict, "stage -> failure text.",
                                 {"training": "Training failed: check the data."})


class Notify(Stage):
    """notify: SNS messages on success, failure and approval requests."""

    topic_arn: str | None = doc(None, "SNS topic (default: defaults.topic_arn).",
                                "arn:aws:sns:us-east-1:123456789012:mlops")
    messages: Messages = doc(Messages, "Notification texts.",
                             {"success": "Churn model retrained."})
    custom_notification_config: list[CustomMessage] = doc(
        list, "Seed 001's per-stage messages.",
        [{"step_name": "training", "step_status": "Failed",
          "step_custom_message": "Training failed."}])
