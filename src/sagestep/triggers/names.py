"""Run names: unique per run, deterministic per event, safe for each AWS length limit.

Seed 000 drew its uuid suffix once at import, so a warm Lambda reused names across runs,
and it truncated by keeping the *last* 62 characters (losing the pipeline name). Here the
suffix is a hash of the event's identity (the same event delivered twice gets the same
names, so StartExecution's name is the idempotency key) and truncation shortens the
descriptive head, never the unique tail.

Standard library only: this module ships inside the router Lambda.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html
# (TrainingJobName, ModelName, EndpointConfigName, ...: 63, [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62});
# CreateHyperParameterTuningJob: 32; Step Functions StartExecution name: 80.
JOB_LIMIT = 63
TUNING_LIMIT = 32
EXECUTION_LIMIT = 80
# The compiled state machine appends "-<attempt>" (States.Format with $$.State.RetryCount,
# at most 2 digits) so each retry gets a fresh job name; leave room for it.
ATTEMPT_RESERVE = 3
RUN_ID_LENGTH = 8

# stage key in names -> (short tag used in the name, limit before the attempt reserve)
STAGE_NAMES: dict[str, tuple[str, int]] = {
    "preprocessing": ("prep", JOB_LIMIT),
    "training": ("train", JOB_LIMIT),
    "tuning": ("tune", TUNING_LIMIT),
    "evaluation": ("eval", JOB_LIMIT),
    "model": ("model", JOB_LIMIT),
    "endpoint_config": ("epc", JOB_LIMIT),
    "transform": ("batch", JOB_LIMIT),
    "postprocessing": ("post", JOB_LIMIT),
    "baseline": ("base", JOB_LIMIT),
    "data_quality": ("dq", JOB_LIMIT),
    "model_quality": ("mq", JOB_LIMIT),
}

_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def sanitize(text: str) -> str:
    """Letters, digits and single hyphens, starting and ending with a letter or digit."""
    return _UNSAFE.sub("-", text).strip("-")


def fit(head: str, tail: str, limit: int) -> str:
    """``head-tail`` within ``limit`` characters, shortening the head, never the tail."""
    tail = sanitize(tail)
    room = limit - len(tail) - 1
    if room <= 0:
        return tail[-limit:].lstrip("-") or "x"
    short = sanitize(head)[:room].rstrip("-")
    return f"{short}-{tail}" if short else tail


def run_id(pipeline: str, identity: str) -> str:
    """Eight hex digits, the same for the same (pipeline, event identity)."""
    digest = hashlib.sha256(f"{pipeline}\x00{identity}".encode()).hexdigest()
    return digest[:RUN_ID_LENGTH]


def execution_name(pipeline: str, date: str, rid: str) -> str:
    """``<pipeline>-<yyyymmdd>-<run id>``, at most 80 characters."""
    return fit(pipeline, f"{date.replace('-', '')}-{rid}", EXECUTION_LIMIT)


def endpoint_name(pipeline: str, configured: str | None = None) -> str:
    """The endpoint's stable name: the same every run so deploy updates it in place."""
    return sanitize(configured or pipeline)[:JOB_LIMIT].rstrip("-") or "endpoint"


def deploy_order(when: datetime) -> str:
    """The run's place in the deploy queue: its trigger time to the millisecond, 17 digits."""
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S") + f"{when.microsecond // 1000:03d}"


def run_names(pipeline: str, rid: str, endpoint: str | None = None,
              order: str | None = None) -> dict[str, str]:
    """Per-stage resource names of one run (room left for the attempt suffix).

    With ``order`` (see :func:`deploy_order`) the endpoint config name ends
    ``-<order>-<run id>``: DescribeEndpoint then tells every later deploy which run's model
    the endpoint serves, so deploys to one endpoint never go back to an older run's model.
    """
    names = {
        stage: fit(f"{pipeline}-{tag}", rid, limit - ATTEMPT_RESERVE)
        for stage, (tag, limit) in STAGE_NAMES.items()
    }
    if order is not None:
        tail = f"{order}-{rid}"
        names["endpoint_config"] = fit(f"{pipeline}-epc", tail, JOB_LIMIT - ATTEMPT_RESERVE)
        names["endpoint_config_family"] = names["endpoint_config"][: -len(tail)]
    # Model packages are versioned inside their group, so the group name is stable.
    names["model_package_group"] = sanitize(pipeline)[:JOB_LIMIT].rstrip("-") or "models"
    names["endpoint"] = endpoint_name(pipeline, endpoint)
    return names


def schedule_rule_name(pipeline: str, index: int) -> str:
    """EventBridge rule name for a pipeline's n-th schedule (64 characters max)."""
    return fit(f"sagestep-{pipeline}", f"schedule-{index}", 64)
