"""The one error the wire layer raises: an AWS error code, message and HTTP status.

Each protocol renders it its own way (see ``protocols.py``); services' ClientErrors and
StoreErrors are turned into it at the boundary so the caller sees AWS's codes verbatim.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An AWS error response: ``code`` as AWS spells it, HTTP ``status``, extra XML fields."""

    def __init__(self, code: str, message: str, status: int = 400, **fields: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields


def from_client_error(exc: Any) -> ApiError:
    """A botocore ClientError raised by a local client, as the wire error."""
    err = exc.response.get("Error", {})
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
    return ApiError(str(err.get("Code") or "InternalFailure"), str(err.get("Message") or ""), status)
