"""LocalBackend: the Backend protocol over one local workspace's boto3-shaped clients.

Runs start the way they do on AWS: an event goes to the router (the same handler code as
the Lambda), which reads the config registry (SQLite here, DynamoDB there) and calls
StartExecution on the generic state machine (the local engine here).
"""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from sagestep.backends.base import Registered, RunRef
from sagestep.backends.common import BackendBase, RegistrySource
from sagestep.backends.runs import Runs
from sagestep.errors import BackendError
from sagestep.triggers.router import Router

STATE_MACHINE_NAME = "sagestep-pipeline"
HELPER_FUNCTION = "sagestep-helper"
HELPER_HANDLER = "sagestep.pipeline.helper:handler"
LOCAL_ROLE = "arn:aws:iam::123456789012:role/sagestep-local"


LOCAL_ENDPOINT_POLL_SECONDS = 1


def local_adjustments(payload: dict[str, Any]) -> None:
    """Local-only tweaks to an execution input, applied after rendering."""
    # A local endpoint is InService in seconds, not minutes: poll it every second instead
    # of the config's AWS-sized interval (default 30 s).
    deploy = (payload.get("stages") or {}).get("deploy")
    if isinstance(deploy, dict) and deploy.get("run") and "wait_seconds" in deploy:
        deploy["wait_seconds"] = min(int(deploy["wait_seconds"]), LOCAL_ENDPOINT_POLL_SECONDS)


class LocalBackend(BackendBase):
    """Configs, runs, models and endpoints of the workspace at ``home``."""

    kind = "local"

    def __init__(self, home: str | os.PathLike[str] | None = None, **parts: Any) -> None:
        # ``parts`` overrides collaborators (tests): runtime, registry, sfn, sagemaker,
        # sagemaker_runtime, logs, clock, definition (instead of the compiled machine).
        self._home = home
        self._parts = parts

    # --- collaborators, built lazily so commands that need little stay fast -----------------

    @cached_property
    def runtime(self) -> Any:
        if "runtime" in self._parts:
            return self._parts["runtime"]
        from sagestep.local import runtime

        return runtime(self._home)

    @cached_property
    def registry(self) -> Any:
        if "registry" in self._parts:
            return self._parts["registry"]
        from sagestep.stores.registry import SQLiteConfigRegistry

        return SQLiteConfigRegistry(self.runtime.workspace.db_path)

    @cached_property
    def sfn(self) -> Any:
        return self._parts.get("sfn") or self.runtime.client("stepfunctions")

    @cached_property
    def sagemaker(self) -> Any:
        return self._parts.get("sagemaker") or self.runtime.client("sagemaker")

    @cached_property
    def sagemaker_runtime(self) -> Any:
        return self._parts.get("sagemaker_runtime") or self.runtime.client("sagemaker-runtime")

    @cached_property
    def state_machine_arn(self) -> str:
        """The generic state machine, created or updated to the current compiled definition."""
        self._register_helper()
        if "definition" in self._parts:  # tests: a small machine instead of the generic one
            definition = json.dumps(self._parts["definition"], sort_keys=True)
        else:
            from sagestep.pipeline.compile import compile_state_machine

            definition = json.dumps(compile_state_machine(), sort_keys=True)
        for machine in self.sfn.list_state_machines().get("stateMachines", []):
            if machine["name"] == STATE_MACHINE_NAME:
                arn = str(machine["stateMachineArn"])
                current = self.sfn.describe_state_machine(stateMachineArn=arn)["definition"]
                if json.loads(current) != json.loads(definition):
                    self.sfn.update_state_machine(stateMachineArn=arn, definition=definition)
                return arn
        created = self.sfn.create_state_machine(
            name=STATE_MACHINE_NAME, definition=definition, roleArn=LOCAL_ROLE
        )
        return str(created["stateMachineArn"])

    def _register_helper(self) -> None:
        if "sfn" in self._parts:  # tests with a fake engine have no Lambda registry
            return
        self.runtime.lambdas.register(HELPER_FUNCTION, HELPER_HANDLER)

    @cached_property
    def router(self) -> Router:
        clock = self._parts.get("clock") or self.runtime.clock
        return Router(RegistrySource(self.registry), self.sfn, self.state_machine_arn, clock.now,
                      adjust=local_adjustments,
                      sagemaker=lambda: self.runtime.client("sagemaker"))

    @cached_property
    def runs(self) -> Runs:
        logs = self._parts.get("logs")
        if logs is None and "sfn" not in self._parts:
            logs = getattr(self.runtime.sagemaker, "logs", None)
        note = None if "sfn" in self._parts else self._waiting_note
        return Runs(self.sfn, lambda: self.state_machine_arn, logs, note)

    def endpoint_servers(self) -> list[dict[str, Any]]:
        """Every recorded model server: endpoint, variant, generation, pid, memory, routed."""
        from sagestep.sagemaker.capacity import rss_mb
        from sagestep.sagemaker.process import alive
        from sagestep.serving.routes import RouteTable

        table = RouteTable(self.runtime.workspace.db_path)
        found = []
        for server in table.servers():
            routed = any(r.generation == server.generation and r.variant == server.variant
                         for r in table.routes(server.endpoint))
            running = alive(server.pid, server.pid_start)
            found.append({"EndpointName": server.endpoint, "VariantName": server.variant,
                          "Generation": server.generation, "Pid": server.pid,
                          "MemoryMB": rss_mb(server.pid) if running else 0,
                          "Routed": routed, "Running": running})
        return found

    def endpoint_rollout(self, endpoint: str) -> dict[str, Any]:
        """The routed generations of ``endpoint`` with their weights, and its last blue/green
        deployment (state and steps) when it had one."""
        from sagestep.serving.rollout import RolloutTable
        from sagestep.serving.routes import RouteTable

        db = self.runtime.workspace.db_path
        routes = [{"VariantName": r.variant, "Generation": r.generation, "Weight": r.weight}
                  for r in RouteTable(db).routes(endpoint)]
        found = RolloutTable(db).get(endpoint)
        last = None if found is None else {
            "State": found.state, "From": found.old_config, "To": found.new_config,
            "Steps": found.log}
        return {"Routes": routes, "Deployment": last}

    def _waiting_note(self, job: str) -> str | None:
        """Why local job ``job`` has not started yet (None when it runs or is unknown)."""
        # The record store alone: a `sagestep status` process must not become a job worker.
        from sagestep.sagemaker.admission import waiting_for

        return waiting_for(self._records, job)

    @cached_property
    def _records(self) -> Any:
        from sagestep.sagemaker.records import RecordStore

        return RecordStore(self.runtime.workspace.db_path)

    # --- configs -----------------------------------------------------------------------------

    def register(self, source: str | Path, name: str | None = None) -> Registered:
        loaded = self.load(source, name)
        item = dict(loaded.item)
        if str(source).startswith("s3://"):
            item["source_uri"] = str(source)  # seed 002's {config: {bucket, prefix}} routes by this
        for upload in loaded.uploads:
            self.upload_code(upload)
        version = int(self.registry.put(item))
        self._put_alarms(item)
        return Registered(str(item["name"]), version, tuple(getattr(loaded, "notes", ())))

    def _put_alarms(self, item: Mapping[str, Any]) -> None:
        """The local side of the CloudWatch alarms Terraform creates on AWS: the thresholds
        of each promotion target's rollback alarms, by the names its DeploymentConfig uses."""
        from sagestep.sagemaker.guardrails import Alarm
        from sagestep.serving.rollout import RolloutTable

        table = RolloutTable(self.runtime.workspace.db_path)
        for target in (item.get("promotion") or {}).get("targets") or []:
            alarms, endpoint = target.get("alarms") or {}, target["endpoint_name"]
            least = int(alarms.get("min_requests") or 5)
            if alarms.get("error_rate") is not None:
                table.put_alarm(Alarm(f"{endpoint}-5xx-errors", error_rate=float(
                    alarms["error_rate"]), min_requests=least))
            if alarms.get("p99_latency_ms") is not None:
                table.put_alarm(Alarm(f"{endpoint}-p99-latency", p99_latency_ms=float(
                    alarms["p99_latency_ms"]), min_requests=least))

    def load(self, source: str | Path, name: str | None = None) -> Any:
        """The LoadedConfig of a config file or an s3:// object (SpecError if invalid)."""
        from sagestep.pipeline.loader import load_config

        text = str(source)
        if not text.startswith("s3://"):
            return load_config(Path(text), name=name)
        from sagestep.stores.objectstore import parse_uri

        bucket, key = parse_uri(text)
        store = self.runtime.object_store
        if not store.exists(bucket, key):
            raise BackendError(f"{text} does not exist in the local object store; upload it first")
        with tempfile.TemporaryDirectory() as tmp:
            local = Path(tmp) / Path(key).name
            local.write_bytes(store.get_bytes(bucket, key))
            return load_config(local, name=name)

    def upload_code(self, upload: Any) -> None:
        """Put a stage's local source_dir where its request points (a tar.gz in script mode)."""
        from sagestep.stores.objectstore import parse_uri

        local = Path(upload.local_path)
        if not local.is_dir():
            raise BackendError(f"source_dir {local} is not a directory (config needs it for {upload.s3_uri})")
        store = self.runtime.object_store
        bucket, key = parse_uri(upload.s3_uri)
        store.create_bucket(bucket)
        if not upload.archive:
            store.upload_dir(local, upload.s3_uri)
            return
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "sourcedir.tar.gz"
            with tarfile.open(archive, "w:gz") as tar:
                for path in sorted(local.rglob("*")):
                    if path.is_file() and "__pycache__" not in path.parts:
                        tar.add(path, arcname=path.relative_to(local).as_posix())
            store.put_file(bucket, key, archive)

    def endpoint_memory(self, endpoint: str) -> int | None:
        """Bytes of memory the endpoint's local server processes hold now (None: none live)."""
        from sagestep.serving.fleet import Server, memory_bytes
        from sagestep.serving.routes import RouteTable

        sizes = [memory_bytes(Server(r.pid, r.pid_start, r.port, Path(r.workdir)))
                 for r in RouteTable(self.runtime.workspace.db_path).routes(endpoint)]
        known = [s for s in sizes if s]
        return sum(known) if known else None

    # --- runs --------------------------------------------------------------------------------

    def start_item(self, item: Mapping[str, Any], **kwargs: Any) -> RunRef:
        if "sfn" not in self._parts:
            self.runtime.sagemaker  # noqa: B018 - warm up now, as send_event does
        return super().start_item(item, **kwargs)

    def send_event(self, event: Mapping[str, Any]) -> list[RunRef]:
        if "sfn" not in self._parts:
            # Building the SageMaker service starts its one-off warm-up (botocore's model)
            # now, in the background, rather than on the first job of the run.
            self.runtime.sagemaker  # noqa: B018
        return super().send_event(event)
