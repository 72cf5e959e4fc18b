"""Promotion stages of the generic state machine: deploy targets in order (staging, prod).

The targets are data (``$.promotion.targets``, see ``pipeline.promotion``); the machine is
generic, so it holds MAX_TARGETS unrolled slots, each behind a Choice on whether the run has
that target. Per target: an approval (manual: a task token answered by `sagestep approve`,
recorded with who and why in ``$.results.target_<n>_approval``), its endpoint config, create or
update (UpdateEndpoint carries the target's DeploymentConfig), a poll until the endpoint runs
*this* config (an update that rolled back ends InService on the old config with a
FailureReason: the promotion fails), then the smoke test (helper Lambda, ``pipeline.smoke``).
Unrolled rather than a Map: the failure path and `sagestep approve` see plain top-level states.
A redrive re-enters at "Promotion?" and resumes at the first target not done.
"""

from __future__ import annotations

from sagestep.asl.arns import Pattern, integration_arn
from sagestep.asl.rules import Catcher, ChoiceRule
from sagestep.asl.states import Choice, Pass, State, Task
from sagestep.pipeline.generic import (
    FAILURE_DETAILS,
    NOTIFY_FAILURE,
    Policy,
    sdk,
    string_is,
    wait,
)
from sagestep.pipeline.promotion_blocks import MAX_TARGETS

ENTRY = "Promotion?"
FAILED_STATE = "Promotion Failed"
BROKEN = ("Failed", "OutOfService", "UpdateRollbackFailed")


def promotion_stage(policy: Policy, nxt: str) -> list[State]:
    """Every target slot, then ``nxt``."""
    states: list[State] = [Choice(
        name=ENTRY, choices=(ChoiceRule(variable="$.promotion.targets[0]", operator="IsPresent",
                                        operand=True, next=_title(0) + "?"),), default=nxt)]
    for i in range(MAX_TARGETS):
        after = _title(i + 1) + "?" if i + 1 < MAX_TARGETS else nxt
        states += _target(i, policy, after, nxt)
    states.append(Pass(name=FAILED_STATE, parameters={
        "Stage": "promotion", "Error": "Sagestep.Unknown", "Cause": "no cause was given",
        "Message": "The promotion failed."}, result_path="$.failure", next=FAILURE_DETAILS))
    return states


def _title(i: int) -> str:
    return f"Target {i + 1}"


def _present(variable: str, nxt: str) -> ChoiceRule:
    return ChoiceRule(variable=variable, operator="IsPresent", operand=True, next=nxt)


def _catch(path: str = "$.error") -> tuple[Catcher, ...]:
    return (Catcher(error_equals=("States.ALL",), result_path=path, next=FAILED_STATE),)


def _target(i: int, policy: Policy, after: str, done: str) -> list[State]:
    t, p = f"$.promotion.targets[{i}]", _title(i) + " "
    names = f"{t}.names"
    # A redriven run resumes: a target deployed (and smoke-tested) earlier in this run is
    # skipped, an approval given is not asked again, an endpoint config made is not made
    # again (its name is the run's: CreateEndpointConfig would fail "already existing").
    present = Choice(name=p.strip() + "?", choices=(
        _present(f"$.results.target_{i + 1}_done", after),
        _present(t, p + "Approval Mode?")), default=done)
    manual = ChoiceRule(and_=(
        ChoiceRule(variable=f"{t}.approval.mode", operator="IsPresent", operand=True),
        string_is(f"{t}.approval.mode", "manual")), next=p + "Approval")
    approval = Task(
        name=p + "Approval", resource=integration_arn("lambda", "invoke",
                                                      Pattern.WAIT_FOR_TASK_TOKEN),
        parameters={"FunctionName": policy.helper_function, "Payload": {
            "action": "approval", "token.$": "$$.Task.Token", "pipeline.$": "$.pipeline",
            "execution.$": "$$.Execution.Id", "execution_name.$": "$.run.execution_name",
            "target.$": f"{t}.name", "message.$": f"{t}.approval.message"}},
        timeout_seconds_path=f"{t}.approval.timeout_seconds",
        result_path=f"$.results.target_{i + 1}_approval", catch=_catch(), next=p + "Config Name")
    status = {"EndpointName.$": "$.EndpointName", "EndpointStatus.$": "$.EndpointStatus",
              "EndpointConfigName.$": "$.EndpointConfigName"}
    slot = f"$.work.target_{i + 1}"
    states: list[State] = [
        present,
        Choice(name=p + "Approval Mode?", choices=(
            _present(f"$.results.target_{i + 1}_approval", p + "Config Name"), manual),
            default=p + "Config Name"),
        approval,
        Pass(name=p + "Config Name", parameters={
            "config": {"EndpointConfigName.$": f"{names}.endpoint_config"},
            "update": {"EndpointConfigName.$": f"{names}.endpoint_config",
                       "EndpointName.$": f"{names}.endpoint"}}, result_path=f"{slot}.names",
            next=p + "Config Request"),
        Pass(name=p + "Config Request", parameters={
            "config.$": f"States.JsonMerge({t}.endpoint_config, {slot}.names.config, false)",
            "update.$": f"States.JsonMerge({slot}.names.update, {t}.update, false)"},
            result_path=f"{slot}.requests", next=p + "Config Made?"),
        Choice(name=p + "Config Made?", choices=(
            _present(f"$.results.target_{i + 1}_config", p + "Find Endpoint"),),
            default=p + "Create Endpoint Config"),
        Task(name=p + "Create Endpoint Config",
             resource=integration_arn("sagemaker", "createEndpointConfig"),
             input_path=f"{slot}.requests.config",
             result_path=f"$.results.target_{i + 1}_config", retry=policy.sagemaker,
             catch=_catch(), next=p + "Find Endpoint"),
        Task(name=p + "Find Endpoint", resource=sdk("describeEndpoint"),
             parameters={"EndpointName.$": f"{names}.endpoint"}, result_selector=status,
             result_path="$.work.endpoint", retry=policy.sagemaker,
             catch=(Catcher(error_equals=("States.ALL",), result_path=f"{slot}.missing",
                            next=p + "Create Endpoint"),), next=p + "Update Endpoint"),
        Task(name=p + "Update Endpoint", resource=integration_arn("sagemaker", "updateEndpoint"),
             input_path=f"{slot}.requests.update",
             result_path=f"$.results.target_{i + 1}_deploy", retry=policy.sagemaker,
             catch=_catch(), next=p + "Check Endpoint"),
        Task(name=p + "Create Endpoint", resource=integration_arn("sagemaker", "createEndpoint"),
             parameters={"EndpointName.$": f"{names}.endpoint",
                         "EndpointConfigName.$": f"{names}.endpoint_config"},
             result_path=f"$.results.target_{i + 1}_deploy", retry=policy.sagemaker,
             catch=_catch(), next=p + "Check Endpoint"),
        wait(p + "Wait For Endpoint", f"{t}.wait_seconds", p + "Check Endpoint"),
        Task(name=p + "Check Endpoint", resource=sdk("describeEndpoint"),
             parameters={"EndpointName.$": f"{names}.endpoint"},
             result_path="$.work.endpoint",  # whole: FailureReason only after a rollback
             retry=policy.sagemaker, catch=_catch(),
             next=p + "Endpoint Ready?"),
        Choice(name=p + "Endpoint Ready?", choices=(
            ChoiceRule(and_=(string_is("$.work.endpoint.EndpointStatus", "InService"),
                             ChoiceRule(variable="$.work.endpoint.EndpointConfigName",
                                        operator="StringEqualsPath",
                                        operand=f"{names}.endpoint_config")),
                       next=p + "Smoke Test?"),
            ChoiceRule(or_=tuple(string_is("$.work.endpoint.EndpointStatus", s) for s in BROKEN),
                       next=p + "Endpoint Broken"),
            ChoiceRule(and_=(string_is("$.work.endpoint.EndpointStatus", "InService"),
                             ChoiceRule(variable="$.work.endpoint.FailureReason",
                                        operator="IsPresent", operand=True)),
                       next=p + "Endpoint Rolled Back"),
        ), default=p + "Wait For Endpoint"),
        # The failure is complete here (no caught $.error to merge): straight to the notice,
        # as the deploy stage's "Endpoint Broken" does.
        Pass(name=p + "Endpoint Broken", parameters={
            "Stage": "promotion", "Error": "Sagestep.EndpointFailed",
            "Cause.$": "States.Format('endpoint {} is {}', $.work.endpoint.EndpointName, "
                       "$.work.endpoint.EndpointStatus)",
            "Message": "The promotion failed."}, result_path="$.failure",
            next=NOTIFY_FAILURE),
        Pass(name=p + "Endpoint Rolled Back", parameters={
            "Stage": "promotion", "Error": "Sagestep.RolledBack",
            "Cause.$": "States.Format('endpoint {} rolled back to {}: {}', "
                       "$.work.endpoint.EndpointName, $.work.endpoint.EndpointConfigName, "
                       "$.work.endpoint.FailureReason)",
            "Message": "The promotion failed."}, result_path="$.failure",
            next=NOTIFY_FAILURE),
        Choice(name=p + "Smoke Test?", choices=(_present(f"{t}.smoke_test", p + "Smoke Test"),),
               default=p + "Done"),
        Task(name=p + "Smoke Test", resource=integration_arn("lambda", "invoke"),
             parameters={"FunctionName": policy.helper_function, "Payload": {
                 "action": "smoke", "spec.$": f"{t}.smoke_test",
                 "endpoint.$": f"{names}.endpoint"}},
             result_selector={"report.$": "$.Payload"},
             result_path=f"$.results.target_{i + 1}_smoke", retry=policy.lambda_,
             catch=_catch(), next=p + "Done"),
        Pass(name=p + "Done", parameters={"endpoint.$": f"{names}.endpoint",
                                          "endpoint_config.$": f"{names}.endpoint_config"},
             result_path=f"$.results.target_{i + 1}_done", next=after),
    ]
    return states

