"""The control stages of the generic state machine: tuning's best job, gate, approval,
register, create model, deploy (create or update) and the success notification.

Job stages and the shared building blocks are in ``pipeline.generic``; ``pipeline.compile``
strings the stages together.
"""

from __future__ import annotations

from sagestep.asl.arns import Pattern, integration_arn
from sagestep.asl.rules import Catcher, ChoiceRule
from sagestep.asl.states import Choice, Pass, State, Succeed, Task
from sagestep.pipeline.generic import (
    NOTIFY_SUCCESS,
    SUCCEEDED,
    Policy,
    catch_all,
    failed,
    job_stage,
    publish,
    render,
    request_task,
    run_choice,
    sdk,
    string_is,
    wait,
)
from sagestep.pipeline.stages import JOB_STAGES


def tuning_stage(policy: Policy, nxt: str) -> list[State]:
    """Tuning as a job stage, then the describe of its best training job."""
    states = job_stage("tuning", JOB_STAGES["tuning"][2], policy, nxt, then="Tuning Best Job")
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


def gate_stage(policy: Policy, nxt: str) -> list[State]:
    """Read the metric (evaluation.json or training metrics), compare, pass or reject."""
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


def approval_stage(policy: Policy, nxt: str) -> list[State]:
    """Automatic (skip) or manual: announce, then wait for a task token."""
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
        # Unanswered approvals fail with States.Timeout (default a week; config data).
        timeout_seconds_path="$.stages.approval.timeout_seconds",
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


def find_or_create(
    name: str,
    describe: str,
    parameters: dict[str, str],
    selector: dict[str, str],
    slot: str,
    policy: Policy,
    *,
    missing: str,
    found: str,
) -> Task:
    """A Describe* call kept in ``$.work.<slot>``: on success go to ``found``; when it fails
    (the resource does not exist yet) note why in ``$.work.<slot>_missing`` and go to
    ``missing``, the state that creates it."""
    return Task(
        name=name,
        resource=sdk(describe),
        parameters=parameters,
        result_selector=selector,
        result_path=f"$.work.{slot}",
        retry=policy.sagemaker,
        catch=(
            Catcher(
                error_equals=("States.ALL",),
                result_path=f"$.work.{slot}_missing",
                next=missing,
            ),
        ),
        next=found,
    )


def register_stage(policy: Policy, nxt: str) -> list[State]:
    """Ensure the model package group, then register the run's model."""
    # A missing group is an error of the SDK call (its exact name is not documented).
    find = find_or_create(
        "Find Model Package Group",
        "describeModelPackageGroup",
        {"ModelPackageGroupName.$": "$.stages.register.group.ModelPackageGroupName"},
        {"ModelPackageGroupArn.$": "$.ModelPackageGroupArn"},
        "group",
        policy,
        missing="Create Model Package Group",
        found="Render Register",
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


def create_model_stage(policy: Policy, nxt: str) -> list[State]:
    """Create the SageMaker model from the run's artifact."""
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


def deploy_stage(policy: Policy, nxt: str) -> list[State]:
    """Endpoint config, then create or update the endpoint and poll until InService."""
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

    # seed 004's create-or-update: DescribeEndpoint fails when there is none yet. Throttling
    # is retried; "not found" (SageMaker.ValidationException) is not.
    find = find_or_create(
        "Find Endpoint",
        "describeEndpoint",
        {"EndpointName.$": "$.names.endpoint"},
        status,
        "endpoint",
        policy,
        missing="Create Endpoint",
        found="Update Endpoint",
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


def notify_stage(policy: Policy) -> list[State]:
    """The success notification and the final Succeed state."""
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
