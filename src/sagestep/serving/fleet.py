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
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sagestep.errors import ServiceError
from sagestep.sagemaker.process import alive, proc_start
from sagestep.serving.handler import ServingSpec

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


def _environment(spec: ServingSpec) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SAGEMAKER_"))}
    env.update(spec.environment)
    return env


def start(spec: ServingSpec, workdir: Path, timeout: float,
          log_stream: tuple[Path, str, str] | None = None) -> Server:
    """Start a server for ``spec`` in ``workdir`` and wait for its first healthy /ping.

    ``log_stream`` = (log store root, group, stream) ships the server's output there.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "serving.json").write_text(spec.to_json())
    ready, lease = workdir / "ready.json", workdir / "lease"
    ready.unlink(missing_ok=True)
    lease.touch()
    argv = [sys.executable, "-m", "sagestep.serving.server", "--spec",
            str(workdir / "serving.json"), "--ready", str(ready), "--lease", str(lease)]
    if log_stream is not None:
        root, group, stream = log_stream
        argv += ["--log", str(workdir / "server.log"), str(root), group, stream]
    with (workdir / "server.log").open("ab") as log:
        popen = subprocess.Popen(
            argv,
            cwd=workdir, env=_environment(spec), stdout=log, stderr=subprocess.STDOUT,
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
        return
    os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(server.pid, server.pid_start):
        _reap(server.pid)
        if time.monotonic() > deadline:
            os.kill(server.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    _reap(server.pid)


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
