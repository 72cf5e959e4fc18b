"""The sagestep pipeline config: the typed top level (stages are in ``pipeline.blocks``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from sagestep.pipeline.blocks import (
    Approval,
    BatchTransform,
    Block,
    CreateModel,
    Deploy,
    Evaluation,
    Gate,
    Notify,
    Processing,
    Register,
    Training,
    Tuning,
    doc,
)
from sagestep.pipeline.monitor_blocks import Baseline, DataQuality, ModelQuality
from sagestep.pipeline.promotion_blocks import Promotion

NAME_PATTERN = r"^[A-Za-z0-9](-*[A-Za-z0-9])*$"


class S3Trigger(Block):
    """Start a run when an object is created under bucket/prefix ending with suffix."""

    bucket: str = doc(..., "Bucket to watch.", "my-bucket")
    prefix: str = doc("", "Key prefix the object must start with.", "churn/input/")
    suffix: str = doc("", "Key suffix the object must end with.", ".csv")


SCHEDULE_PATTERN = r"^(cron|rate)\(.+\)$"
Expression = Annotated[str, StringConstraints(pattern=SCHEDULE_PATTERN)]


class Schedule(Block):
    """An EventBridge schedule: cron(...) or rate(...)."""

    expression: Expression = doc(..., "cron(...) or rate(...), as EventBridge writes them.",
                                 "cron(0 6 ? * MON *)")
    name: str | None = doc(None, "Schedule name (default: derived from the pipeline).",
                           "weekly-retrain")


class ModelPackageTrigger(Block):
    """Start a run when a model package of a group changes to one of these statuses."""

    group: str = doc(..., "Model package group to watch.", "churn", min_length=1)
    status: list[Literal["Approved", "Rejected", "PendingManualApproval"]] = doc(
        lambda: ["Approved"], "Approval statuses that start a run. Approved: the run deploys "
        "exactly the package the event names ({{ model_package.arn }}, .model_data, .image). "
        "Rejected: it deploys the newest version still Approved (rollback by registry).",
        ["Approved"])


class Triggers(Block):
    """What starts runs besides `sagestep run`."""

    s3: list[S3Trigger] = doc(list, "Start a run for each matching object created in S3.",
                              [{"bucket": "my-bucket", "prefix": "churn/input/"}])
    schedules: list[Schedule | Expression] = doc(
        list, "Start runs on a schedule: expressions or {expression, name}.",
        ["rate(7 days)"])
    model_package: list[ModelPackageTrigger] = doc(
        list, "Start a run when a package of a model package group is approved "
        "(\"SageMaker Model Package State Change\"); each change starts one run. With "
        "status Rejected too, rejecting a version redeploys the newest version still Approved.",
        [{"group": "churn", "status": ["Approved"]}])


class Defaults(Block):
    """Values every stage may use ({{ defaults.<name> }})."""

    region: str = doc("us-east-1", "AWS region of the jobs and images.", "eu-west-1")
    role_arn: str = doc(
        "arn:aws:iam::000000000000:role/sagestep-sagemaker",
        "SageMaker execution role passed to every job.",
        "arn:aws:iam::123456789012:role/sagemaker-execution",
    )
    bucket: str = doc("sagestep", "Bucket for default input/output locations.", "my-bucket")
    topic_arn: str | None = doc(None, "SNS topic for notifications.",
                                "arn:aws:sns:us-east-1:123456789012:mlops")


class Stages(Block):
    """The stages, in canonical order; an absent stage does not run."""

    preprocessing: Processing | None = doc(None, "A processing job before training.",
                                           {"framework": "sklearn", "script": "prepare.py"})
    baseline: Baseline | None = doc(
        None, "Data-quality baseline (statistics.json, constraints.json) of a dataset.",
        {"dataset": {"source": "{{ stages.preprocessing.outputs.train }}"}})
    training: Training | None = doc(None, "A training job.", {"algorithm": "xgboost"})
    tuning: Tuning | None = doc(None, "A hyperparameter tuning job over the training stage.",
                                {"max_jobs": 4})
    evaluation: Evaluation | None = doc(None, "A processing job that scores the model.",
                                        {"script": "evaluate.py"})
    gate: Gate | None = doc(None, "Stop or fail the run unless a metric passes a threshold.",
                            {"metric": "validation:error", "threshold": 0.2})
    approval: Approval | None = doc(None, "Wait for a person to approve the model.",
                                    {"mode": "manual"})
    register_: Register | None = doc(None, "Register a model package.", {},
                                     alias="register")
    create_model: CreateModel | None = doc(None, "Create a SageMaker model from the artifact.",
                                           {})
    deploy: Deploy | None = doc(None, "Create or update an endpoint.", {"endpoint_name": "churn"})
    batch_transform: BatchTransform | None = doc(
        None, "Score a dataset with the model.", {"input": "s3://my-bucket/to-score/"})
    data_quality: DataQuality | None = doc(
        None, "Check new data against a baseline (constraint_violations.json).",
        {"dataset": {"source": "s3://my-bucket/capture/churn/AllTraffic/", "format": "capture"}})
    model_quality: ModelQuality | None = doc(
        None, "Merge predictions with ground truth and check the metrics.",
        {"problem_type": "Regression", "thresholds": {"mse": 6.0}})
    postprocessing: Processing | None = doc(None, "A processing job at the end.",
                                            {"script": "report.py"})
    notify: Notify | None = doc(None, "SNS messages on success, failure and approval.", {})


class ModelSource(Block):
    """The model a run uses when it trains none: the latest Approved package of a group."""

    model_package_group: str = doc(
        ..., "The router looks up the newest Approved package when a run starts; stages read "
        "it as {{ model_package.model_data }}, .image, .baseline, .arn.", "churn",
        min_length=1)


class PipelineConfig(Block):
    """One pipeline (use case): which stages run and with what parameters."""

    pipeline: str = doc(
        ..., "Pipeline name: letters, digits and hyphens.", "churn-model",
        alias="name", min_length=1, max_length=63, pattern=NAME_PATTERN,
    )
    description: str = doc("", "What the pipeline is for.", "Weekly churn model.")
    defaults: Defaults = doc(Defaults, "Values every stage may use.", {"bucket": "my-bucket"})
    triggers: Triggers = doc(Triggers, "S3 uploads and schedules that start runs.",
                             {"schedules": ["rate(7 days)"]})
    stages: Stages = doc(lambda: Stages.model_validate({}),
                         "The stages; an absent stage does not run.",
                         {"training": {"algorithm": "xgboost"}})
    model_source: ModelSource | None = doc(
        None, "The model a run uses when it trains none: the newest Approved package of a "
        "group, looked up when the run starts.", {"model_package_group": "churn"})
    promotion: Promotion | None = doc(
        None, "Deploy the run's model to targets in order (staging, then prod) with smoke "
        "tests, approvals and guardrails.",
        {"targets": [{"name": "staging", "endpoint_name": "churn-staging"}]})
