"""Blue/green rollouts of an endpoint update: the persisted deployment and its ticks.

UpdateEndpoint with a DeploymentConfig.BlueGreenUpdatePolicy records a rollout (``pending``)
while the new fleet (green) starts; once it is healthy, green is routed next to blue with
the first step's share of each variant's weight (``shifting``). Every reconcile (each
DescribeEndpoint, each ``sagestep server`` cycle) calls :func:`advance`, which asks
sagemaker.guardrails for one decision from the stored times and green's counted traffic
(serving.traffic): hold, shift to the next step, finish (stop blue, InService on the new
config) or roll back (RollingBack, blue takes all traffic again, InService on the old
config with a FailureReason). Nothing sleeps and a restart resumes from the row; the move
from one state to the next is a compare-and-set, so concurrent reconcilers act once.
"""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagestep.sagemaker.guardrails import Alarm, Step, plan, tick
from sagestep.serving import fleet
from sagestep.serving.routes import Route
from sagestep.stores.sqlite import connect, migrate, transaction

if TYPE_CHECKING:
    from sagestep.serving.endpoints import EndpointManager

COMPONENT = "sagemaker-rollouts"
MIGRATIONS = [
    """
    CREATE TABLE sm_endpoint_rollouts (
        endpoint TEXT PRIMARY KEY, deployment TEXT NOT NULL, state TEXT NOT NULL,
        old_config TEXT NOT NULL, new_config TEXT NOT NULL, new_generation INTEGER NOT NULL,
        weights TEXT NOT NULL, step INTEGER NOT NULL, step_started REAL NOT NULL,
        started REAL NOT NULL, log TEXT NOT NULL);
    CREATE TABLE sm_local_alarms (
        name TEXT PRIMARY KEY, error_rate REAL, p99_latency_ms REAL,
        min_requests INTEGER NOT NULL)
    """,
]
ACTIVE = ("pending", "shifting")
ROLLED_BACK = "Rolled back: "
# Alarm names that no threshold was stored for: the promotion config's naming
# (``<endpoint>-5xx-errors``, ``<endpoint>-p99-latency``) with SageMaker's usual defaults;
# any other name is a CloudWatch alarm that only exists on AWS.
DEFAULT_ERROR_RATE, DEFAULT_P99_MS = 0.05, 1000.0


@dataclass(frozen=True)
class Rollout:
    endpoint: str
    deployment: dict[str, Any]
    state: str
    old_config: str
    new_config: str
    new_generation: int
    weights: dict[str, Any]
    step: int
    step_started: float
    started: float
    log: list[dict[str, Any]]


class RolloutTable:
    """Rollout rows and local alarm thresholds of one workspace database."""

    def __init__(self, db_path: Path) -> None:
        self._conn = connect(db_path)
        self._lock = threading.Lock()
        migrate(self._conn, COMPONENT, MIGRATIONS)

    def get(self, endpoint: str) -> Rollout | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM sm_endpoint_rollouts WHERE endpoint=?",
                                     (endpoint,)).fetchone()
        if row is None:
            return None
        return Rollout(row[0], json.loads(row[1]), row[2], row[3], row[4], row[5],
                       json.loads(row[6]), row[7], row[8], row[9], json.loads(row[10]))

    def pending(self, endpoint: str, deployment: dict[str, Any], old_config: str,
                new_config: str, now: float) -> None:
        with self._lock, transaction(self._conn):
            self._conn.execute(
                "INSERT OR REPLACE INTO sm_endpoint_rollouts VALUES (?, ?, 'pending', ?, ?, 0,"
                " '{}', 0, ?, ?, '[]')",
                (endpoint, json.dumps(deployment), old_config, new_config, now, now))

    def move(self, endpoint: str, state: tuple[str, int], to: tuple[str, int], now: float,
             message: str, **changes: Any) -> bool:
        """Compare-and-set (state, step) -> ``to``, logging ``message``; False if lost."""
        sets = "".join(f", {k}=?" for k in changes)
        with self._lock, transaction(self._conn):
            row = self._conn.execute("SELECT log FROM sm_endpoint_rollouts WHERE endpoint=? AND"
                                     " state=? AND step=?", (endpoint, *state)).fetchone()
            if row is None:
                return False
            log = [*json.loads(row[0]), {"time": now, "step": to[1], "state": to[0],
                                         "message": message}]
            self._conn.execute(
                f"UPDATE sm_endpoint_rollouts SET state=?, step=?, step_started=?, log=?{sets}"
                " WHERE endpoint=?",
                (*to, now, json.dumps(log), *[json.dumps(v) if isinstance(v, dict) else v
                                              for v in changes.values()], endpoint))
        return True

    def put_alarm(self, alarm: Alarm) -> None:
        """Store the local thresholds of the alarm named ``alarm.name``."""
        with self._lock, transaction(self._conn):
            self._conn.execute("INSERT OR REPLACE INTO sm_local_alarms VALUES (?, ?, ?, ?)",
                               (alarm.name, alarm.error_rate, alarm.p99_latency_ms,
                                alarm.min_requests))

    def alarms(self, deployment: dict[str, Any]) -> list[Alarm]:
        """The local alarms of DeploymentConfig ``deployment``'s AutoRollbackConfiguration."""
        found = []
        for item in (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms") or []:
            name = str(item.get("AlarmName", ""))
            with self._lock:
                row = self._conn.execute("SELECT error_rate, p99_latency_ms, min_requests FROM"
                                         " sm_local_alarms WHERE name=?", (name,)).fetchone()
            if row is not None:
                found.append(Alarm(name, row[0], row[1], row[2]))
            elif name.endswith("5xx-errors"):
                found.append(Alarm(name, error_rate=DEFAULT_ERROR_RATE))
            elif name.endswith("p99-latency"):
                found.append(Alarm(name, p99_latency_ms=DEFAULT_P99_MS))
        return found

    def forget(self, endpoint: str) -> None:
        with self._lock, transaction(self._conn):
            self._conn.execute("DELETE FROM sm_endpoint_rollouts WHERE endpoint=?", (endpoint,))


def is_blue_green(deployment: dict[str, Any] | None) -> bool:
    return bool((deployment or {}).get("BlueGreenUpdatePolicy"))


def _steps(rollout: Rollout) -> list[Step]:
    return plan(rollout.deployment, int(rollout.weights.get("instances", 1)))


def _weigh(mgr: EndpointManager, rollout: Rollout, old_generation: int, share: float) -> None:
    weights = {(v, old_generation): w * (1 - share) for v, w in rollout.weights["old"].items()}
    weights.update({(v, rollout.new_generation): w * share
                    for v, w in rollout.weights["new"].items()})
    mgr.routes.reweigh(rollout.endpoint, weights)


def _publish(mgr: EndpointManager, rollout: Rollout, step: Step) -> None:
    """Show the step as AWS does: PendingDeploymentSummary with green's weights and a
    VariantStatus, blue's CurrentWeight its remaining share."""
    from sagestep.serving.endpoints import ENDPOINT

    now = mgr.now()
    variants = (mgr.svc.records.get("endpoint-config", rollout.new_config) or {}).get(
        "ProductionVariants", [])
    pending = {"EndpointConfigName": rollout.new_config, "StartTime": rollout.started,
               "ProductionVariants": [{
                   "VariantName": v["VariantName"],
                   "CurrentWeight": float(v.get("InitialVariantWeight", 1.0)) * step.share,
                   "DesiredWeight": float(v.get("InitialVariantWeight", 1.0)),
                   "CurrentInstanceCount": int(v.get("InitialInstanceCount", 1)),
                   "DesiredInstanceCount": int(v.get("InitialInstanceCount", 1)),
                   "VariantStatus": [{"Status": "Baking", "StatusMessage": step.message,
                                      "StartTime": now}]} for v in variants]}

    def show(doc: dict[str, Any]) -> None:
        doc["PendingDeploymentSummary"] = pending
        for variant in doc.get("ProductionVariants") or []:
            base = float(rollout.weights["old"].get(variant["VariantName"], 0.0))
            variant["CurrentWeight"] = base * (1 - step.share)
    mgr.svc.records.update(ENDPOINT, rollout.endpoint, show)


def begin(mgr: EndpointManager, name: str, generation: int, new_routes: list[Route],
          old: list[Route], instances: int) -> None:
    """Route green next to blue at the first step's share (called with the endpoint lock)."""
    rollout = mgr.rollouts.get(name)
    assert rollout is not None
    weights = {"old": {r.variant: r.weight for r in old},
               "new": {r.variant: r.weight for r in new_routes},
               "old_generation": old[0].generation, "instances": instances}
    now = mgr.now()
    first = plan(rollout.deployment, instances)[0]
    mgr.traffic.forget(name)  # the last rollout's counts go; this one's start from zero
    mgr.routes.add([Route(r.endpoint, r.variant, r.generation, r.port, r.pid, r.pid_start,
                          0.0, r.workdir) for r in new_routes])
    mgr.rollouts.move(name, ("pending", 0), ("shifting", 0), now, first.message,
                      new_generation=generation, weights=weights, started=now)
    fresh = mgr.rollouts.get(name)
    assert fresh is not None
    _weigh(mgr, fresh, old[0].generation, first.share)
    _publish(mgr, fresh, first)


def advance(mgr: EndpointManager, name: str) -> None:
    """One guardrails decision for the shifting rollout of ``name``, applied."""
    rollout = mgr.rollouts.get(name)
    if rollout is None or rollout.state != "shifting":
        return
    steps, now = _steps(rollout), mgr.now()
    metrics = mgr.traffic.metrics(name, rollout.new_generation, rollout.step_started)
    policy = rollout.deployment.get("BlueGreenUpdatePolicy") or {}
    timeout = float(policy.get("MaximumExecutionTimeoutInSeconds") or 0)
    decision = tick(steps, rollout.step, rollout.step_started, rollout.started, now, metrics,
                    mgr.rollouts.alarms(rollout.deployment), timeout)
    old_generation = int(rollout.weights["old_generation"])
    here = ("shifting", rollout.step)
    if decision.action == "shift":
        if mgr.rollouts.move(name, here, ("shifting", decision.index), now,
                             steps[decision.index].message):
            _weigh(mgr, rollout, old_generation, steps[decision.index].share)
            _publish(mgr, rollout, steps[decision.index])
    elif decision.action == "finish":
        if mgr.rollouts.move(name, here, ("finished", rollout.step), now,
                             "Deployment completed; the old fleet stopped."):
            _settle(mgr, rollout, keep=rollout.new_generation, drop=old_generation,
                    config=rollout.new_config, reason=None)
    elif decision.action == "rollback" and mgr.rollouts.move(
            name, here, ("rolled_back", rollout.step), now, ROLLED_BACK + decision.reason):
        _settle(mgr, rollout, keep=old_generation, drop=rollout.new_generation,
                config=rollout.old_config, reason=decision.reason)


def _settle(mgr: EndpointManager, rollout: Rollout, keep: int, drop: int, config: str,
            reason: str | None) -> None:
    """Route only generation ``keep`` at full weight, then stop generation ``drop``."""
    from sagestep.serving.endpoints import ENDPOINT, STATUS, _server

    name, svc = rollout.endpoint, mgr.svc
    side = "new" if keep == rollout.new_generation else "old"
    with mgr.lock(name):
        routes = mgr.routes.routes(name)
        if reason is not None:
            def rolling_back(doc: dict[str, Any]) -> None:
                doc[STATUS] = "RollingBack"
                doc.pop("PendingDeploymentSummary", None)
                for variant in doc.get("ProductionVariants") or []:
                    variant["CurrentWeight"] = variant.get("DesiredWeight", 1.0)
            svc.records.update(ENDPOINT, name, rolling_back)
        mgr.routes.switch(name, [Route(r.endpoint, r.variant, r.generation, r.port, r.pid,
                                       r.pid_start, float(rollout.weights[side][r.variant]),
                                       r.workdir) for r in routes if r.generation == keep])
        mgr.routes.set_config(name, config)
        if reason is None:
            variants = (svc.records.get("endpoint-config", config) or {}).get(
                "ProductionVariants", [])
            svc.records.update(ENDPOINT, name,
                               lambda d: mgr.in_service(d, config, [(v, None) for v in variants]))
    if reason is not None:
        return  # RollingBack until a later reconcile has stopped green (finish_rollback)
    for route in routes:
        if route.generation == drop:
            fleet.stop(_server(route), grace=5.0)
            mgr.routes.drop_server(route)
            shutil.rmtree(route.workdir, ignore_errors=True)


def resume_finish(mgr: EndpointManager, name: str) -> bool:
    """A rollout marked finished whose endpoint is still Updating (its process died while
    stopping blue): settle it again (idempotent). True when there was one."""
    found = mgr.rollouts.get(name)
    if found is None or found.state != "finished":
        return False
    _settle(mgr, found, keep=found.new_generation, drop=int(found.weights["old_generation"]),
            config=found.new_config, reason=None)
    return True


def finish_rollback(mgr: EndpointManager, name: str) -> None:
    """RollingBack -> InService on the old config once green's servers are stopped (the
    sweep stops every server no route serves); the reason is the rollout's last entry."""
    from sagestep.serving.endpoints import ENDPOINT, STATUS

    mgr.sweep(name)
    found = mgr.rollouts.get(name)
    reason = found.log[-1]["message"].removeprefix(ROLLED_BACK) if found and found.log else (
        "the update was rolled back")

    def rolled_back(doc: dict[str, Any]) -> None:
        if doc.get(STATUS) == "RollingBack":
            doc.update({STATUS: "InService", "FailureReason": reason[:1024],
                        "LastModifiedTime": mgr.now()})
    mgr.svc.records.update(ENDPOINT, name, rolled_back)
