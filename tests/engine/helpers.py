"""Shared helpers for engine tests: a runtime on a warp clock and a one-call runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagestep.engine.timers import WarpClock
from sagestep.local import LocalRuntime
from sagestep.workspace import Workspace

ROLE = "arn:aws:iam::123456789012:role/test"


def runtime(home: Path, clock: Any = None) -> LocalRuntime:
    return LocalRuntime(Workspace.resolve(home), clock=clock or WarpClock())


def machine(sfn: Any, definition: dict[str, Any], name: str = "m", **kw: Any) -> str:
    arn: str = sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                        roleArn=ROLE, **kw)["stateMachineArn"]
    return arn


def run(rt: LocalRuntime, definition: dict[str, Any], data: Any = None, name: str = "m",
        timeout: float = 20.0) -> dict[str, Any]:
    """Create (or reuse) a machine, run one execution to its end, describe it."""
    sfn = rt.client("stepfunctions")
    arn = rt.engine.arns.state_machine(name)
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(definition))
    except Exception:  # noqa: BLE001
        machine(sfn, definition, name)
    ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(data if data is not None
                                                                   else {}))["executionArn"]
    rt.engine.wait(ex, timeout=timeout)
    desc: dict[str, Any] = sfn.describe_execution(executionArn=ex)
    return desc


def events(rt: LocalRuntime, arn: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = rt.client("stepfunctions").get_execution_history(
        executionArn=arn, maxResults=1000)["events"]
    return out


def types(rt: LocalRuntime, arn: str) -> list[str]:
    return [e["type"] for e in events(rt, arn)]
