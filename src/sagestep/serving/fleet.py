"""Model server processes: start one (wait until it answers /ping), check one, stop one.

Servers run detached (own session, like a container outlives the ``docker`` CLI), so an
endpoint keeps serving when the process that created it exits; the routing table and the
recorded pid+start time let any later process find, check or stop them. Each server holds
a lease file; removing it (or the workspace) makes the server stop itself.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagestep.clock import SystemClock
from sagestep.errors import ServiceError
from sagestep.sagemaker.images import with_sagestep
from sagestep.sagemaker.jobenv import job_environment
from sagestep.sagemaker.logs import LogStore
from sagestep.sagemaker.process import Process, alive, proc_start
from sagestep.sagemaker.runtime import JobRuntime, host_runtime
from sagestep.sagemaker.sandbox import BWRAP, CONTAINER_BASE, NONE, Sandbox
from sagestep.serving.handler import ServingSpec

if TYPE_CHECKING:
    from sagestep.sagemaker.service import SageMakerService

STOP_GRACE_SECONDS = 30.0  # AWS: SIGTERM, then SIGKILL 30 s later
LOG_TAIL = 700


@dataclass(frozen=True)
class Server:
    """A running model server."""

    pid: int
    pid_start: str
    port: int
    workdir: Path


def ping(port: int, timeout: float = 2.0) -> bool:
    """True when GET /ping answers 200 (the platform's health check, 2 s timeout)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/ping")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def log_tail(workdir: Path) -> str:
    """The end of a server's log (for FailureReason)."""
    try:
        text = (workdir / "server.log").read_text(errors="replace")
    except OSError:
        return ""
    # The server's own start-up failure line says it best; else the end of the log.
    for line in reversed(text.splitlines()):
        if line.startswith("model server failed to start:"):
            return line[:LOG_TAIL]
    return text.strip()[-LOG_TAIL:]


@dataclass(frozen=True)
class Launcher:
    """How servers start: the Python they run on, the sandbox mode, the job environment."""

    runtime: JobRuntime
    sandbox_mode: str = NONE
    aws_env: Mapping[str, str] = field(default_factory=dict)


def launcher_for(svc: SageMakerService, spec: ServingSpec, model: Mapping[str, Any]) -> Launcher:
    """The launcher of a model's servers: its image's Python, the service's sandbox, and the
    local AWS API unless the model asked for network isolation."""
    from sagestep.sagemaker.jobenv import aws_environment
    from sagestep.serving.model_source import serving_runtime

    api = None if model.get("EnableNetworkIsolation") else svc.api_endpoint()
    code = Path(spec.code_dir) if spec.code_dir else None  # host paths until the launch
    return Launcher(serving_runtime(svc, spec, model, code_dir=code), svc.sandbox_mode,
                    aws_environment(api, svc.arns.region))


def _command(spec: ServingSpec, workdir: Path, launcher: Launcher,
             log_stream: tuple[Path, str, str] | None) -> tuple[list[str], str, dict[str, str]]:
    """(argv, cwd, env) of a server: in a sandbox its workdir is /opt/ml (model at /opt/ml/model)."""
    box = Sandbox(launcher.sandbox_mode, workdir, _scratch(workdir).rundir)
    inner = _in_container(spec, workdir) if box.mode == BWRAP else spec
    (workdir / "serving.json").write_text(inner.to_json())
    argv = launcher.runtime.module(
        "sagestep.serving.server", "--spec", box.inside("/opt/ml/serving.json"),
        "--ready", box.inside("/opt/ml/ready.json"), "--lease", box.inside("/opt/ml/lease"))
    writable: tuple[str, ...] = ()
    if log_stream is not None:
        root, group, stream = log_stream
        logs = LogStore(root, SystemClock()).path(group, stream).parent
        logs.mkdir(parents=True, exist_ok=True)
        writable = (str(logs),)  # its own log stream only, not the workspace
        argv += ["--log", box.inside("/opt/ml/server.log"), str(root), group, stream]
    # Servers outlive the process that starts them (like a container outlives `docker run`),
    # so no --die-with-parent; the lease file stops them instead.
    command, cwd = box.command(argv, "/opt/ml", False, launcher.runtime, detached=True,
                               writable=writable)
    env = job_environment(launcher.runtime, box, launcher.aws_env, inner.environment)
    return command, cwd, env


def _in_container(spec: ServingSpec, workdir: Path) -> ServingSpec:
    host = str(workdir)

    def inside(value: str) -> str:
        return CONTAINER_BASE + value[len(host):] if value == host or value.startswith(host + "/") else value

    env = {k: inside(v) for k, v in spec.environment.items()}
    return replace(spec, model_dir=inside(spec.model_dir), code_dir=inside(spec.code_dir),
                   environment=env)


def start(spec: ServingSpec, workdir: Path, timeout: float,
          log_stream: tuple[Path, str, str] | None = None,
          launcher: Launcher | None = None) -> Server:
    """Start a server for ``spec`` in ``workdir`` and wait for its first healthy /ping.

    ``log_stream`` = (log store root, group, stream) ships the server's output there;
    ``launcher`` (default: host Python, no sandbox) says where and how it runs.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    ready, lease = workdir / "ready.json", workdir / "lease"
    ready.unlink(missing_ok=True)
    lease.touch()
    argv, cwd, env = _command(spec, workdir, launcher or Launcher(with_sagestep(host_runtime())),
                              log_stream)
    with (workdir / "server.log").open("ab") as log:
        popen = subprocess.Popen(
            argv,
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if popen.poll() is not None:
            raise ServiceError(
                f"the model server exited with code {popen.returncode} before serving: "
                f"{log_tail(workdir)}"
            )
        if time.monotonic() > deadline:
            popen.kill()
            raise ServiceError(f"the model server did not start within {timeout:.0f} s: "
                               f"{log_tail(workdir)}")
        time.sleep(0.02)
    port = int(json.loads(ready.read_text())["port"])
    server = Server(popen.pid, proc_start(popen.pid), port, workdir)
    while not ping(port):
        if popen.poll() is not None or time.monotonic() > deadline:
            stop(server)
            raise ServiceError(
                "the model server did not pass the ping health check: " + log_tail(workdir)
            )
        time.sleep(0.05)
    return server


def healthy(server: Server) -> bool:
    """The recorded process still runs and answers /ping."""
    return alive(server.pid, server.pid_start) and ping(server.port)


def stop(server: Server, grace: float = STOP_GRACE_SECONDS) -> None:
    """Drain and stop: SIGTERM, then SIGKILL after ``grace`` seconds."""
    (server.workdir / "lease").unlink(missing_ok=True)
    if not alive(server.pid, server.pid_start):
        shutil.rmtree(_scratch(server.workdir).rundir, ignore_errors=True)
        return
    # the server itself, also inside a sandbox (bwrap is spared SIGTERM: it would kill it hard)
    proc = Process.adopt(server.pid, server.pid_start, Path())
    proc.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(server.pid, server.pid_start):
        _reap(server.pid)
        if time.monotonic() > deadline:
            proc.signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    _reap(server.pid)
    shutil.rmtree(_scratch(server.workdir).rundir, ignore_errors=True)


def _scratch(workdir: Path) -> Sandbox:
    """The sandbox of the server in ``workdir``: its /tmp and HOME live beside the workdir."""
    return Sandbox(BWRAP, workdir, workdir.parent / f".{workdir.name}.run")


def memory_bytes(server: Server) -> int | None:
    """Resident memory of a live server and its children (Linux /proc), None where unknown."""
    if not alive(server.pid, server.pid_start):
        return None
    total, pids, seen = 0, [server.pid], set()
    while pids:
        pid = pids.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                children = (task / "children").read_text().split()
                pids.extend(int(c) for c in children)
    return total or None


def _reap(pid: int) -> None:
    # Our own child becomes a zombie on exit (still "alive" to kill(0)) until waited for.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
