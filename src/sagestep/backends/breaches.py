"""Local stand-in for the Terraform module's breach rule: failed runs -> the router.

On AWS, EventBridge sends "Step Functions Execution Status Change" events of runs that a
monitoring check failed (error ``Sagestep.MonitoringViolations``) to the router. Locally the
server's loop calls :meth:`BreachSweep.scan`, which builds the same event from
DescribeExecution and sends it through the same router. Routing a breach is idempotent (the
retraining run's name derives from the failed execution), so a sweep that sees a run again,
for example after a restart, starts nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sagestep.triggers.breach import DETAIL_TYPE, ERROR

FIELDS = ("executionArn", "stateMachineArn", "name", "status", "input", "error", "cause")


def status_event(execution: Mapping[str, Any]) -> dict[str, Any]:
    """The EventBridge event AWS would send for a finished execution."""
    return {"version": "0", "source": "aws.states", "detail-type": DETAIL_TYPE,
            "resources": [str(execution.get("executionArn", ""))],
            "detail": {k: execution.get(k) for k in FIELDS}}


class BreachSweep:
    """Finds failed runs with monitoring violations and routes each once per process."""

    def __init__(self, sfn: Any, state_machine_arn: str,
                 send_event: Callable[[Mapping[str, Any]], list[Any]]) -> None:
        self._sfn, self._arn, self._send = sfn, state_machine_arn, send_event
        self._seen: set[str] = set()

    def scan(self) -> list[Any]:
        """Route the breaches not seen yet; returns the runs the router started."""
        started: list[Any] = []
        page = self._sfn.list_executions(stateMachineArn=self._arn, statusFilter="FAILED",
                                         maxResults=100)
        for summary in page.get("executions", []):
            arn = str(summary["executionArn"])
            if arn in self._seen:
                continue
            self._seen.add(arn)
            execution = self._sfn.describe_execution(executionArn=arn)
            if execution.get("error") == ERROR:
                started += self._send(status_event(execution))
        return started
