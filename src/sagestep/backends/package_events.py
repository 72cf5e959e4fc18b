"""Local stand-in for the Terraform module's approval rule: registry events -> the router.

On AWS, EventBridge sends "SageMaker Model Package State Change" events to the router (rule
``<prefix>-model-package-approved``). Locally the model registry appends the same event to its
event log (``sm_events``, readable from any process), and the server's loop calls
:meth:`PackageEventSweep.scan`, which sends each new event through the same router. Routing
is idempotent (the run's name derives from the package ARN and its new status), so a sweep
that sees an event again, after a restart for example, starts nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sagestep.triggers.package_event import DETAIL_TYPE


class PackageEventSweep:
    """Routes the registry's state-change events not yet routed by this process."""

    def __init__(self, events: Any, send_event: Callable[[Mapping[str, Any]], list[Any]]) -> None:
        self._events, self._send = events, send_event
        self._after = 0

    def scan(self) -> list[Any]:
        """Route the new events; returns the runs the router started (duplicates included)."""
        started: list[Any] = []
        for event in self._events.since(self._after, DETAIL_TYPE):
            self._after = max(self._after, int(event.get("sequence") or 0))
            body = {k: v for k, v in event.items() if k != "sequence"}
            started += self._send(body)
        return started
