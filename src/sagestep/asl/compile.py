"""Compile the ONE generic state machine that runs every pipeline config.

    machine = compile_state_machine(CompileOptions(helper_function="demo-dev-helper"))

Pure and deterministic: no boto3, no environment, no clock. The same JSON runs on the local
engine and deploys to AWS unchanged; which stages run, and with what requests, is data in
the execution input (the rendered config item, see ``sagestep.spec.item``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sagestep.asl.arns import Pattern, integration_arn
from sagestep.asl.generic import (
    FAILED,
    LAMBDA_ERRORS,
    NOTIFY_SUCCESS,
    SAGEMAKER_ERRORS,
    SUCCEEDED,
    TITLES,
    Policy,
    catch_all,
    failed,
    failure_path,
    job_stage,
    publish,
    render,
    request_task,
    run_choice,
    sdk,
    string_is,
    wait,
)
from sagestep.asl.rules import Catcher, ChoiceRule, Retrier
from sagestep.asl.states import Choice, Pass, State, StateMachine, Succeed, Task
from sagestep.errors import CompileError

DEFAULT_HELPER = "sagestep-helper"
ORDER = (
    "preprocessing",
    "training",
    "tuning",
    "evaluation",
    "gate",
    "approval",
    "register",
    "create_model",
    "deploy",
    "batch_transform",
    "postprocessing",
    "notify",
)


@dataclass(frozen=True)
class CompileOptions:
    """What may differ between deployments of the generic machine."""

    helper_function: str = DEFAULT_HELPER
    """Name or ARN of the helper Lambda (``sagestep.triggers.helper.handler``)."""
    sagemaker_retries: int = 4
    """Retries of SageMaker API errors (throttling, capacity, internal) per stage."""
    job_failure_retries: int = 0
    """Extra attempts when a job itself fails (States.TaskFailed: capacity or script errors)."""


def compile_state_machine(options: CompileOptions | None = None) -> dict[str, Any]:
    """The generic state machine as an ASL dict (deterministic for equal options)."""
    opts = options or CompileOptions()
    if not opts.helper_function:
        raise CompileError("compile: the helper Lambda name is empty; pass helper_function")
    if not 0 <= opts.sagemaker_retries <= 10 or not 0 <= opts.job_failure_retries <= 10:
        # The job name suffix is "-<RetryCount>"; names leave room for two digits.
        raise CompileError("compile: retries must be between 0 and 10 (job names reserve 2 digits)")
    policy = _policy(opts)
    entries = {stage: f"{TITLES[stage]}?" for stage in ORDER}
    entries["notify"] = NOTIFY_SUCCESS
    nxt = {
        s: entries[ORDER[i + 1]] if i + 1 < len(ORDER) else SUCCEEDED for i, s in enumerate(ORDER)
    }
    states: list[State] = []
    for stage in ("preprocessing", "training"):
        states += job_stage(stage, _ACTIONS[stage], policy, nxt[stage])
    states += _tuning(policy, nxt["tuning"])
    states += job_stage("evaluation", _ACTIONS["evaluation"], policy, nxt["evaluation"])
    states += _gate(policy, nxt["gate"])
    states += _approval(policy, nxt["approval"])
    states += _register(policy, nxt["register"])
    states += _create_model(policy, nxt["create_model"])
    states += _deploy(policy, nxt["deploy"])
    for stage in ("batch_transform", "postprocessing"):
        states += job_stage(stage, _ACTIONS[stage], policy, nxt[stage])
    states += _notify(policy)
    states += failure_path(policy)
    machine = StateMachine(
        comment="sagestep generic pipeline: every stage behind a Choice on $.stages.<stage>.run",
        start_at=entries[ORDER[0]],
        states={s.name: s for s in states},
    )
    return machine.to_dict()


def compile_json(options: CompileOptions | None = None) -> str:
    """The generic state machine as the JSON text Terraform deploys (stable formatting)."""
    return json.dumps(compile_state_machine(options), indent=2) + "\n"


_ACTIONS = {
    "preprocessing": "createProcessingJob",
    "training": "createTrainingJob",
    "tuning": "createHyperParameterTuningJob",
    "evaluation": "createProcessingJob",
    "batch_transform": "createTransformJob",
    "postprocessing": "createProcessingJob",
}


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


def _tuning(policy: Policy, nxt: str) -> list[State]:
    states = job_stage("tuning", _ACTIONS["tuning"], policy, nxt, then="Tuning Best Job")
    # The tuning job's describe names its best training job but not that job's model
    # artifact, which create model / register / evaluation need.
    best = Task(
        name="Tuning Best Job",
        resource=sdk("describeTrainingJob"),
        parameters={"TrainingJobName.$": "$.results.tuning.BestTrainingJob.TrainingJobName"},
        result_path="$.results.best_training",
        retry=policy.sagemaker,
        catch=catch_all("tuning"),
        next=nxt,
    )
    return [*states, best]


def _gate(policy: Policy, nxt: str) -> list[State]:
    read = Task(
        name="Gate Read Report",
        resource=integration_arn("aws-sdk:s3", "getObject"),
        parameters={"Bucket.$": "$.stages.gate.report.bucket", "Key.$": "$.stages.gate.report.key"},
        result_selector={"Body.$": "$.Body"},
        result_path="$.work.report",
        retry=policy.notify,
        catch=catch_all("gate"),
        next="Gate Check",
    )
    check = Task(
        name="Gate Check",
        resource=integration_arn("lambda", "invoke"),
        parameters={
            "FunctionName": policy.helper_function,
            "Payload": {"action": "gate", "state.$": "$"},
        },
        result_selector={
            k + ".$": f"$.Payload.{k}"
            for k in ("passed", "metric", "value", "threshold", "comparison", "summary")
        },
        result_path="$.results.gate",
        retry=policy.lambda_,
        catch=catch_all("gate"),
        next="Gate Passed?",
    )
    verdict = Choice(
        name="Gate Passed?",
        choices=(
            ChoiceRule(
                variable="$.results.gate.passed", operator="BooleanEquals", operand=True, next=nxt
            ),
            string_is("$.stages.gate.on_fail", "stop", NOTIFY_SUCCESS),
        ),
        default="Gate Rejected",
    )
    rejected = Pass(
        name="Gate Rejected",
        parameters={
            "Stage": "gate",
            "Error": "Sagestep.GateFailed",
            "Cause.$": "$.results.gate.summary",
            "Message.$": "$.stages.notify.messages.failure.gate",
        },
        result_path="$.failure",
        next="Notify Failure?",
    )
    source = Choice(
        name="Gate Source?",
        choices=(string_is("$.stages.gate.source", "evaluation", "Gate Read Report"),),
        default="Gate Check",
    )
    return [
        run_choice("gate", "Gate Source?", nxt),
        source,
        read,
        check,
        verdict,
        rejected,
        failed("gate"),
    ]


def _approval(policy: Policy, nxt: str) -> list[State]:
    mode = Choice(
        name="Approval Mode?",
        choices=(string_is("$.stages.approval.mode", "manual", "Notify Approval?"),),
        default=nxt,
    )
    announce = Choice(
        name="Notify Approval?",
        choices=(
            ChoiceRule(
                variable="$.stages.notify.run",
                operator="BooleanEquals",
                operand=True,
                next="Notify Approval",
            ),
        ),
        default="Approval",
    )
    message = (
        "States.Format('{} Pipeline {}, execution {} waits for approval: sagestep approve {}"
        " (or sagestep reject {})', $.stages.approval.message, $.pipeline, "
        "$.run.execution_name, $.run.execution_name, $.run.execution_name)"
    )
    notify = publish(
        "Notify Approval",
        message,
        "sagestep: approval requested",
        policy,
        "Approval",
        None,
        "Approval",
    )
    # The token waits in the execution history (TaskScheduled parameters) where
    # `sagestep approve/reject` finds it; SendTaskFailure(error=Sagestep.Rejected) rejects.
    wait_for = Task(
        name="Approval",
        resource=integration_arn("lambda", "invoke", Pattern.WAIT_FOR_TASK_TOKEN),
        parameters={
            "FunctionName": policy.helper_function,
            "Payload": {
                "action": "approval",
                "token.$": "$$.Task.Token",
                "pipeline.$": "$.pipeline",
                "execution.$": "$$.Execution.Id",
                "execution_name.$": "$.run.execution_name",
                "message.$": "$.stages.approval.message",
            },
        },
        result_path="$.results.approval",
        catch=catch_all("approval"),
        next=nxt,
    )
    return [
        run_choice("approval", "Approval Mode?", nxt),
        mode,
        announce,
        notify,
        wait_for,
        failed("approval"),
    ]


def _register(policy: Policy, nxt: str) -> list[State]:
    find = Task(
        name="Find Model Package Group",
        resource=sdk("describeModelPackageGroup"),
        parameters={"ModelPackageGroupName.$": "$.stages.register.group.ModelPackageGroupName"},
        result_selector={"ModelPackageGroupArn.$": "$.ModelPackageGroupArn"},
        result_path="$.work.group",
        retry=policy.sagemaker,
        # A missing group is an error of the SDK call (its exact name is not documented).
        catch=(
            Catcher(
                error_equals=("States.ALL",),
                result_path="$.work.group_missing",
                next="Create Model Package Group",
            ),
        ),
        next="Render Register",
    )
    create = Task(
        name="Create Model Package Group",
        resource=sdk("createModelPackageGroup"),
        input_path="$.stages.register.group",
        result_path="$.work.group",
        retry=policy.sagemaker,
        catch=catch_all("register"),
        next="Render Register",
    )
    return [
        run_choice("register", "Find Model Package Group", nxt),
        find,
        create,
        render("Render Register", "register", policy, "Register Model"),
        request_task(
            "Register Model",
            sdk("createModelPackage"),
            policy,
            "register",
            nxt,
            "$.results.register",
        ),
        failed("register"),
    ]


def _create_model(policy: Policy, nxt: str) -> list[State]:
    return [
        run_choice("create_model", "Render Create Model", nxt),
        render("Render Create Model", "create_model", policy, "Create Model"),
        request_task(
            "Create Model",
            integration_arn("sagemaker", "createModel"),
            policy,
            "create_model",
            nxt,
            "$.results.create_model",
        ),
        failed("create_model"),
    ]


def _deploy(policy: Policy, nxt: str) -> list[State]:
    endpoint = {
        "EndpointName.$": "$.names.endpoint",
        "EndpointConfigName.$": "$.names.endpoint_config",
    }
    status = {"EndpointName.$": "$.EndpointName", "EndpointStatus.$": "$.EndpointStatus"}

    def deploy_task(name: str, action: str) -> Task:
        return Task(
            name=name,
            resource=integration_arn("sagemaker", action),
            parameters=endpoint,
            result_path="$.results.deploy",
            retry=policy.sagemaker,
            catch=catch_all("deploy"),
            next="Check Endpoint",  # often ready at once locally; poll only if not
        )

    find = Task(
        name="Find Endpoint",
        resource=sdk("describeEndpoint"),
        parameters={"EndpointName.$": "$.names.endpoint"},
        result_selector=status,
        result_path="$.work.endpoint",
        # seed 004's create-or-update: DescribeEndpoint fails when there is none yet.
        catch=(
            Catcher(
                error_equals=("States.ALL",),
                result_path="$.work.endpoint_missing",
                next="Create Endpoint",
            ),
        ),
        next="Update Endpoint",
    )
    check = Task(
        name="Check Endpoint",
        resource=sdk("describeEndpoint"),
        parameters={"EndpointName.$": "$.names.endpoint"},
        result_selector=status,
        result_path="$.work.endpoint",
        retry=policy.sagemaker,
        catch=catch_all("deploy"),
        next="Endpoint Ready?",
    )
    broken = tuple(
        string_is("$.work.endpoint.EndpointStatus", s)
        for s in ("Failed", "OutOfService", "UpdateRollbackFailed")
    )
    ready = Choice(
        name="Endpoint Ready?",
        choices=(
            string_is("$.work.endpoint.EndpointStatus", "InService", nxt),
            ChoiceRule(or_=broken, next="Endpoint Broken"),
        ),
        default="Wait For Endpoint",
    )
    broken_state = Pass(
        name="Endpoint Broken",
        parameters={
            "Stage": "deploy",
            "Error": "Sagestep.EndpointFailed",
            "Cause.$": "States.Format('endpoint {} is {}', $.work.endpoint.EndpointName, "
            "$.work.endpoint.EndpointStatus)",
            "Message.$": "$.stages.notify.messages.failure.deploy",
        },
        result_path="$.failure",
        next="Notify Failure?",
    )
    return [
        run_choice("deploy", "Render Endpoint Config", nxt),
        render("Render Endpoint Config", "deploy", policy, "Create Endpoint Config"),
        request_task(
            "Create Endpoint Config",
            integration_arn("sagemaker", "createEndpointConfig"),
            policy,
            "deploy",
            "Find Endpoint",
            "$.results.endpoint_config",
        ),
        find,
        deploy_task("Update Endpoint", "updateEndpoint"),
        deploy_task("Create Endpoint", "createEndpoint"),
        wait("Wait For Endpoint", "$.stages.deploy.wait_seconds", "Check Endpoint"),
        check,
        ready,
        broken_state,
        failed("deploy"),
    ]


def _notify(policy: Policy) -> list[State]:
    message = (
        "States.Format('{} Pipeline {}, execution {} succeeded.', "
        "$.stages.notify.messages.success, $.pipeline, $.run.execution_name)"
    )
    return [
        Choice(
            name=NOTIFY_SUCCESS,
            choices=(
                ChoiceRule(
                    variable="$.stages.notify.run",
                    operator="BooleanEquals",
                    operand=True,
                    next="Notify Success",
                ),
            ),
            default=SUCCEEDED,
        ),
        Task(
            name="Notify Success",
            resource=integration_arn("sns", "publish"),
            parameters={
                "TopicArn.$": "$.stages.notify.topic_arn",
                "Subject": "sagestep: pipeline run succeeded",
                "Message.$": message,
            },
            result_path="$.results.notify",
            retry=policy.notify,
            catch=catch_all("notify"),
            next=SUCCEEDED,
        ),
        failed("notify"),
        Succeed(name=SUCCEEDED),
    ]


__all__ = ["FAILED", "CompileOptions", "compile_json", "compile_state_machine", "publish"]
