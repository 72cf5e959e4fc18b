"""Task integrations: one table keyed by resource ARN, three patterns.

- :class:`Call` (request-response): call, the result is the task's result.
- :class:`Job` (``.sync``): start a job, poll its Describe* until a terminal status; the
  result is the final Describe* response. The job name is the idempotency key: on resume the
  engine describes the job first and attaches to it when it exists.
- :class:`Callback` (``.waitForTaskToken``): call with ``$$.Task.Token`` in the parameters,
  then wait for SendTaskSuccess/Failure.

An integration signals a task failure by raising
:class:`sagestep.engine.failure.TaskError` with the AWS error name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sagestep.engine.failure import TaskError


@dataclass(frozen=True)
class CallContext:
    """What a call may need besides its parameters."""

    resource: str
    execution_arn: str
    state_name: str
    task_token: str | None = None
    # Identifies this task attempt across crashes (same value when a resumed worker retries
    # the call), for integrations that must invent an idempotency key.
    attempt: str = ""


@dataclass(frozen=True)
class Call:
    """Request-response: ``invoke(parameters, context) -> result``."""

    invoke: Callable[[Any, CallContext], Any]
    # Plain Lambda ARNs report LambdaFunction* history events instead of Task*.
    lambda_events: bool = False
    # Run on the worker's call pool (user code of unknown duration) instead of inline.
    pooled: bool = False


@dataclass(frozen=True)
class Callback:
    """``.waitForTaskToken``: ``invoke`` sends the token somewhere; its result is ignored."""

    invoke: Callable[[Any, CallContext], Any]


@dataclass(frozen=True)
class Job:
    """``.sync``: a generic job integration."""

    start: Callable[[Any, str], Any]            # (parameters, job name) -> Create* response
    describe: Callable[[str], Any | None]       # job name -> Describe* response, None if absent
    job_name: Callable[[Any, CallContext], str]  # parameters -> job name (idempotency key)
    status_field: str                           # e.g. "TrainingJobStatus"
    succeeded: frozenset[str]                   # e.g. {"Completed"}
    failed: frozenset[str]                      # e.g. {"Failed", "Stopped"}
    failure: Callable[[Any], TaskError]         # final Describe* of a failed job -> error
    stop: Callable[[str], None] | None = None   # best effort when the task is aborted
    poll_seconds: float = field(default=2.0)
    # Seconds until the next Describe*, from the last one (None: always ``poll_seconds``).
    # The local backend polls a job that waits for capacity less often than a running one.
    poll_after: Callable[[Any], float] | None = None


Integration = Call | Callback | Job
Integrations = Mapping[str, Integration]

_PLAIN_LAMBDA = re.compile(r"^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$")
PLAIN_LAMBDA_KEY = "arn:aws:lambda:REGION:ACCOUNT:function:NAME"


def table_key(resource: str) -> str:
    """The table key of ``resource`` (every plain Lambda function ARN shares one key)."""
    if _PLAIN_LAMBDA.match(resource):
        return PLAIN_LAMBDA_KEY
    return resource


def sdk_key(resource: str) -> str | None:
    """``arn:aws:states:::aws-sdk:sagemaker:describeEndpoint`` -> ``...:aws-sdk:sagemaker:*``:
    one entry serves every action of a service's AWS SDK integration."""
    if not resource.startswith("arn:aws:states:::aws-sdk:"):
        return None
    return resource.rsplit(":", 1)[0] + ":*"


def lookup(table: Integrations, resource: str) -> Integration:
    """The integration of ``resource``, or a TaskError listing the supported resources."""
    found = table.get(table_key(resource))
    if found is None:
        wildcard = sdk_key(resource)
        found = table.get(wildcard) if wildcard else None
    if found is None:
        supported = ", ".join(sorted(table))
        raise TaskError(
            "States.Runtime",
            f"The resource {resource!r} is not supported by the local engine. "
            f"Supported resources: {supported}")
    return found


def resource_parts(resource: str) -> tuple[str, str]:
    """(resourceType, resource) as TaskScheduled reports them: ("sagemaker", "createTrainingJob.sync")."""
    if resource.startswith("arn:aws:states:::"):
        rest = resource[len("arn:aws:states:::"):]
        service, _, action = rest.partition(":")
        if service == "aws-sdk":
            service, _, action = action.partition(":")
        return service, action
    parts = resource.split(":")
    if len(parts) >= 3 and parts[2] == "lambda":
        return "lambda", resource
    return parts[2] if len(parts) > 2 else "unknown", resource
