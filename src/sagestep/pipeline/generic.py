"""The stages of the generic state machine, as ASL records.

Every stage sits behind a Choice on ``$.stages.<stage>.run`` (the execution input is the
rendered config item, see ``sagestep.pipeline.item``). Three shapes recur:

- **job stages** (``.sync`` SageMaker jobs): a one-branch Parallel is the *attempt*. Its
  ``Parameters`` read ``$$.State.RetryCount``, and its branch asks the helper Lambda to render
  the request with the job name ``<names.x>-<attempt>``. A Retry on the Parallel therefore
  re-renders the request, so every attempt gets a fresh, unique job name (a plain Retry on a
  ``.sync`` Task would reuse the name and fail with "job name must be unique":
  https://github.com/aws/aws-step-functions-data-science-sdk-python/issues/140).
- **request stages** (create model, endpoint config, model package): the helper renders the
  request once, the Task sends it as its whole input (no ``Parameters``).
- **control** (gate, approval, deploy's create-or-update, notifications, failure path).

Intrinsic functions cannot merge a template with values nested inside lists (shallow
``States.JsonMerge`` only), which model artifacts in ProcessingInputs or
InferenceSpecification.Containers need; hence the small pure helper Lambda.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sagestep.asl.arns import Pattern, integration_arn
from sagestep.asl.record import JSON
from sagestep.asl.rules import Catcher, ChoiceRule, Retrier
from sagestep.asl.states import Choice, Fail, Parallel, Pass, State, StateMachine, Task, Wait

TITLES: Mapping[str, str] = {
    "preprocessing": "Preprocessing",
    "baseline": "Baseline",
    "training": "Training",
    "tuning": "Tuning",
    "evaluation": "Evaluation",
    "gate": "Gate",
    "approval": "Approval",
    "register": "Register",
    "create_model": "Create Model",
    "deploy": "Deploy",
    "batch_transform": "Batch Transform",
    "data_quality": "Data Quality",
    "model_quality": "Model Quality",
    "postprocessing": "Postprocessing",
    "notify": "Notify",
}
"""Stage -> the title its states are named after (``Training?``, ``Training``, ...)."""

NOTIFY_FAILURE = "Failure Attempt"
"""Where every failure path joins: it notes the redrive in which the run failed."""
FAILURE_DETAILS = "Failure Details"
FAILED = "Failed"
SUCCEEDED = "Succeeded"
RESUME = "Resume Stage?"
NOT_RESUMABLE = "Not Resumable"
NOTIFY_SUCCESS = "Notify Success?"

# https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html: the optimized
# integration reports API errors as SageMaker.<Name>. Only errors a retry can fix are retried:
# capacity, throttling and SageMaker's internal errors. AWS's examples also retry the generic
# SageMaker.AmazonSageMakerException, but that is what a ValidationException arrives as, so a
# typo in a request took 4 retries (~75 s) to show; it now fails the stage at once with
# SageMaker's message. On AWS, throttling also arrives under the generic name: the job stage
# catches GENERIC_SAGEMAKER_ERROR and the helper's "retry" action retries it only when its Cause
# names a transient error (pipeline/helper.py). The local integration names codes exactly.
SAGEMAKER_ERRORS = (
    "SageMaker.ResourceLimitExceededException",
    "SageMaker.ResourceLimitExceeded",
    "SageMaker.ThrottlingException",
    "SageMaker.InternalFailure",
    "SageMaker.ServiceUnavailable",
)
GENERIC_SAGEMAKER_ERROR = "SageMaker.AmazonSageMakerException"
# https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
LAMBDA_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)


@dataclass(frozen=True)
class Policy:
    """Retry policies and the helper function, fixed at compile time."""

    helper_function: str
    attempts: int
    """Native attempts of one entry into a job stage (its Retry budget + 1)."""
    sagemaker: tuple[Retrier, ...]
    lambda_: tuple[Retrier, ...]
    notify: tuple[Retrier, ...]


def run_choice(stage: str, then: str, otherwise: str) -> Choice:
    """``<Title>?``: go to ``then`` when ``$.stages.<stage>.run`` is true."""
    return Choice(
        name=f"{TITLES[stage]}?",
        choices=(_bool(f"$.stages.{stage}.run", then),),
        default=otherwise,
    )


def failed(stage: str) -> Pass:
    """``<Title> Failed``: record ``$.failure`` from the caught ``$.error``, then notify."""
    return Pass(
        name=f"{TITLES[stage]} Failed",
        parameters={
            "Stage": stage,
            # Defaults: some errors (States.Timeout) come without a Cause, and a missing
            # path would fail the failure path itself; FAILURE_DETAILS merges $.error over.
            "Error": "Sagestep.Unknown",
            "Cause": "no cause was given",
            "Message.$": f"$.stages.notify.messages.failure.{stage}",
        },
        result_path="$.failure",
        next=FAILURE_DETAILS,
    )


def catch_all(stage: str) -> tuple[Catcher, ...]:
    """Any error of a stage goes to its ``<Title> Failed`` state."""
    return (
        Catcher(
            error_equals=("States.ALL",), result_path="$.error", next=f"{TITLES[stage]} Failed"
        ),
    )


def render(
    name: str,
    stage: str,
    policy: Policy,
    nxt: str,
    *,
    state_path: str = "$",
    attempt: JSON = 0,
    result_path: str | None = "$.work.render",
) -> Task:
    """Ask the helper Lambda for the request of ``stage``."""
    payload: dict[str, JSON] = {"action": "render", "stage": stage, "state.$": state_path}
    if isinstance(attempt, str):
        payload["attempt.$"] = attempt
        payload["attempts"] = policy.attempts
        payload["redrive.$"] = "$.redrive"
    else:
        payload["attempt"] = attempt
    return Task(
        name=name,
        resource=integration_arn("lambda", "invoke"),
        parameters={"FunctionName": policy.helper_function, "Payload": payload},
        result_selector={"request.$": "$.Payload"} if result_path else None,
        output_path="$.Payload" if result_path is None else "$",
        result_path=result_path if result_path else "$",
        retry=policy.lambda_,
        next=nxt,
    )


def job_stage(stage: str, action: str, policy: Policy, nxt: str,
              then: str | None = None) -> list[State]:
    """Choice -> attempt (Parallel: render + ``.sync`` job) -> result -> ``then`` (or ``nxt``).

    A stage that does not run goes straight to ``nxt``.
    """
    title = TITLES[stage]
    branch = StateMachine(
        start_at=f"Render {title}",
        states={
            f"Render {title}": render(
                f"Render {title}",
                stage,
                policy,
                f"Run {title}",
                state_path="$.state",
                attempt="$.attempt",
                result_path=None,
            ),
            f"Run {title}": Task(
                name=f"Run {title}",
                resource=integration_arn("sagemaker", action, Pattern.RUN_JOB),
                end=True,
            ),
        },
    )
    attempt = Parallel(
        name=title,
        # RedriveCount: a redrive re-enters the stage with RetryCount 0 again; the job names
        # of a redriven attempt carry it, so they never repeat a name of the failed run.
        parameters={"attempt.$": "$$.State.RetryCount", "redrive.$": "$$.Execution.RedriveCount",
                    "state.$": "$"},
        branches=(branch,),
        result_path="$.work.attempt",
        retry=policy.sagemaker,
        catch=(
            # A failed job (States.TaskFailed) may be retried by the stage's own retry policy.
            Catcher(error_equals=("States.TaskFailed", GENERIC_SAGEMAKER_ERROR),
                    result_path="$.error", next=f"{title} Retry?"),
            *catch_all(stage),
        ),
        next=f"{title} Result",
    )
    result = Pass(
        name=f"{title} Result",
        input_path="$.work.attempt[0]",
        result_path=f"$.results.{stage}",
        next=then or nxt,
    )
    return [run_choice(stage, title, nxt), attempt, result, *_retry_loop(stage, policy),
            failed(stage)]


def _retry_loop(stage: str, policy: Policy) -> list[State]:
    # Data-driven retries (stages.<s>.retry): the helper counts attempts in
    # $.work.retries.<s> and says whether and how long to wait; the job name index moves on
    # by `attempts` per loop, so names stay unique across loops and native retries.
    title = TITLES[stage]
    counter = f"$.work.retries.{stage}"
    ask = Task(
        name=f"{title} Retry?",
        resource=integration_arn("lambda", "invoke"),
        parameters={"FunctionName": policy.helper_function,
                    "Payload": {"action": "retry", "stage": stage, "state.$": "$"}},
        result_selector={"retry.$": "$.Payload.retry", "count.$": "$.Payload.count",
                         "wait.$": "$.Payload.wait"},
        result_path=counter,
        retry=policy.lambda_,
        catch=(Catcher(error_equals=("States.ALL",), result_path="$.work.retry_error",
                       next=f"{title} Failed"),),
        next=f"{title} Again?",
    )
    again = Choice(name=f"{title} Again?", choices=(_bool(f"{counter}.retry", f"{title} Wait"),),
                   default=f"{title} Failed")
    return [ask, again, wait(f"{title} Wait", f"{counter}.wait", title)]


def request_task(
    name: str, resource: str, policy: Policy, stage: str, nxt: str, result_path: str
) -> Task:
    """A Task whose whole input is the rendered request at ``$.work.render.request``."""
    return Task(
        name=name,
        resource=resource,
        input_path="$.work.render.request",
        result_path=result_path,
        retry=policy.sagemaker,
        catch=catch_all(stage),
        next=nxt,
    )


def sdk(action: str) -> str:
    """``arn:aws:states:::aws-sdk:sagemaker:<action>`` (APIs without an optimized integration)."""
    return integration_arn("aws-sdk:sagemaker", action)


def publish(
    name: str,
    message: str,
    subject: str,
    policy: Policy,
    nxt: str,
    result_path: str | None,
    catch_next: str,
) -> Task:
    """An SNS publish to the config's notify topic (``message`` is an intrinsic)."""
    return Task(
        name=name,
        resource=integration_arn("sns", "publish"),
        parameters={
            "TopicArn.$": "$.stages.notify.topic_arn",
            "Subject": subject,
            "Message.$": message,
        },
        result_path=result_path,
        retry=policy.notify,
        catch=(
            Catcher(
                error_equals=("States.ALL",), result_path="$.work.notify_error", next=catch_next
            ),
        ),
        next=nxt,
    )


def failure_path(policy: Policy, entries: Mapping[str, str],
                 resume_first: tuple[ChoiceRule, ...] = ()) -> list[State]:
    """Notify the failure (when a topic is configured), then fail with the stage's cause.

    The run fails in the helper's ``fail`` Task, not in a Fail state, so that
    RedriveExecution can resume the failed stage. A redrive "continues the failed execution
    from the unsuccessful step and uses the same input"
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html):
    a Fail state would only fail again. The ``fail`` Task compares the execution's
    ``$$.Execution.RedriveCount`` (re-read on the redrive) with the count noted when the
    failure happened (``Failure Attempt``): equal -> it raises the stage's error and the run
    fails here; greater -> it returns and ``Resume Stage?`` re-enters the failed stage
    (earlier stages' results stay in the state; job names carry the redrive count).
    ``entries``: stage -> the state that enters it; ``resume_first``: rules tried before
    them (a stage whose first step must not run twice).
    """
    message = (
        "States.Format('{} Pipeline {}, execution {}: stage {} failed with {}: {}', "
        "$.failure.Message, $.pipeline, $.run.execution_name, $.failure.Stage, "
        "$.failure.Error, $.failure.Cause)"
    )
    resume = (*resume_first,
              *(string_is("$.failure.Stage", stage, entry) for stage, entry in entries.items()))
    return [
        Pass(
            name=FAILURE_DETAILS,
            parameters={"merged.$": "States.JsonMerge($.failure, $.error, false)"},
            result_path="$.work.failure",
            next="Failure Record",
        ),
        Pass(
            name="Failure Record",
            input_path="$.work.failure.merged",
            result_path="$.failure",
            next=NOTIFY_FAILURE,
        ),
        Pass(
            name=NOTIFY_FAILURE,
            parameters={"redrive_count.$": "$$.Execution.RedriveCount"},
            result_path="$.work.failed_in",
            next="Notify Failure?",
        ),
        Choice(
            name="Notify Failure?",
            choices=(_bool("$.stages.notify.run", "Notify Failure"),),
            default=FAILED,
        ),
        publish(
            "Notify Failure",
            message,
            "sagestep: pipeline run failed",
            policy,
            FAILED,
            "$.work.notified",
            FAILED,
        ),
        Task(
            name=FAILED,
            resource=integration_arn("lambda", "invoke"),
            parameters={"FunctionName": policy.helper_function,
                        "Payload": {"action": "fail", "failure.$": "$.failure",
                                    "failed_in.$": "$.work.failed_in.redrive_count",
                                    "redrive_count.$": "$$.Execution.RedriveCount"}},
            result_path="$.work.redriven",
            retry=policy.lambda_,
            next=RESUME,
        ),
        Choice(name=RESUME, choices=resume, default=NOT_RESUMABLE),
        Fail(name=NOT_RESUMABLE, error_path="$.failure.Error", cause_path="$.failure.Cause"),
    ]


def _bool(variable: str, nxt: str) -> ChoiceRule:
    return ChoiceRule(variable=variable, operator="BooleanEquals", operand=True, next=nxt)


def string_is(variable: str, value: str, nxt: str | None = None) -> ChoiceRule:
    """A ``StringEquals`` rule."""
    return ChoiceRule(variable=variable, operator="StringEquals", operand=value, next=nxt)


def wait(name: str, seconds_path: str, nxt: str) -> Wait:
    """A Wait whose duration comes from the input."""
    return Wait(name=name, seconds_path=seconds_path, next=nxt)
