"""The fixed facts of one execution and the context object (``$$``) built from them.

https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sagestep.clock import iso


@dataclass(frozen=True)
class ExecutionInfo:
    """The fixed facts of an execution (row of sfn_executions)."""

    arn: str
    name: str
    machine_arn: str
    machine_name: str
    input_text: str
    started: float
    role_arn: str
    redrive_count: int = 0
    redrive_date: float | None = None



class ContextObject:
    """Builds ``$$`` per state; the Execution and StateMachine parts are shared."""

    def __init__(self, info: ExecutionInfo) -> None:
        self.execution: dict[str, Any] = {
            "Id": info.arn, "Input": json_input(info.input_text), "Name": info.name,
            "RoleArn": info.role_arn, "StartTime": iso(info.started),
        }
        if ":express:" not in info.arn:  # Express executions cannot be redriven
            self.execution["RedriveCount"] = info.redrive_count
        if info.redrive_date is not None:
            self.execution["RedriveTime"] = iso(info.redrive_date)
        self.machine = {"Id": info.machine_arn, "Name": info.machine_name}
        self._iso: dict[float, str] = {}

    def of(self, state: str, entered: float, retries: int, with_retry_count: bool,
           token: str | None = None) -> dict[str, Any]:
        """``$$`` for a state; RetryCount exists only for states that can retry."""
        part: dict[str, Any] = {"EnteredTime": self.iso(entered), "Name": state}
        if with_retry_count:
            part["RetryCount"] = retries
        ctx: dict[str, Any] = {"Execution": self.execution, "State": part,
                               "StateMachine": self.machine}
        if token is not None:
            ctx["Task"] = {"Token": token}
        return ctx

    def iso(self, ts: float) -> str:
        """``iso(ts)``, memoised: a batch of states shares a handful of timestamps."""
        text = self._iso.get(ts)
        if text is None:
            if len(self._iso) > 64:
                self._iso.clear()
            text = self._iso[ts] = iso(ts)
        return text


def json_input(text: str) -> Any:
    """The execution input as a JSON value."""
    return json.loads(text)
