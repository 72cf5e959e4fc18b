"""The deploy stage: endpoint config, then create the endpoint or queue for its update.

CreateEndpoint/UpdateEndpoint return at once (request-response, endpoint Creating/Updating:
https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html), and SageMaker
refuses an update while the endpoint is not InService ("Cannot update in-progress endpoint").
Several runs deploying to one endpoint therefore queue in the machine itself, the same on AWS
and on the local engine, with no reliance on error retries:

    Find Endpoint --missing--> Create Endpoint --------------------------+
         |                                                               v
    Endpoint Free? --busy--> Wait For Endpoint Turn --> Find Endpoint   Check Endpoint loop
         | settled
    [latest_wins: List Endpoint Configs] --> Deploy Turn (helper) --> Apply Update?
         | update                                    | superseded
    Update Endpoint --> Check Endpoint loop          Deploy Skipped (says why)

Two runs that pass "Endpoint Free?" together race for the update; the loser's call fails,
"Recheck Endpoint" then finds the endpoint busy and puts it back in the queue (a real
ValidationException finds it settled and fails the stage with SageMaker's message).

The builder takes the states' name ``prefix``, the ``stage`` key (``$.stages.<stage>``) and
the ``names`` path, so the stage can be built more than once (staging, then prod).
"""

from __future__ import annotations

from sagestep.asl.arns import integration_arn
from sagestep.asl.rules import Catcher, ChoiceRule, Retrier
from sagestep.asl.states import Choice, Pass, State, Task
from sagestep.pipeline.control import find_or_create
from sagestep.pipeline.generic import (
    NOTIFY_FAILURE,
    TITLES,
    Policy,
    catch_all,
    failed,
    render,
    request_task,
    run_choice,
    sdk,
    string_is,
    wait,
)

# Statuses in which SageMaker refuses UpdateEndpoint: wait for the endpoint to settle.
BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")
BROKEN = ("Failed", "OutOfService", "UpdateRollbackFailed")
# Only throttling is retried on create/update: retrying a refused update later could apply
# an older run's model after a newer one (the queue decides order, not the retrier).
THROTTLED = (Retrier(error_equals=("SageMaker.ThrottlingException",), interval_seconds=5,
                     max_attempts=4, backoff_rate=2.0, max_delay_seconds=60),)


def deploy_stage(policy: Policy, nxt: str, *, prefix: str = "", stage: str = "deploy",
                 names: str = "$.names") -> list[State]:
    """Endpoint config, then create the endpoint or wait for its turn to update it."""
    p, cfg = prefix, f"$.stages.{stage}"
    endpoint = {"EndpointName.$": f"{names}.endpoint",
                "EndpointConfigName.$": f"{names}.endpoint_config"}
    status = {"EndpointName.$": "$.EndpointName", "EndpointStatus.$": "$.EndpointStatus",
              "EndpointConfigName.$": "$.EndpointConfigName"}
    describe = {"EndpointName.$": f"{names}.endpoint"}

    def change(name: str, action: str) -> Task:
        return Task(name=p + name, resource=integration_arn("sagemaker", action),
                    parameters=endpoint, result_path=f"$.results.{stage}", retry=THROTTLED,
                    catch=(Catcher(error_equals=("States.ALL",), result_path="$.error",
                                   next=p + "Recheck Endpoint"),),
                    next=p + "Check Endpoint")

    def check(name: str, nxt_: str, catch: tuple[Catcher, ...]) -> Task:
        return Task(name=p + name, resource=sdk("describeEndpoint"), parameters=describe,
                    result_selector=status, result_path="$.work.endpoint",
                    retry=policy.sagemaker, catch=catch, next=nxt_)

    def busy(variable: str, then: str) -> ChoiceRule:
        return ChoiceRule(or_=tuple(string_is(variable, s) for s in BUSY), next=then)

    state = "$.work.endpoint.EndpointStatus"
    title = TITLES[stage]
    queue: list[State] = [
        find_or_create(p + "Find Endpoint", "describeEndpoint", describe, status, "endpoint",
                       policy, missing=p + "Create Endpoint", found=p + "Endpoint Free?"),
        Choice(name=p + "Endpoint Free?", choices=(busy(state, p + "Wait For Endpoint Turn"),),
               default=p + "Deploy Queue"),
        wait(p + "Wait For Endpoint Turn", f"{cfg}.wait_seconds", p + "Find Endpoint"),
        Pass(name=p + "Deploy Queue", result={"configs": []},
             result_path="$.work.endpoint_configs", next=p + "Latest Wins?"),
        Choice(name=p + "Latest Wins?", choices=(ChoiceRule(and_=(
            ChoiceRule(variable=f"{cfg}.latest_wins", operator="IsPresent", operand=True),
            ChoiceRule(variable=f"{cfg}.latest_wins", operator="BooleanEquals", operand=True),
        ), next=p + "List Endpoint Configs"),), default=p + "Deploy Turn"),
        Task(name=p + "List Endpoint Configs", resource=sdk("listEndpointConfigs"),
             parameters={"NameContains.$": f"{names}.endpoint_config_family",
                         "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 100},
             result_selector={"configs.$": "$.EndpointConfigs"},
             result_path="$.work.endpoint_configs", retry=policy.sagemaker,
             catch=catch_all(stage), next=p + "Deploy Turn"),
        Task(name=p + "Deploy Turn", resource=integration_arn("lambda", "invoke"),
             parameters={"FunctionName": policy.helper_function,
                         "Payload": {"action": "deploy_turn",
                                     "config.$": f"{names}.endpoint_config",
                                     "endpoint.$": "$.work.endpoint", "stage.$": cfg,
                                     "configs.$": "$.work.endpoint_configs.configs"}},
             result_selector={"action.$": "$.Payload.action", "reason.$": "$.Payload.reason"},
             result_path="$.work.turn", retry=policy.lambda_, catch=catch_all(stage),
             next=p + "Apply Update?"),
        Choice(name=p + "Apply Update?", choices=(
            string_is("$.work.turn.action", "update", p + "Update Endpoint"),
            string_is("$.work.turn.action", "done", nxt),
        ), default=p + "Deploy Skipped"),
        Pass(name=p + "Deploy Skipped",
             parameters={"Skipped": True, "Reason.$": "$.work.turn.reason"},
             result_path=f"$.results.{stage}", next=nxt),
        change("Update Endpoint", "updateEndpoint"),
        change("Create Endpoint", "createEndpoint"),
        # A refused create/update: busy means another run got there first; queue again.
        check("Recheck Endpoint", p + "Endpoint Busy?", (Catcher(
            error_equals=("States.ALL",), result_path="$.work.recheck_error",
            next=f"{title} Failed"),)),
        Choice(name=p + "Endpoint Busy?", choices=(busy(state, p + "Wait For Endpoint Turn"),),
               default=f"{title} Failed"),
    ]
    settle: list[State] = [
        wait(p + "Wait For Endpoint", f"{cfg}.wait_seconds", p + "Check Endpoint"),
        check("Check Endpoint", p + "Endpoint Ready?", catch_all(stage)),
        Choice(name=p + "Endpoint Ready?", choices=(
            string_is(state, "InService", nxt),
            ChoiceRule(or_=tuple(string_is(state, s) for s in BROKEN), next=p + "Endpoint Broken"),
        ), default=p + "Wait For Endpoint"),
        Pass(name=p + "Endpoint Broken", parameters={
            "Stage": stage, "Error": "Sagestep.EndpointFailed",
            "Cause.$": "States.Format('endpoint {} is {}', $.work.endpoint.EndpointName, "
                       "$.work.endpoint.EndpointStatus)",
            "Message.$": f"$.stages.notify.messages.failure.{stage}",
        }, result_path="$.failure", next=NOTIFY_FAILURE),
    ]
    return [
        run_choice(stage, p + "Render Endpoint Config", nxt),
        render(p + "Render Endpoint Config", stage, policy, p + "Create Endpoint Config"),
        request_task(p + "Create Endpoint Config",
                     integration_arn("sagemaker", "createEndpointConfig"), policy, stage,
                     p + "Find Endpoint", "$.results.endpoint_config"),
        *queue,
        *settle,
        failed(stage),
    ]
