"""A failure inside an execution: an AWS error name and a cause, as history reports them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Failure:
    """``{"Error": error, "Cause": cause}`` (either may be absent, as on AWS)."""

    error: str | None
    cause: str | None = None

    def to_output(self) -> dict[str, Any]:
        """The error output a Catch hands to its next state."""
        out: dict[str, Any] = {}
        if self.error is not None:
            out["Error"] = self.error
        if self.cause is not None:
            out["Cause"] = self.cause
        return out


class TaskError(Exception):
    """Raised by an integration: the task failed with this AWS error name and cause."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.failure = Failure(error, cause)


# Built-in error names (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)
ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
RUNTIME = "States.Runtime"
DATA_LIMIT = "States.DataLimitExceeded"
BRANCH_FAILED = "States.BranchFailed"
TOLERATED = "States.ExceedToleratedFailureThreshold"
