"""Running the local AWS API: uvicorn on one loopback port, found by others via api.json.

uvicorn (with httptools when installed) is the ASGI server the project already ships for
endpoints; it runs here in a daemon thread on a socket bound before the thread starts, so
the port is known at once and `sagestep server`, `sagestep run` and jobs share one code path.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from sagestep.api import sdk_config
from sagestep.errors import SagestepError
from sagestep.workspace import Workspace

DEFAULT_REGION = "us-east-1"
ACCOUNT = "123456789012"  # the account every local ARN uses (sagemaker/arns.py, engine/names.py)


@dataclass(frozen=True)
class ApiEndpoint:
    """Where a workspace's AWS API answers and the credentials it accepts."""

    url: str
    access_key: str
    secret_key: str
    region: str = DEFAULT_REGION
    sdk_config: str = ""  # the workspace's SageMaker SDK defaults (sdk_config.py), if written

    def env(self) -> dict[str, str]:
        """Environment for boto3, the AWS CLI and the SageMaker SDK (botocore reads
        AWS_DEFAULT_REGION, newer SDKs AWS_REGION: both are set)."""
        env = {
            "AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }
        if self.sdk_config:
            env[sdk_config.ENV_VAR] = self.sdk_config
        return env


class ApiServer:
    """The API of one runtime, served from a daemon thread until ``stop()``."""

    def __init__(self, runtime: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.runtime = runtime
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> ApiEndpoint:
        """Bind, serve in the background, write ``api.json``; returns the endpoint."""
        import uvicorn

        from sagestep.api.app import ApiApp

        ws: Workspace = self.runtime.workspace
        app = ApiApp(self.runtime, ws.api_keys(), DEFAULT_REGION, ACCOUNT)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the
        # protocol says TCP; without it a response's header and body writes meet Nagle's
        # algorithm and the client's delayed ACK (40 ms per small GET).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise SagestepError(
                f"local AWS API: cannot listen on {self.host}:{self.port} ({exc.strerror}); "
                "choose another --api-port or stop the process using it"
            ) from exc
        sock.listen(1024)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="sagestep-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SagestepError("local AWS API did not start; see the log above")
            time.sleep(0.01)
        sdk_config.write(ws.root, DEFAULT_REGION, ACCOUNT)
        endpoint = self.endpoint()
        _write_info(ws, endpoint.url)
        with _lock:  # jobs of this process (ensure_api) use this server, not one of their own
            mine = _started.get(str(ws.root))
            if mine is None or not mine.alive():
                _started[str(ws.root)] = self
        return endpoint

    def endpoint(self) -> ApiEndpoint:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        host = f"[{host}]" if ":" in host else host
        ws: Workspace = self.runtime.workspace
        access, secret = ws.api_keys()
        return ApiEndpoint(f"http://{host}:{self.port}", access, secret, sdk_config=_sdk_config(ws))

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        info = self.runtime.workspace.api_info_path
        try:
            if json.loads(info.read_text()).get("pid") == os.getpid():
                info.unlink()
        except (OSError, ValueError):
            pass


def _write_info(ws: Workspace, url: str) -> None:
    tmp = ws.api_info_path.with_name(f".api.json.{os.getpid()}")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    os.replace(tmp, ws.api_info_path)


def running(ws: Workspace, timeout: float = 1.0) -> ApiEndpoint | None:
    """The API a live process serves for ``ws`` (per api.json), or None."""
    try:
        info = json.loads(ws.api_info_path.read_text())
        url, pid = str(info["url"]), int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, someone else's
    host, _, port = url.removeprefix("http://").rpartition(":")
    conn = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=timeout)
    try:
        conn.request("GET", "/_sagestep/health")
        reply = json.loads(conn.getresponse().read())
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    if reply.get("workspace") != str(ws.root):
        return None
    access, secret = ws.api_keys()
    return ApiEndpoint(url, access, secret, sdk_config=_sdk_config(ws))


def _sdk_config(ws: Workspace) -> str:
    path = ws.root / sdk_config.FILE_NAME
    return str(path) if path.exists() else ""


_started: dict[str, ApiServer] = {}
_lock = threading.RLock()  # ensure_api holds it while the server it starts registers itself


def ensure_api(workspace: Workspace | Any) -> ApiEndpoint:
    """A live API for the workspace: the one api.json names if it answers, else one started
    in a daemon thread of this process.

    ``workspace`` is a LocalRuntime (which then serves the API it starts) or a Workspace;
    with a Workspace only a running API can be returned, since the facade, not this layer,
    builds runtimes (``LocalRuntime.api_endpoint()`` starts one).
    """
    runtime: Any = workspace if hasattr(workspace, "object_store") else None
    ws = cast(Workspace, runtime.workspace if runtime is not None else workspace)
    with _lock:
        mine = _started.get(str(ws.root))
        if mine is not None and mine.alive():
            return mine.endpoint()
        found = running(ws)
        if found is not None:
            return found
        if runtime is None:
            raise SagestepError(
                f"no local AWS API answers for workspace {ws.root}: start `sagestep server`, "
                "or call ensure_api with the workspace's LocalRuntime (runtime.api_endpoint())"
            )
        return ApiServer(runtime).start()  # which registers it in _started
