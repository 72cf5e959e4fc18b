"""AWS names and ARNs of state machines and executions (region/account configurable)."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"

# https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
# Names must not contain whitespace, brackets, wildcards, special characters or control
# characters; 1-80 characters.
_FORBIDDEN = re.compile(
    r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\U0010ffff]"
)
MAX_NAME = 80


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid AWS Step Functions name, or None if it is."""
    if not isinstance(name, str) or not name:
        return "must be 1-80 characters"
    if len(name) > MAX_NAME:
        return f"is {len(name)} characters long; the maximum is {MAX_NAME}"
    bad = _FORBIDDEN.search(name)
    if bad:
        return (
            f"contains the character {bad.group()!r}; names may not contain whitespace, "
            "brackets, wildcards, control characters or any of \" # % \\ ^ | ~ ` $ & , ; : /"
        )
    return None


@dataclass(frozen=True)
class Arns:
    """Builds and parses ARNs for one region and account."""

    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT

    @property
    def prefix(self) -> str:
        return f"arn:aws:states:{self.region}:{self.account}"

    def state_machine(self, name: str) -> str:
        return f"{self.prefix}:stateMachine:{name}"

    def execution(self, machine_name: str, execution_name: str) -> str:
        return f"{self.prefix}:execution:{machine_name}:{execution_name}"

    def express_execution(self, machine_name: str, execution_name: str) -> str:
        return f"{self.prefix}:express:{machine_name}:{execution_name}:{execution_name}"

    def map_run(self, execution_arn: str, label: str) -> str:
        parts = execution_arn.split(":")
        return f"{self.prefix}:mapRun:{parts[6]}/{label}:{parts[7]}"


def arn_kind(arn: str) -> str | None:
    """``stateMachine``, ``execution``, ``express`` ... for a states ARN, else None."""
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "states":
        return None
    return parts[5]


def machine_name_of(arn: str) -> str:
    """The state machine name inside a state machine or execution ARN."""
    return arn.split(":")[6]
