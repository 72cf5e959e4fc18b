"""The release stages of the generic state machine: register, create model and the success
notification (deploy, create or update with its queue, is in ``pipeline.deploy``).

Job stages and the shared building blocks are in ``pipeline.generic``; the decision stages
before release (tuning's best job, gate, approval) in ``pipeline.decisions``;
``pipeline.compile`` strings the stages together.
"""

from __future__ import annotations

from sagestep.asl.arns import integration_arn
from sagestep.asl.rules import Catcher, ChoiceRule
from sagestep.asl.states import Choice, State, Succeed, Task
from sagestep.pipeline.generic import (
    NOTIFY_SUCCESS,
    SUCCEEDED,
    Policy,
    catch_all,
    failed,
    render,
    request_task,
    run_choice,
    sdk,
)


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
