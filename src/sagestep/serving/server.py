"""The model server process of one endpoint variant (the container's ``serve``).

``python -m sagestep.serving.server --spec serving.json --ready ready.json`` loads the model
once, listens on 127.0.0.1 (a free port unless ``--port``/``SAGEMAKER_BIND_TO_PORT``),
writes ``{"port", "pid"}`` to the ready file, and answers GET /ping, POST /invocations and
GET /execution-parameters. SIGTERM drains: no new connections, idle keep-alive connections
closed, requests in progress answered, then exit (AWS sends SIGKILL 30 s later).
A ``--lease`` file that disappears stops the server too, so an endpoint whose workspace
was deleted does not leave an orphan process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

from sagestep.algorithms import BUILTINS
from sagestep.serving.handler import Handler, InvocationError, ServingSpec, load_handler
from sagestep.serving.logship import LogShipper
from sagestep.serving.protocol import INTERNAL_ERROR, HttpProtocol, Limits, Request, Response

DRAIN_SECONDS = 30.0
LEASE_POLL_SECONDS = 2.0


class ServingApp:
    """The serving contract's routes over one handler."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def __call__(self, request: Request) -> Response:
        if request.path == "/invocations" and request.method == "POST":
            return self.invocations(request)
        if request.path == "/ping" and request.method == "GET":
            return Response(200)
        if request.path == "/execution-parameters" and request.method == "GET":
            parameters = self.handler.execution_parameters()
            if parameters is None:
                return Response(404, b"no execution parameters", "text/plain")
            return Response(200, json.dumps(parameters).encode(), "application/json")
        return Response(404, f"no route {request.method} {request.path}".encode(), "text/plain")

    def invocations(self, request: Request) -> Response:
        headers = request.headers
        try:
            reply = self.handler.invoke(
                request.body, headers.get("content-type"), headers.get("accept")
            )
        except InvocationError as exc:
            if exc.status >= 500:  # the reason (often a traceback) goes to the log only
                print(f"invocation failed ({exc.status}): {exc.message}", file=sys.stderr,
                      flush=True)
                return Response(exc.status, INTERNAL_ERROR, "text/plain")
            return Response(exc.status, exc.message.encode(), "text/plain")
        extra: tuple[tuple[str, str], ...] = ()
        attributes = headers.get("x-amzn-sagemaker-custom-attributes")
        if attributes is not None:
            extra = (("X-Amzn-SageMaker-Custom-Attributes", attributes),)
        return Response(reply.status, reply.body, reply.content_type, extra)


async def serve(app: ServingApp, sock: socket.socket, ready: Path | None,
                lease: Path | None, limits: Limits) -> None:
    """Accept on ``sock`` until SIGTERM/SIGINT or the lease file goes, then drain."""
    loop = asyncio.get_running_loop()
    connections: set[HttpProtocol] = set()
    server = await loop.create_server(
        lambda: HttpProtocol(app, connections, limits), sock=sock, backlog=1024,
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        partial = ready.with_suffix(".tmp")
        partial.write_text(json.dumps({"port": bound, "pid": os.getpid()}))
        partial.replace(ready)
    print(f"worker {os.getpid()} serving on port {bound}", flush=True)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), LEASE_POLL_SECONDS)
        except TimeoutError:
            if lease is not None and not lease.exists():
                print(f"lease {lease} is gone; stopping", flush=True)
                break
    server.close()
    for connection in list(connections):
        connection.shutdown()
    deadline = loop.time() + DRAIN_SECONDS
    while connections and loop.time() < deadline:
        await asyncio.sleep(0.01)
    print("stopped", flush=True)


def limits(environment: Mapping[str, str]) -> Limits:
    """The connection limits: defaults, overridden by the variant's environment.

    ``SAGEMAKER_MAX_PAYLOAD_IN_MB`` raises the body limit (batch transform's MaxPayloadInMB
    goes up to 100); the ``SAGESTEP_HTTP_*`` variables tune the timeouts and connection cap.
    """
    default = Limits()
    payload = _number(environment, "SAGEMAKER_MAX_PAYLOAD_IN_MB", 0) * 1024 * 1024
    return Limits(
        max_body=int(max(payload, default.max_body)),
        max_head=default.max_head,
        read_timeout=_number(environment, "SAGESTEP_HTTP_READ_TIMEOUT", default.read_timeout),
        keepalive_timeout=_number(environment, "SAGESTEP_HTTP_KEEPALIVE_TIMEOUT",
                                  default.keepalive_timeout),
        max_connections=int(_number(environment, "SAGESTEP_HTTP_MAX_CONNECTIONS",
                                    default.max_connections)),
    )


def _number(environment: Mapping[str, str], name: str, default: float) -> float:
    raw = environment.get(name) or ""
    try:
        value = float(raw) if raw else default
    except ValueError:
        print(f"ignoring {name}={raw!r}: not a number", file=sys.stderr, flush=True)
        return default
    return value if value > 0 else default


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sagestep.serving.server")
    parser.add_argument("--spec", type=Path, help="serving.json written by the endpoint manager")
    parser.add_argument("--handler", help="built-in algorithm name (the container's serve)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "0")))
    parser.add_argument("--ready", type=Path)
    parser.add_argument("--lease", type=Path)
    parser.add_argument("--log", nargs=4, metavar=("FILE", "ROOT", "GROUP", "STREAM"),
                        help="ship FILE (this server's output) into log stream GROUP/STREAM")
    return parser.parse_args(argv)


def _spec(args: argparse.Namespace) -> ServingSpec:
    if args.spec is not None:
        return ServingSpec.from_json(args.spec.read_text())
    algorithm = BUILTINS[args.handler]
    base = Path(os.environ.get("SAGEMAKER_BASE_DIR") or "/opt/ml")
    model_dir = os.environ.get("SM_MODEL_DIR") or str(base / "model")
    return ServingSpec(model_dir=model_dir, environment=dict(os.environ),
                       builtin_handler=algorithm.serving_handler)


def _fork_workers(count: int) -> list[int] | None:
    """Fork ``count - 1`` workers sharing the listening socket (gunicorn's pre-fork model).

    Returns the children's pids in the parent, None in a child. Forking happens before the
    model is loaded: XGBoost/OpenMP thread pools do not survive a fork.
    """
    children = []
    for _ in range(count - 1):
        pid = os.fork()
        if pid == 0:
            return None
        children.append(pid)
    return children


def _stop_workers(children: list[int]) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _ship_logs(log: list[str] | None) -> LogShipper | None:
    if not log:
        return None
    source, root, group, stream = log
    shipper = LogShipper(Path(source), Path(root), group, stream)
    shipper.start()
    return shipper


def _stop_shipping(shipper: LogShipper | None) -> None:
    if shipper is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        shipper.halt.set()
        shipper.join(5)


def main(argv: list[str] | None = None) -> int:
    """Load the model, then serve; exit 1 with the reason on stderr if the model cannot load.

    ``SAGEMAKER_MODEL_SERVER_WORKERS`` worker processes share one socket (default 1 locally:
    AWS's default, one per CPU, would compete with everything else on a developer machine).
    """
    args = _parse(sys.argv[1:] if argv is None else argv)
    spec = _spec(args)
    os.environ.update(spec.environment)
    sock = socket.create_server((args.host, args.port), backlog=1024)
    workers = max(1, int(spec.environment.get("SAGEMAKER_MODEL_SERVER_WORKERS") or 1))
    children = _fork_workers(workers)
    shipper = _ship_logs(args.log) if children is not None else None
    try:
        handler = load_handler(spec)
    except Exception as exc:  # reported as the endpoint's FailureReason
        print(f"model server failed to start: {type(exc).__name__}: {exc}", file=sys.stderr,
              flush=True)
        if children:
            _stop_workers(children)
        _stop_shipping(shipper)
        return 1
    # Everything loaded so far (frameworks, the model) lives as long as the process: keep it
    # out of the cyclic GC so a full collection never stalls a request (p99 latency).
    gc.collect()
    gc.freeze()
    ready = args.ready if children is not None else None  # the parent reports readiness
    try:
        asyncio.run(serve(ServingApp(handler), sock, ready, args.lease,
                          limits(spec.environment)))
    finally:
        if children:
            _stop_workers(children)
        _stop_shipping(shipper)
    return 0


if __name__ == "__main__":
    sys.exit(main())
