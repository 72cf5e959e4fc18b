"""The stage's own cause of a failed pipeline run, from what Step Functions reports.

A generic-machine run fails in the helper Lambda's ``fail`` Task, so that RedriveExecution
can resume the failed stage (``pipeline.generic.failure_path``). Lambda reports that error's
cause wrapped: ``{"errorMessage", "errorType", "requestId", "stackTrace"}``.

Standard library only: this module ships inside the router Lambda (``triggers.breach``).
"""

from __future__ import annotations

import json


def run_cause(error: str, cause: str) -> str:
    """``cause`` unwrapped when it is the Lambda error ``error``; else as it is."""
    if not cause.startswith("{"):
        return cause
    try:
        wrapped = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(wrapped, dict) and wrapped.get("errorType") == error \
            and "errorMessage" in wrapped:
        return str(wrapped["errorMessage"])
    return cause
