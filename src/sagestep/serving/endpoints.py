"""Endpoints: deploy an endpoint config as model server processes, switch, delete, restore.

Create: status ``Creating``, a background deployment starts one server per production
variant and, once all answer /ping, publishes their routes and sets ``InService`` (or
``Failed`` with FailureReason). Update is blue/green as on AWS: the new fleet starts next to
the old one, routing switches atomically when it is healthy, then the old servers drain
(SIGTERM) and stop, so no request fails or is dropped; a failed update leaves the old fleet
serving (``InService`` with FailureReason). Endpoints survive restarts: servers are
detached processes and :meth:`EndpointManager.restore` re-attaches to healthy ones and
redeploys the others. [ref: aws-events-and-config.md section 7]
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from typing import TYPE_CHECKING, Any

from sagestep.sagemaker.process import alive, proc_start
from sagestep.serving import fleet, rollout
from sagestep.serving.logship import endpoint_log_group
from sagestep.serving.model_source import container_of, stage_model
from sagestep.serving.routes import Route, RouteTable
from sagestep.serving.traffic import TrafficTable

if TYPE_CHECKING:
    from sagestep.sagemaker.service import SageMakerService

ENDPOINT, CONFIG, MODEL = "endpoint", "endpoint-config", "model"
STATUS = "EndpointStatus"
DEFAULT_STARTUP_TIMEOUT = 240.0  # the platform's 4 minutes to pass /ping
# Invocations that read the old route just before the switch still reach the old server.
SWITCH_GRACE_SECONDS = 0.2
SWEEP_SECONDS = 2.0  # how often a describe of a settled endpoint looks for stray servers


class EndpointManager:
    """Endpoint lifecycles of one service (its ``endpoints``, see sagemaker.dataplane)."""

    def __init__(self, svc: SageMakerService) -> None:
        self._svc = svc
        self.routes = RouteTable(svc.workspace.db_path)
        self.rollouts = rollout.RolloutTable(svc.workspace.db_path)
        self.traffic = TrafficTable(svc.workspace.db_path)
        self._threads: dict[str, threading.Thread] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.owner = (os.getpid(), proc_start(os.getpid()))
        self._swept: dict[str, float] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    def create(self, name: str, config: str) -> None:
        """Start deploying ``config`` for the new endpoint ``name`` (record already Creating)."""
        self._start(name, config, creating=True)

    def update(self, name: str, config: str, deployment: dict[str, Any] | None = None,
               old_config: str = "") -> None:
        """Start a blue/green switch of ``name`` to ``config`` (record already Updating);
        with a BlueGreenUpdatePolicy traffic then shifts by steps (serving.rollout)."""
        if rollout.is_blue_green(deployment):
            assert deployment is not None
            self.rollouts.pending(name, deployment, old_config, config, self.now())
        else:
            self.rollouts.forget(name)
        self._start(name, config, creating=False)

    # --- for serving.rollout -----------------------------------------------------------------

    @property
    def svc(self) -> SageMakerService:
        return self._svc

    def now(self) -> float:
        return float(self._svc.clock.now())

    def lock(self, name: str) -> threading.Lock:
        return self._lock(name)

    def in_service(self, doc: dict[str, Any], config_name: str, started: list[Any]) -> None:
        self._in_service(doc, config_name, started)

    def delete(self, name: str) -> None:
        """Stop every server of ``name`` and forget its routes (record removed by the caller)."""
        with self._lock(name):
            old = {(r.variant, r.generation): r for r in self.routes.routes(name)}
            old.update({(r.variant, r.generation): r for r in self.routes.servers(name)})
            self.routes.forget(name)
            self.rollouts.forget(name)
            self.traffic.forget(name)
        for route in old.values():
            fleet.stop(_server(route), grace=5.0)
        shutil.rmtree(self._svc.workspace.endpoints_root / name, ignore_errors=True)

    def wait(self, name: str, timeout: float | None = None) -> bool:
        """Block until this process's deployment of ``name`` ends (tests, CLI waiters)."""
        with self._guard:
            thread = self._threads.get(name)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def reconcile(self, name: str, doc: dict[str, Any]) -> None:
        """Resume a deployment whose owner process died and stop the servers nothing routes
        (called from DescribeEndpoint and from every worker's cycle); advance a rollout."""
        if doc.get(STATUS) == "Updating" and self._shifting(name):
            rollout.advance(self, name)
            return
        if (doc.get(STATUS) == "Updating" and self._deploying(name) is None
                and rollout.resume_finish(self, name)):
            return
        if doc.get(STATUS) == "RollingBack":
            rollout.finish_rollback(self, name)
            return
        if doc.get(STATUS) not in ("Creating", "Updating"):
            if time.monotonic() - self._swept.get(name, 0.0) > SWEEP_SECONDS:
                self.sweep(name)
            return
        if self._deploying(name) is not None:
            return
        deployment = self.routes.deployment(name)
        self.sweep(name)  # the dead owner's half-started generation goes first
        target = deployment[0] if deployment else doc["EndpointConfigName"]
        self._start(name, target, creating=doc[STATUS] == "Creating", resume=True)

    def reconcile_all(self) -> None:
        """:meth:`reconcile` every endpoint of the workspace."""
        for doc in self._svc.records.list(ENDPOINT):
            self.reconcile(doc["EndpointName"], doc)

    def sweep(self, name: str) -> list[Route]:
        """Stop the servers of ``name`` that no route serves and no live deployment is
        starting (a dead worker's generation): one live generation per variant remains."""
        self._swept[name] = time.monotonic()
        routed = {(r.variant, r.generation) for r in self.routes.routes(name)}
        live = self._deploying(name)
        stopped = []
        for server in self.routes.servers(name):
            if (server.variant, server.generation) in routed or server.generation == live:
                continue
            fleet.stop(_server(server), grace=5.0)
            self.routes.drop_server(server)
            stopped.append(server)
        # A server whose worker died before recording it: its lease goes, so it stops itself.
        for lease in (self._svc.workspace.endpoints_root / name).glob("g*/*/lease"):
            generation = int(lease.parent.parent.name[1:])
            if generation != live and (lease.parent.name, generation) not in routed:
                lease.unlink(missing_ok=True)
        return stopped

    def _shifting(self, name: str) -> bool:
        found = self.rollouts.get(name)
        return found is not None and found.state == "shifting"

    def _deploying(self, name: str) -> int | None:
        """The generation a live process is deploying for ``name`` now, or None."""
        with self._guard:
            thread = self._threads.get(name)
            if thread is not None and thread.is_alive():
                return self.routes.generation(name)
        deployment = self.routes.deployment(name)
        if deployment is None or (deployment[1], deployment[2]) == self.owner:
            return None  # this process's deployment ended (its thread is gone)
        return self.routes.generation(name) if alive(deployment[1], deployment[2]) else None

    def restore(self) -> list[str]:
        """After a restart: keep healthy endpoints, redeploy the rest; returns redeployed names."""
        redeployed = []
        for doc in self._svc.records.list(ENDPOINT):
            name = doc["EndpointName"]
            if doc.get(STATUS) == "Deleting":
                self.delete(name)
                self._svc.records.delete(ENDPOINT, name)
                continue
            if doc.get(STATUS) == "Failed":
                continue
            if doc.get(STATUS) == "RollingBack":  # blue is routed: stop green, InService
                rollout.finish_rollback(self, name)
                continue
            routes = self.routes.routes(name)
            if doc.get(STATUS) == "InService" and routes and all(
                fleet.healthy(_server(r)) for r in routes
            ):
                continue
            if self._deploying(name) is not None or (self._shifting(name) and routes):
                continue  # a live process (maybe this one, from a describe) deploys it
            self.sweep(name)
            deployment = self.routes.deployment(name)
            target = deployment[0] if deployment else doc["EndpointConfigName"]
            self._start(name, target, creating=not routes, resume=True)
            redeployed.append(name)
        for name in redeployed:
            self.wait(name)
        return redeployed

    # --- deployment ----------------------------------------------------------------------------

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def _start(self, name: str, config: str, creating: bool, resume: bool = False) -> None:
        with self._guard:
            running = self._threads.get(name)
            if resume and running is not None and running.is_alive():
                return  # resuming (describe and restore race): this process already deploys it
            generation = self.routes.claim(name, config, self.owner)
            thread = threading.Thread(
                target=self._deploy, args=(name, config, generation, creating),
                name=f"endpoint:{name}", daemon=True,
            )
            self._threads[name] = thread
            thread.start()

    def _deploy(self, name: str, config_name: str, generation: int, creating: bool) -> None:
        started: list[tuple[dict[str, Any], fleet.Server]] = []
        try:
            config = self._svc.records.get(CONFIG, config_name)
            if config is None:
                raise LookupError(f"endpoint config {config_name} no longer exists")
            for variant in config["ProductionVariants"]:
                started.append((variant, self._start_variant(name, generation, variant)))
        except Exception as exc:  # every failure becomes FailureReason, never a stuck status
            for _, server in started:
                fleet.stop(server, grace=1.0)
            self.sweep(name)
            self.rollouts.forget(name)
            self._failed(name, creating, str(exc) or type(exc).__name__)
            return
        self._switch(name, config_name, generation, started)

    def _start_variant(self, name: str, generation: int, variant: dict[str, Any]) -> fleet.Server:
        model = self._svc.records.get(MODEL, variant["ModelName"])
        if model is None:
            raise LookupError(f"Could not find model \"{variant['ModelName']}\".")
        container_of(model)
        workdir = self._svc.workspace.endpoints_root / name / f"g{generation}" / variant[
            "VariantName"]
        spec = stage_model(self._svc, model, workdir)
        timeout = float(variant.get("ContainerStartupHealthCheckTimeoutInSeconds")
                        or DEFAULT_STARTUP_TIMEOUT)
        stream = (self._svc.workspace.root / "logs", endpoint_log_group(name),
                  f"{variant['VariantName']}/g{generation}")
        try:
            server = fleet.start(spec, workdir, timeout, stream,
                                 fleet.launcher_for(self._svc, spec, model))
        except Exception as exc:
            raise RuntimeError(
                f"The primary container for production variant {variant['VariantName']} did not "
                f"pass the ping health check. {exc}"
            ) from exc
        self.routes.add_server(Route(name, variant["VariantName"], generation, server.port,
                                     server.pid, server.pid_start, 0.0, str(workdir)))
        return server

    def _switch(self, name: str, config_name: str, generation: int,
                started: list[tuple[dict[str, Any], fleet.Server]]) -> None:
        new_routes = [
            Route(name, v["VariantName"], generation, s.port, s.pid, s.pid_start,
                  float(v.get("InitialVariantWeight", 1.0)), str(s.workdir))
            for v, s in started
        ]
        with self._lock(name):
            if self._svc.records.get(ENDPOINT, name) is None:  # deleted while deploying
                for variant, server in started:
                    fleet.stop(server, grace=1.0)
                    self.routes.drop_server(Route(name, variant["VariantName"], generation, 0, 0,
                                                  "", 0.0, ""))
                return
            old = self.routes.routes(name)
            pending = self.rollouts.get(name)
            if old and pending is not None and pending.state == "pending":
                instances = sum(int(v.get("InitialInstanceCount", 1)) for v, _ in started)
                rollout.begin(self, name, generation, new_routes, old, instances)
                return
            self.routes.switch(name, new_routes)
            self._svc.records.update(ENDPOINT, name,
                                     lambda d: self._in_service(d, config_name, started))
        time.sleep(SWITCH_GRACE_SECONDS if old else 0)
        for route in old:
            fleet.stop(_server(route))
            self.routes.drop_server(route)
            if route.generation != generation:
                shutil.rmtree(route.workdir, ignore_errors=True)

    def _in_service(self, doc: dict[str, Any], config_name: str,
                    started: list[tuple[dict[str, Any], fleet.Server]]) -> None:
        now = self._svc.clock.now()
        doc.update({STATUS: "InService", "EndpointConfigName": config_name,
                    "LastModifiedTime": now})
        doc.pop("FailureReason", None)
        doc.pop("PendingDeploymentSummary", None)
        doc["ProductionVariants"] = [_variant_summary(self._svc, v, now) for v, _ in started]

    def _failed(self, name: str, creating: bool, reason: str) -> None:
        def mark(doc: dict[str, Any]) -> None:
            # A failed update rolls back: the old fleet keeps serving (InService + reason).
            doc[STATUS] = "Failed" if creating else "InService"
            doc["FailureReason"] = reason[:1024]
            doc["LastModifiedTime"] = self._svc.clock.now()

        with contextlib.suppress(KeyError):  # deleted meanwhile
            self._svc.records.update(ENDPOINT, name, mark)


def _server(route: Route) -> fleet.Server:
    from pathlib import Path

    return fleet.Server(route.pid, route.pid_start, route.port, Path(route.workdir))


def _variant_summary(svc: SageMakerService, variant: dict[str, Any], now: float) -> dict[str, Any]:
    model = svc.records.get(MODEL, variant["ModelName"]) or {}
    image = container_of(model).get("Image", "") if model else ""
    weight = float(variant.get("InitialVariantWeight", 1.0))
    count = int(variant.get("InitialInstanceCount", 1))
    return {
        "VariantName": variant["VariantName"],
        "DeployedImages": [{"SpecifiedImage": image, "ResolvedImage": image,
                            "ResolutionTime": now}],
        "CurrentWeight": weight, "DesiredWeight": weight,
        "CurrentInstanceCount": count, "DesiredInstanceCount": count,
    }
