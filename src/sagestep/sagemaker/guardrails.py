"""Deployment guardrails, locally: the traffic plan of a blue/green update and its alarms.

SageMaker's BlueGreenUpdatePolicy moves traffic from the old fleet (blue) to the new one
(green): ALL_AT_ONCE, CANARY (CanarySize first, bake WaitIntervalInSeconds, then the rest) or
LINEAR (LinearStepSize per step, a bake after each). After the last shift it bakes
TerminationWaitInSeconds and stops blue. An alarm during any bake sends all traffic back to
blue: status RollingBack, then InService on the old config with a FailureReason.
MaximumExecutionTimeoutInSeconds caps the whole update.

This module is the pure part: the plan (green's traffic share per step with its bake time)
and one decision per tick from stored times and the green fleet's metrics, so a deployment
persisted as data moves on by timers, survives a restart and never sleeps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """Green's share of traffic (0..1) and how long it bakes there."""

    share: float
    bake_seconds: float
    message: str


def _size(spec: Mapping[str, Any] | None, instances: int, default: float) -> float:
    if not spec:
        return default
    value = float(spec.get("Value") or 0)
    if spec.get("Type") == "INSTANCE_COUNT":
        return min(1.0, value / max(1, instances))
    return min(1.0, value / 100)


def plan(config: Mapping[str, Any] | None, instances: int) -> list[Step]:
    """The steps of an update under DeploymentConfig ``config`` (None: all at once, no bake)."""
    policy = (config or {}).get("BlueGreenUpdatePolicy") or {}
    routing = policy.get("TrafficRoutingConfiguration") or {}
    kind = routing.get("Type") or "ALL_AT_ONCE"
    wait = float(routing.get("WaitIntervalInSeconds") or 0)
    final = float(policy.get("TerminationWaitInSeconds") or 0)
    if kind == "CANARY":
        canary = _size(routing.get("CanarySize"), instances, 0.1)
        n = max(1, math.ceil(canary * instances))
        return [Step(canary, wait, f"Activating traffic on canary capacity of {n} "
                                   f"instance(s)."),
                Step(1.0, final, f"Baking for {final:g} seconds (TerminationWaitInSeconds) "
                                 f"with traffic enabled on full capacity of {instances} "
                                 "instance(s).")]
    if kind == "LINEAR":
        step = _size(routing.get("LinearStepSize"), instances, 0.1)
        count = max(1, math.ceil(1 / step - 1e-9))
        steps = [Step(min(1.0, step * (i + 1)), wait,
                      f"Activating traffic on {min(100.0, step * (i + 1) * 100):g}% of "
                      "capacity.") for i in range(count - 1)]
        return [*steps, Step(1.0, final, f"Baking for {final:g} seconds "
                                         "(TerminationWaitInSeconds) with full traffic.")]
    return [Step(1.0, final, "Activating traffic on full capacity.")]


@dataclass(frozen=True)
class Alarm:
    """A local alarm: thresholds on the green fleet's metrics since the current step began."""

    name: str
    error_rate: float | None = None
    p99_latency_ms: float | None = None
    min_requests: int = 5

    def breached(self, metrics: Mapping[str, float]) -> str | None:
        """Why the alarm fires on ``metrics`` (requests, errors, p99_ms), or None."""
        requests = int(metrics.get("requests") or 0)
        if self.error_rate is not None and requests >= self.min_requests:
            rate = float(metrics.get("errors") or 0) / requests
            if rate > self.error_rate:
                return (f"alarm {self.name}: error rate {rate:.1%} of {requests} requests on "
                        f"the new fleet is over {self.error_rate:.1%}")
        p99 = metrics.get("p99_ms")
        slow = (self.p99_latency_ms is not None and p99 is not None
                and requests >= self.min_requests and float(p99) > self.p99_latency_ms)
        if slow:
            return (f"alarm {self.name}: p99 latency {float(p99 or 0):.0f} ms on the new fleet "
                    f"is over {self.p99_latency_ms:g} ms")
        return None


@dataclass(frozen=True)
class Decision:
    """What a tick does: ``hold`` (keep baking), ``shift`` (to step ``index``), ``finish``
    (stop blue: InService on the new config) or ``rollback`` (with ``reason``)."""

    action: str
    index: int = 0
    reason: str = ""


def tick(steps: list[Step], index: int, step_started: float, started: float, now: float,
         metrics: Mapping[str, float], alarms: list[Alarm], timeout: float) -> Decision:
    """The next move of a deployment at step ``index`` (started at ``step_started``)."""
    for alarm in alarms:
        reason = alarm.breached(metrics)
        if reason:
            return Decision("rollback", index, reason)
    if timeout and now - started > timeout:
        return Decision("rollback", index, f"the update ran past "
                        f"MaximumExecutionTimeoutInSeconds ({timeout:g} s)")
    if now - step_started < steps[index].bake_seconds:
        return Decision("hold", index)
    if index + 1 < len(steps):
        return Decision("shift", index + 1)
    return Decision("finish", index)
