"""Integration resource ARNs: build and split ``arn:aws:states:::<service>:<action>[.pattern]``.

Like the Step Functions Data Science SDK's ``get_service_integration_arn``: a tiny pure
function over a service and an integration pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

PREFIX = "arn:aws:states:::"


class Pattern(Enum):
    """How a Task waits for its integration."""

    REQUEST_RESPONSE = ""
    RUN_JOB = ".sync"
    RUN_JOB_V2 = ".sync:2"
    WAIT_FOR_TASK_TOKEN = ".waitForTaskToken"


@dataclass(frozen=True)
class Integration:
    """The parts of an integration ARN."""

    service: str
    action: str
    pattern: Pattern

    @property
    def arn(self) -> str:
        """The resource ARN."""
        return integration_arn(self.service, self.action, self.pattern)


def integration_arn(service: str, action: str, pattern: Pattern = Pattern.REQUEST_RESPONSE) -> str:
    """``arn:aws:states:::sagemaker:createTrainingJob.sync`` from its parts."""
    if not service or not action:
        raise ValueError("an integration ARN needs a service and an action")
    return f"{PREFIX}{service}:{action}{pattern.value}"


def parse_integration_arn(arn: str) -> Integration:
    """Split a Step Functions integration ARN; ValueError if ``arn`` is not one.

    ``aws-sdk`` ARNs keep the SDK service in ``service``: ``aws-sdk:s3`` / ``listBuckets``.
    """
    if not arn.startswith(PREFIX):
        raise ValueError(f"not a Step Functions integration ARN (expected {PREFIX}...): {arn}")
    body = arn[len(PREFIX) :]
    pattern = Pattern.REQUEST_RESPONSE
    for candidate in (Pattern.RUN_JOB_V2, Pattern.RUN_JOB, Pattern.WAIT_FOR_TASK_TOKEN):
        if body.endswith(candidate.value):
            pattern, body = candidate, body[: -len(candidate.value)]
            break
    service, _, action = body.rpartition(":")
    if not service or not action:
        raise ValueError(f"an integration ARN names service:action: {arn}")
    return Integration(service, action, pattern)
