"""The decision stages of the generic state machine, between training and release: tuning's
best job, the metric gate and the approval (automatic or a manual task token).

Job stages and the shared building blocks are in ``pipeline.generic``; the release stages in
``pipeline.control``; ``pipeline.compile`` strings the stages together.
"""

from __future__ import annotations

from sagestep.asl.arns import Pattern, integration_arn
from sagestep.asl.rules import ChoiceRule
from sagestep.asl.states import Choice, Pass, State, Task
from sagestep.pipeline.generic import (
    NOTIFY_FAILURE,
    NOTIFY_SUCCESS,
    Policy,
    catch_all,
    failed,
    job_stage,
    publish,
    run_choice,
    sdk,
    string_is,
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
        next=NOTIFY_FAILURE,
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
