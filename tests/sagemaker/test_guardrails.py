"""Guardrail plans follow the DeploymentConfig; ticks move on by stored times and roll back
on an alarm of the new fleet's metrics (no sleeps: the clock is the caller's)."""

from __future__ import annotations

from sagestep.sagemaker.guardrails import Alarm, plan, tick


def _config(routing, final=60, timeout=1800):
    return {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing,
                                      "TerminationWaitInSeconds": final,
                                      "MaximumExecutionTimeoutInSeconds": timeout}}


def test_canary_linear_and_all_at_once_plans():
    canary = plan(_config({"Type": "CANARY", "WaitIntervalInSeconds": 300,
                           "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}}), 3)
    assert [(s.share, s.bake_seconds) for s in canary] == [(0.1, 300), (1.0, 60)]
    assert "canary capacity of 1 instance(s)" in canary[0].message
    by_count = plan(_config({"Type": "CANARY", "WaitIntervalInSeconds": 5,
                             "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}), 4)
    assert by_count[0].share == 0.25
    linear = plan(_config({"Type": "LINEAR", "WaitIntervalInSeconds": 30,
                           "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 33}}), 3)
    assert [round(s.share, 2) for s in linear] == [0.33, 0.66, 0.99, 1.0]
    quarter = plan(_config({"Type": "LINEAR", "WaitIntervalInSeconds": 30,
                            "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25}}), 4)
    assert [s.share for s in quarter] == [0.25, 0.5, 0.75, 1.0]
    assert [(s.share, s.bake_seconds) for s in plan(None, 1)] == [(1.0, 0)]


def test_a_good_linear_rollout_takes_its_steps_in_order():
    steps = plan(_config({"Type": "LINEAR", "WaitIntervalInSeconds": 10,
                          "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50}}, final=5), 2)
    alarm = Alarm("ep-5xx-errors", error_rate=0.05)
    healthy = {"requests": 100, "errors": 1, "p99_ms": 20}
    now, index, step_started, seen = 0.0, 0, 0.0, []
    while True:
        decision = tick(steps, index, step_started, 0.0, now, healthy, [alarm], 600)
        if decision.action == "shift":
            index, step_started = decision.index, now
            seen.append(steps[index].share)
        if decision.action == "finish":
            break
        assert decision.action in ("hold", "shift")
        now += 1
    assert seen == [1.0] and now == 15  # 10 s at 50 %, then 5 s of final bake at 100 %


def test_alarms_roll_back_with_a_reason_and_few_requests_say_nothing():
    steps = plan(_config({"Type": "CANARY", "WaitIntervalInSeconds": 60,
                          "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}}), 3)
    errors = Alarm("ep-5xx-errors", error_rate=0.05, min_requests=5)
    assert tick(steps, 0, 0, 0, 1, {"requests": 4, "errors": 4}, [errors], 600).action == "hold"
    rolled = tick(steps, 0, 0, 0, 1, {"requests": 10, "errors": 3}, [errors], 600)
    assert rolled.action == "rollback" and "error rate 30.0% of 10 requests" in rolled.reason
    slow = Alarm("ep-p99-latency", p99_latency_ms=200)
    assert "p99 latency 900 ms" in tick(steps, 0, 0, 0, 1, {"requests": 9, "p99_ms": 900},
                                        [slow], 600).reason
    late = tick(steps, 0, 0, 0, 700, {"requests": 0}, [], 600)
    assert late.action == "rollback" and "MaximumExecutionTimeoutInSeconds" in late.reason
