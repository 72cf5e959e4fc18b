"""Public entry to the local backend: boto3-shaped clients over one workspace.

    from sagestep.local import client
    sfn = client("stepfunctions", home="./.sagestep")
    sm = client("sagemaker", home="./.sagestep")

Clients of the same workspace in one process share one :class:`LocalRuntime` (one
database, one object store, one engine worker, one Lambda registry).
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sagestep.clock import Clock, SystemClock
from sagestep.workspace import Workspace

if TYPE_CHECKING:
    from collections.abc import Callable

SERVICES = ("stepfunctions", "sagemaker", "sagemaker-runtime", "s3", "logs")


class LocalRuntime:
    """Everything local for one workspace, built lazily, shared by that workspace's clients."""

    def __init__(self, workspace: Workspace, clock: Clock | None = None) -> None:
        self.workspace = workspace
        self.clock: Clock = clock or SystemClock()

    @cached_property
    def object_store(self) -> Any:
        from sagestep.stores.objectstore import LocalObjectStore

        return LocalObjectStore(self.workspace.s3_root)

    @cached_property
    def sagemaker(self) -> Any:
        # jobs and endpoints reach this workspace's S3 through the local AWS API (started on
        # the first job that needs it)
        return sagemaker_service(self.workspace, self.object_store, self.clock,
                                 api_endpoint=self.api_endpoint)

    @cached_property
    def lambdas(self) -> Any:
        from sagestep.engine.lambdas import LambdaRegistry

        return LambdaRegistry(self.workspace)

    @cached_property
    def engine(self) -> Any:
        from sagestep.engine.service import EngineService
        from sagestep.integrations.services import local_integrations
        from sagestep.pipeline import smoke

        # The helper Lambda runs in this process: its smoke tests invoke local endpoints.
        smoke.install(lambda: self.client("sagemaker-runtime"), self._read_text)
        service = EngineService(self.workspace, local_integrations(self), self.clock)
        # Every worker supervises the workspace's jobs: a job whose watching process died is
        # finished by whichever worker runs next (sagemaker/recovery.py).
        service.worker.idle_hooks.append(lambda: self.sagemaker.reconcile())
        return service

    def api_endpoint(self) -> Any:
        """This workspace's live local AWS API (an ApiEndpoint), started here if none answers.

        The local SageMaker takes this as its ``api_endpoint`` callable, so jobs reach S3
        over HTTP whether or not `sagestep server` runs.
        """
        from sagestep.api.server import ensure_api

        return ensure_api(self)

    def _read_text(self, uri: str) -> str:
        from sagestep.stores.objectstore import parse_uri

        bucket, key = parse_uri(uri)
        return bytes(self.object_store.get_bytes(bucket, key)).decode(errors="replace")

    def client(self, service: str) -> Any:
        """A boto3-shaped client for ``service`` over this runtime."""
        if service == "stepfunctions":
            from sagestep.engine.client import LocalStepFunctionsClient

            return LocalStepFunctionsClient(self)
        if service == "sagemaker":
            from sagestep.sagemaker.client import LocalSageMakerClient

            return LocalSageMakerClient(self)
        if service == "sagemaker-runtime":
            from sagestep.serving.runtime_client import LocalSageMakerRuntimeClient

            return LocalSageMakerRuntimeClient(self)
        if service == "logs":
            from sagestep.sagemaker.cwlogs import LocalLogsClient

            svc = self.sagemaker
            return LocalLogsClient(svc.logs, svc.arns.region, svc.arns.account)
        if service == "s3":
            from sagestep.stores.s3client import LocalS3Client

            return LocalS3Client(self.object_store)
        raise ValueError(
            f"no local client for service {service!r}; supported: {', '.join(SERVICES)}"
        )


def sagemaker_service(workspace: Workspace, object_store: Any, clock: Clock,
                      **options: Any) -> Any:
    """The local SageMaker (control plane) with its data plane plugged in: the endpoint
    servers and batch transform of ``sagestep.serving``, which the API must not import."""
    from sagestep.sagemaker.dataplane import DataPlane
    from sagestep.sagemaker.service import SageMakerService
    from sagestep.serving.endpoints import EndpointManager
    from sagestep.serving.transform_job import TransformJobs

    return SageMakerService(workspace, object_store, clock,
                            data_plane=DataPlane(EndpointManager, TransformJobs), **options)


_runtimes: dict[str, LocalRuntime] = {}
_runtimes_lock = threading.Lock()


def runtime(home: str | os.PathLike[str] | None = None) -> LocalRuntime:
    """The process-wide runtime of the workspace at ``home`` (see Workspace.resolve)."""
    ws = Workspace.resolve(home)
    key = str(ws.root)
    with _runtimes_lock:
        if key not in _runtimes:
            _runtimes[key] = LocalRuntime(ws)
        return _runtimes[key]


def client(service: str, home: str | os.PathLike[str] | None = None) -> Any:
    """A boto3-shaped local client: stepfunctions, sagemaker, sagemaker-runtime, s3 or logs
    (CloudWatch Logs reads of job and endpoint logs)."""
    return runtime(home).client(service)


def register_lambda(
    name: str, handler: Callable[[Any, Any], Any] | str, home: str | os.PathLike[str] | None = None
) -> None:
    """Make ``handler`` answer Lambda ``name`` (plain ARN or lambda:invoke) in this workspace.

    ``handler`` is a Python callable ``(event, context) -> result`` (this process only) or an
    import string ``"package.module:function"`` (persisted, so `sagestep server` and other
    processes resolve it too).
    """
    runtime(home).lambdas.register(name, handler)


def run_worker(home: str | os.PathLike[str] | None = None,
               stop: threading.Event | None = None) -> None:
    """Advance the executions of the workspace at ``home`` until ``stop`` is set (blocking).

    Safe alongside other workers on the same workspace.
    """
    runtime(home).engine.serve(stop)
