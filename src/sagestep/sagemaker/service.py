"""The local SageMaker service of one workspace: stores, validator, job runner, components.

``SageMakerService(workspace, object_store, clock, data_plane=...)`` is built once per
workspace by ``sagestep.local.LocalRuntime``. The boto3-shaped :class:`~sagestep.sagemaker.
client.LocalSageMakerClient` is a thin layer of API mixins over it. The endpoint servers and
batch transform (``sagestep.serving``) are handed in as a :class:`~sagestep.sagemaker.
dataplane.DataPlane`: this package does not import serving.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from sagestep.clock import Clock
from sagestep.errors import ServiceError
from sagestep.sagemaker.arns import Arns
from sagestep.sagemaker.capacity import Capacity, read_slots
from sagestep.sagemaker.dataplane import DataPlane, EndpointFleet, TransformRunner
from sagestep.sagemaker.events import EventLog
from sagestep.sagemaker.jobenv import ApiAccess
from sagestep.sagemaker.logs import LogStore
from sagestep.sagemaker.records import RecordStore
from sagestep.sagemaker.runner import JobRunner
from sagestep.sagemaker.sandbox import BWRAP, UNSANDBOXED_WARNING, choose_mode
from sagestep.sagemaker.validation import RequestValidator
from sagestep.stores.objectstore import LocalObjectStore
from sagestep.workspace import Workspace

SANDBOX_ENV = "SAGESTEP_SANDBOX"
UNISOLATED_ENV = "SAGESTEP_ALLOW_UNISOLATED"
PYTHON_ENV = "SAGESTEP_PYTHON"
_NO_DATA_PLANE = ("this local SageMaker service was built without a data plane, so it runs no "
                  "{what}; build it with sagestep.local.sagemaker_service(...) (or use "
                  "sagestep.local.client)")
RECONCILE_S = 1.0  # how often an idle worker looks for jobs whose watcher died


class SageMakerService:
    """Everything the local SageMaker API needs for one workspace."""

    def __init__(
        self, workspace: Workspace, object_store: LocalObjectStore, clock: Clock, *,
        sandbox: str | None = None, stop_grace_s: float = 120.0, arns: Arns | None = None,
        recover: bool = True, max_running_jobs: int | None = None,
        data_plane: DataPlane | None = None,
        api_endpoint: Callable[[], ApiAccess | None] | None = None,
        python: str | None = None, allow_unisolated: bool | None = None,
    ) -> None:
        self.workspace = workspace
        self.object_store = object_store
        self.clock = clock
        self.arns = arns or Arns()
        self.records = RecordStore(workspace.db_path)
        self.validator = RequestValidator()
        self.events = EventLog(self.records, clock, self.arns)
        self.logs = LogStore(workspace.root / "logs", clock)
        # Read at construction (the edge), not import: "none" forces mapped paths.
        mode = choose_mode(sandbox if sandbox is not None else os.environ.get(SANDBOX_ENV))
        if mode != BWRAP:
            _warn_unsandboxed()
        if allow_unisolated is None:
            allow_unisolated = os.environ.get(UNISOLATED_ENV, "") in ("1", "true", "yes")
        # "host": every image runs on this Python; "image" (default): per-image environments.
        self.python = python or os.environ.get(PYTHON_ENV) or "image"
        self.api_endpoint: Callable[[], ApiAccess | None] = api_endpoint or (lambda: None)
        # Slots: the explicit argument (tests, CLI edge), else the workspace's setting, else
        # what the machine's cores and memory hold (see capacity.py).
        slots = max_running_jobs if max_running_jobs is not None else read_slots(workspace.root)
        self.runner = JobRunner(self.records, self.logs, clock, workspace.jobs_root, mode,
                                stop_grace_s, Capacity.of_machine(slots),
                                api_endpoint=self.api_endpoint, region=self.arns.region,
                                allow_unisolated=allow_unisolated)
        self.runner.resolver = self._job_definition
        self._reconciled = 0.0
        self._build_components(data_plane)
        if recover:
            self.recover()

    def _build_components(self, data_plane: DataPlane | None) -> None:
        from sagestep.sagemaker.processing import ProcessingJobs
        from sagestep.sagemaker.registry import ModelRegistry
        from sagestep.sagemaker.training import TrainingJobs
        from sagestep.sagemaker.tuning import TuningJobs

        self.training = TrainingJobs(self)
        self.processing = ProcessingJobs(self)
        self.tuning = TuningJobs(self)
        self.registry = ModelRegistry(self)
        # Built on first use, as before: a process that never serves pays nothing for them.
        self._data_plane = data_plane
        self._parts: dict[str, Any] = {}
        self._parts_lock = threading.Lock()

    @property
    def endpoints(self) -> EndpointFleet:
        """The endpoint servers (data plane); ServiceError when built without one."""
        fleet: EndpointFleet = self._part("endpoints")
        return fleet

    @property
    def transform(self) -> TransformRunner:
        """Batch transform (data plane); ServiceError when built without one."""
        runner: TransformRunner = self._part("transform")
        return runner

    def _part(self, name: str) -> Any:
        if self._data_plane is None:
            what = "endpoints" if name == "endpoints" else "batch transform"
            raise ServiceError(_NO_DATA_PLANE.format(what=what))
        with self._parts_lock:
            if name not in self._parts:
                self._parts[name] = getattr(self._data_plane, name)(self)
            return self._parts[name]

    @property
    def sandbox_mode(self) -> str:
        """"bwrap" (job dir mounted at /opt/ml) or "none" (paths mapped)."""
        return self.runner.sandbox_mode

    def _job_definition(self, kind: str, name: str) -> Any:
        from sagestep.sagemaker.recovery import job_definition

        return job_definition(self, kind, name)

    def capacity(self) -> dict[str, int]:
        """Slots in all, in use, and jobs waiting (for `sagestep capacity`)."""
        from sagestep.sagemaker import admission

        with self.records.connection() as conn:
            reserved = admission.endpoint_memory_mb(conn)
            used = admission.used_slots(conn)
            queued = conn.execute("SELECT COUNT(*) FROM sm_runs WHERE state = 'queued'"
                                  ).fetchone()[0]
        return {"slots": self.runner.capacity.total(reserved), "used": used,
                "queued": int(queued), "endpoint_memory_mb": reserved}

    def recover(self) -> None:
        """Take over the jobs and tuning controllers of dead workers (see recovery.py)."""
        from sagestep.sagemaker.recovery import reconcile_jobs

        reconcile_jobs(self)
        self.tuning.resume()
        self.runner.dispatch()  # queued jobs whose worker is gone start here, in order
        self._reconciled = time.monotonic()

    def reconcile(self, every_s: float = RECONCILE_S) -> None:
        """:meth:`recover`, at most every ``every_s`` seconds: called from worker idle loops."""
        if time.monotonic() - self._reconciled >= every_s:
            self._reconciled = time.monotonic()
            self.recover()

    def supervise(self, kind: str, name: str) -> None:
        """Take over job ``name`` now if its watching process died (lazy, on Describe*Job)."""
        from sagestep.sagemaker.recovery import supervise_job

        supervise_job(self, kind, name)

    def get_log_events(self, log_group: str, log_stream: str, **kwargs: Any) -> dict[str, Any]:
        """CloudWatch-shaped log events of one job stream (see logs.py)."""
        return self.logs.get_log_events(log_group, log_stream, **kwargs)


_warned = False


def _warn_unsandboxed() -> None:
    # Once per process, on stderr: the CLI and the server both show it before any job output.
    global _warned
    if not _warned:
        _warned = True
        import sys

        print(UNSANDBOXED_WARNING, file=sys.stderr, flush=True)
