"""The context object (``$$`` in JSONPath, ``$states.context`` in JSONata).

https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
Plain dicts, so they persist as JSON; the interpreter builds one per state entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def execution_context(
    *,
    execution_arn: str,
    name: str,
    execution_input: Any,
    start_time: str,
    role_arn: str,
    state_machine_arn: str,
    state_machine_name: str,
    redrive_count: int | None = 0,
) -> dict[str, Any]:
    """The parts of the context object fixed for a whole execution.

    Express executions have no ``RedriveCount`` on AWS: pass ``redrive_count=None``.
    """
    execution: dict[str, Any] = {
        "Id": execution_arn,
        "Input": execution_input,
        "StartTime": start_time,
        "Name": name,
        "RoleArn": role_arn,
    }
    if redrive_count is not None:
        execution["RedriveCount"] = redrive_count
    return {
        "Execution": execution,
        "StateMachine": {"Id": state_machine_arn, "Name": state_machine_name},
    }


def state_context(
    base: Mapping[str, Any],
    *,
    state_name: str,
    entered_time: str,
    retry_count: int | None = None,
    task_token: str | None = None,
) -> dict[str, Any]:
    """``base`` plus ``State`` (and ``Task.Token`` for callback tasks).

    AWS shows ``State.RetryCount`` only in states that can retry (Task, Parallel, Map):
    pass ``retry_count=None`` for the others.
    """
    ctx = dict(base)
    state: dict[str, Any] = {"EnteredTime": entered_time, "Name": state_name}
    if retry_count is not None:
        state["RetryCount"] = retry_count
    ctx["State"] = state
    if task_token is not None:
        ctx["Task"] = {"Token": task_token}
    return ctx


def map_item_context(
    ctx: Mapping[str, Any], index: int, value: Any, key: str | None = None
) -> dict[str, Any]:
    """``ctx`` plus ``Map.Item`` for one iteration's ItemSelector."""
    item: dict[str, Any] = {"Index": index, "Value": value}
    if key is not None:
        item["Key"] = key
    out = dict(ctx)
    out["Map"] = {"Item": item}
    return out
