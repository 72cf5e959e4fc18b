"""The sagestep pipeline config: the typed top level (stages are in ``pipeline.blocks``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

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
)

NAME_PATTERN = r"^[A-Za-z0-9](-*[A-Za-z0-9])*$"


class S3Trigger(Block):
    """Start a run when an object is created under bucket/prefix ending with suffix."""

    bucket: str
    prefix: str = ""
    suffix: str = ""


SCHEDULE_PATTERN = r"^(cron|rate)\(.+\)$"
Expression = Annotated[str, StringConstraints(pattern=SCHEDULE_PATTERN)]


class Schedule(Block):
    """An EventBridge schedule: cron(...) or rate(...)."""

    expression: Expression
    name: str | None = None


class Triggers(Block):
    """What starts runs besides `sagestep run`."""

    s3: list[S3Trigger] = Field(default_factory=list)
    schedules: list[Schedule | Expression] = Field(default_factory=list)


class Defaults(Block):
    """Values every stage may use ({{ defaults.<name> }})."""

    region: str = "us-east-1"
    role_arn: str = Field(
        "arn:aws:iam::000000000000:role/sagestep-sagemaker",
        description="SageMaker execution role passed to every job.",
    )
    bucket: str = Field("sagestep", description="Bucket for default input/output locations.")
    topic_arn: str | None = Field(None, description="SNS topic for notifications.")


class Stages(Block):
    """The stages, in canonical order; an absent stage does not run."""

    preprocessing: Processing | None = None
    training: Training | None = None
    tuning: Tuning | None = None
    evaluation: Evaluation | None = None
    gate: Gate | None = None
    approval: Approval | None = None
    register_: Register | None = Field(None, alias="register")
    create_model: CreateModel | None = None
    deploy: Deploy | None = None
    batch_transform: BatchTransform | None = None
    postprocessing: Processing | None = None
    notify: Notify | None = None


class PipelineConfig(Block):
    """One pipeline (use case): which stages run and with what parameters."""

    pipeline: str = Field(
        alias="name", min_length=1, max_length=63, pattern=NAME_PATTERN,
        description="Pipeline name: letters, digits and hyphens.",
    )
    description: str = ""
    defaults: Defaults = Field(default_factory=Defaults)  # type: ignore[arg-type]
    triggers: Triggers = Field(default_factory=Triggers)
    stages: Stages = Field(default_factory=lambda: Stages.model_validate({}))
