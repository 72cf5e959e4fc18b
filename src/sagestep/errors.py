"""The one exception tree of sagestep.

Every error a user can cause says what failed, where (file:line, stage, state, JSONPath)
and how to fix it. Only ``sagestep.cli`` maps these to exit codes.

Errors that must look like AWS to boto3-shaped callers (the local clients) are raised as
``botocore.exceptions.ClientError`` with the AWS error code; see :func:`client_error`.
"""

from __future__ import annotations

import functools
from typing import Any

from botocore.exceptions import ClientError


class SagestepError(Exception):
    """Base of every error sagestep raises on purpose."""

    exit_code = 1


class SpecError(SagestepError):
    """A pipeline config is invalid (message names file:line and key path)."""

    exit_code = 2


class DefinitionError(SagestepError):
    """A state machine definition is invalid (AWS: InvalidDefinition)."""

    exit_code = 2


class CompileError(SagestepError):
    """A pipeline config cannot be compiled to a state machine."""

    exit_code = 2


class RouterError(SagestepError):
    """A trigger event cannot be routed to a pipeline."""


class StoreError(SagestepError):
    """The object store or a registry refused an operation."""


class WorkspaceError(SagestepError):
    """The local workspace is missing, unreadable or from an incompatible version."""


class ServiceError(SagestepError):
    """A local service (SageMaker, endpoint, job runner) failed."""


class MonitorError(SagestepError):
    """A monitoring job (baseline, data or model quality) cannot read its inputs or config."""


class BackendError(SagestepError):
    """A backend (local or AWS) could not carry out a request."""


class AlreadyAnswered(BackendError):
    """A run's approval was answered before; ``same`` when it was given the same answer."""

    def __init__(self, message: str, same: bool) -> None:
        super().__init__(message)
        self.same = same


def client_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    """Build a botocore ClientError exactly as boto3 raises it for an AWS error response."""
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)  # type: ignore[arg-type,unused-ignore]


@functools.cache
def modeled_exceptions(service: str) -> Any:
    """The modeled exception classes of ``service``, as ``boto3.client(service).exceptions``
    (``from_code`` gives e.g. ModelError or ResourceNotFoundException)."""
    import botocore.session
    from botocore.errorfactory import ClientExceptionsFactory

    model = botocore.session.get_session().get_service_model(service)
    return ClientExceptionsFactory().create_client_exceptions(model)
