"""Fakes for router tests: an in-memory config source and an AWS-like Step Functions starter."""

from __future__ import annotations

import json
from typing import Any

from sagestep.errors import client_error

STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:sagestep"


class Configs:
    def __init__(self, *items: dict[str, Any]) -> None:
        self.by_name = {i["name"]: i for i in items}

    def get(self, name: str) -> dict[str, Any] | None:
        return self.by_name.get(name)

    def items(self) -> list[dict[str, Any]]:
        return list(self.by_name.values())


class Sfn:
    """StartExecution as AWS does it: same name + same input is idempotent, else an error."""

    def __init__(self) -> None:
        self.executions: dict[str, dict[str, Any]] = {}
        self.calls = 0

    def start_execution(self, *, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        self.calls += 1
        arn = stateMachineArn.replace(":stateMachine:", ":execution:") + ":" + name
        if len(name) > 80:
            raise client_error("InvalidName", f"name too long: {name}", "StartExecution")
        if arn in self.executions:
            raise client_error("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'",
                               "StartExecution")
        self.executions[arn] = {"name": name, "input": json.loads(input)}
        return {"executionArn": arn, "startDate": 0}

    def only(self) -> dict[str, Any]:
        assert len(self.executions) == 1, list(self.executions)
        return next(iter(self.executions.values()))


def item(name: str = "churn", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "version": 3,
        "triggers": {"s3": [{"bucket": "landing", "prefix": "incoming/churn/", "suffix": ".csv"}]},
        "stages": {
            "preprocessing": {
                "run": True,
                "inputs": {"raw": "{{ trigger.uri }}"},
                "outputs": {"train": "s3://work/{{pipeline}}/{{ run.id }}/train"},
            },
            "training": {"run": True, "job_name": "{{ names.training }}", "later": "{{ stages.x }}"},
        },
    }
    base.update(extra)
    return base
