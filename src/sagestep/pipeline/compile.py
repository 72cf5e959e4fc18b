"""Compile the ONE generic state machine that runs every pipeline config.

    machine = compile_state_machine(CompileOptions(helper_function="demo-dev-helper"))

Pure and deterministic: no boto3, no environment, no clock. The same JSON runs on the local
engine and deploys to AWS unchanged; which stages run, and with what requests, is data in
the execution input (the rendered config item, see ``sagestep.pipeline.item``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sagestep.asl.rules import ChoiceRule, Retrier
from sagestep.asl.states import State, StateMachine
from sagestep.errors import CompileError
from sagestep.pipeline.control import (
    create_model_stage,
    notify_stage,
    register_stage,
)
from sagestep.pipeline.decisions import approval_stage, gate_stage, tuning_stage
from sagestep.pipeline.deploy import deploy_stage
from sagestep.pipeline.generic import (
    FAILED,
    LAMBDA_ERRORS,
    NOTIFY_SUCCESS,
    SAGEMAKER_ERRORS,
    SUCCEEDED,
    TITLES,
    Policy,
    failure_path,
    job_stage,
    string_is,
)
from sagestep.pipeline.monitor_stages import monitor_stage
from sagestep.pipeline.promote import ENTRY as PROMOTION
from sagestep.pipeline.promote import promotion_stage
from sagestep.pipeline.stages import JOB_STAGES, STAGES

DEFAULT_HELPER = "sagestep-helper"
ORDER = STAGES


@dataclass(frozen=True)
class CompileOptions:
    """What may differ between deployments of the generic machine."""

    helper_function: str = DEFAULT_HELPER
    """Name or ARN of the helper Lambda (``sagestep.pipeline.helper.handler``)."""
    sagemaker_retries: int = 4
    """Retries of SageMaker API errors (throttling, capacity, internal) per stage."""
    job_failure_retries: int = 0
    """Extra attempts when a job itself fails (States.TaskFailed: capacity or script errors)."""


def compile_state_machine(options: CompileOptions | None = None) -> dict[str, Any]:
    """The generic state machine as an ASL dict (deterministic for equal options)."""
    opts = options or CompileOptions()
    if not opts.helper_function:
        raise CompileError("compile: the helper Lambda name is empty; pass helper_function")
    if min(opts.sagemaker_retries, opts.job_failure_retries) < 0 or \
            opts.sagemaker_retries + opts.job_failure_retries > 9:
        # Job names end "-<index>" with two digits reserved: (native attempts) x (10 policy
        # loops) must stay below 100.
        raise CompileError("compile: sagemaker_retries + job_failure_retries must be 0..9")
    policy = _policy(opts)
    entries = {stage: f"{TITLES[stage]}?" for stage in ORDER}
    entries["notify"] = NOTIFY_SUCCESS
    nxt = {
        s: entries[ORDER[i + 1]] if i + 1 < len(ORDER) else SUCCEEDED for i, s in enumerate(ORDER)
    }
    states: list[State] = []
    states += job_stage("preprocessing", _ACTIONS["preprocessing"], policy, nxt["preprocessing"])
    states += monitor_stage("baseline", policy, nxt["baseline"])
    states += job_stage("training", _ACTIONS["training"], policy, nxt["training"])
    states += tuning_stage(policy, nxt["tuning"])
    states += job_stage("evaluation", _ACTIONS["evaluation"], policy, nxt["evaluation"])
    states += gate_stage(policy, nxt["gate"])
    states += approval_stage(policy, nxt["approval"])
    states += register_stage(policy, nxt["register"])
    states += create_model_stage(policy, nxt["create_model"])
    # Promotion (deploy targets in order) runs after deploy, before batch transform.
    states += deploy_stage(policy, PROMOTION)
    states += promotion_stage(policy, nxt["deploy"])
    states += job_stage("batch_transform", _ACTIONS["batch_transform"], policy,
                        nxt["batch_transform"])
    for stage in ("data_quality", "model_quality"):
        states += monitor_stage(stage, policy, nxt[stage])
    states += job_stage("postprocessing", _ACTIONS["postprocessing"], policy, nxt["postprocessing"])
    states += notify_stage(policy)
    # A redriven run re-enters its failed stage here (promotion: from its first target not
    # done, see pipeline.promote). A
    # deploy that created its endpoint config resumes at the endpoint: the config's name is
    # the run's, so creating it again would fail with "already exists".
    config_made = ChoiceRule(and_=(
        string_is("$.failure.Stage", "deploy"),
        ChoiceRule(variable="$.results.endpoint_config", operator="IsPresent", operand=True),
    ), next="Find Endpoint")
    states += failure_path(policy, {**entries, "promotion": PROMOTION}, (config_made,))
    machine = StateMachine(
        comment="sagestep generic pipeline: every stage behind a Choice on $.stages.<stage>.run",
        start_at=entries[ORDER[0]],
        states={s.name: s for s in states},
    )
    return machine.to_dict()


def compile_json(options: CompileOptions | None = None) -> str:
    """The generic state machine as the JSON text Terraform deploys (stable formatting)."""
    return json.dumps(compile_state_machine(options), indent=2) + "\n"


_ACTIONS = {stage: api for stage, (_, _, api) in JOB_STAGES.items()}


def _policy(opts: CompileOptions) -> Policy:
    sagemaker = [
        Retrier(
            error_equals=SAGEMAKER_ERRORS,
            interval_seconds=5,
            max_attempts=opts.sagemaker_retries,
            backoff_rate=2.0,
            max_delay_seconds=120,
        )
    ]
    if opts.job_failure_retries:
        sagemaker.append(
            Retrier(
                error_equals=("States.TaskFailed",),
                interval_seconds=30,
                max_attempts=opts.job_failure_retries,
                backoff_rate=2.0,
            )
        )
    return Policy(
        helper_function=opts.helper_function,
        attempts=opts.sagemaker_retries + opts.job_failure_retries + 1,
        sagemaker=tuple(sagemaker),
        lambda_=(
            Retrier(
                error_equals=LAMBDA_ERRORS, interval_seconds=2, max_attempts=3, backoff_rate=2.0
            ),
        ),
        notify=(
            Retrier(
                error_equals=("States.TaskFailed",),
                interval_seconds=2,
                max_attempts=2,
                backoff_rate=2.0,
            ),
        ),
    )


__all__ = ["FAILED", "CompileOptions", "compile_json", "compile_state_machine"]
