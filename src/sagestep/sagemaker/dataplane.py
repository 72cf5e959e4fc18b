"""What the control plane asks of the data plane, as Protocols the serving components meet.

This package is the control plane (the API, records, jobs). The processes that serve
endpoints and run batch transforms are the data plane, in ``sagestep.serving``, which
imports this package (records, runner, images). So the API here must not import serving:
``sagestep.local`` builds the serving components and hands them to
:class:`~sagestep.sagemaker.service.SageMakerService` as the factories of a
:class:`DataPlane`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sagestep.sagemaker.runner import JobDefinition
    from sagestep.sagemaker.service import SageMakerService


class EndpointFleet(Protocol):
    """Runs the model servers of endpoints whose records the API keeps."""

    def create(self, name: str, config: str) -> None: ...
    def update(self, name: str, config: str, deployment: dict[str, Any] | None = None,
               old_config: str = "") -> None: ...
    def delete(self, name: str) -> None: ...
    def wait(self, name: str, timeout: float | None = None) -> bool: ...
    def reconcile(self, name: str, doc: dict[str, Any]) -> None: ...
    def reconcile_all(self) -> None: ...
    def restore(self) -> list[str]: ...


class TransformRunner(Protocol):
    """Runs batch transform jobs (create/describe/stop) and rebuilds one after a restart."""

    def create(self, req: dict[str, Any]) -> dict[str, Any]: ...
    def describe(self, name: str) -> dict[str, Any]: ...
    def stop(self, name: str) -> None: ...
    def job(self, name: str) -> JobDefinition: ...


@dataclass(frozen=True)
class DataPlane:
    """Factories of the data-plane components, each called once with the service."""

    endpoints: Callable[[SageMakerService], EndpointFleet]
    transform: Callable[[SageMakerService], TransformRunner]
