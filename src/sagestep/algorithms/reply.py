"""What a serving handler answers: a :class:`Reply`, or an :class:`InvocationError` with a status.

The contract between the model server (``sagestep.serving``) and the handlers it runs: a
built-in algorithm's serving part (``algorithms.<name>.serve``) and the user-code handler
both return these. It lives here, below serving, so a built-in needs nothing from serving.
"""

from __future__ import annotations

from typing import NamedTuple

from sagestep.errors import ServiceError


class Reply(NamedTuple):
    """One /invocations answer (a NamedTuple: one is built per request)."""

    body: bytes
    content_type: str
    status: int = 200


class InvocationError(ServiceError):
    """A request the model server answers with a non-200 status (415, 406, 400, 500)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
