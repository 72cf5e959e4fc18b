"""`sagestep server`: the long-running local worker.

It advances executions (the engine worker), restores endpoints, fires schedules, watches
the local object store for uploads and serves the local AWS API (S3, SageMaker, Step
Functions) on loopback. Everything it does is durable in the workspace, so it
can be stopped (Ctrl-C) and restarted at any time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from sagestep.cli import options

POLL_SECONDS = 1.0


def serve(
    backend: Any, stop: threading.Event, console: Console, *, poll: float = POLL_SECONDS,
    watch: bool = True, schedules: bool = True, now: Callable[[], float] = time.time,
    api: tuple[str, int] | None = None,
    ui_port: int = 0,
) -> None:
    """Run engine, endpoints, schedules, watcher and (``api`` = host, port) the AWS API
    until ``stop`` is set."""
    from sagestep.triggers.scheduler import Scheduler
    from sagestep.triggers.watcher import Watcher

    runtime = backend.runtime
    engine = runtime.engine
    scheduler = watcher = api_server = web = None
    try:  # everything inside: Ctrl-C at any point still closes what was opened
        backend.state_machine_arn  # noqa: B018 - create/update the generic machine first
        console.print(f"workspace {runtime.workspace.root}")
        if api is not None:  # before the worker: the jobs it resumes reach this API
            from sagestep.api.server import ApiServer

            api_server = ApiServer(runtime, *api)
            url = api_server.start().url
            console.print(f"AWS API on {url} (eval \"$(sagestep api env)\" points boto3, the AWS CLI and the SageMaker SDK at it)")
        engine.worker.start()
        console.print("engine worker started")
        console.print(f"endpoints restored: {_restore_endpoints(runtime)}")
        db_path = runtime.workspace.db_path
        if schedules:
            scheduler = Scheduler(db_path, backend.configs, backend.send_event)
        if watch:
            watcher = Watcher(runtime.object_store, db_path, backend.send_event)
            console.print(f"watching {runtime.workspace.s3_root}")
        breaches = _breaches(backend)
        approvals = _approvals(backend)
        web = _start_web(backend, ui_port, console) if ui_port else None
        while not stop.is_set():
            _cycle(scheduler, watcher, console, now())
            _retrain(breaches, console)
            _deploy_approved(approvals, console)
            _reconcile(runtime, console)
            stop.wait(poll)
    finally:
        if web is not None:
            web.should_exit = True
        for part in (scheduler, watcher):
            if part is not None:
                part.close()
        if api_server is not None:
            api_server.stop()
        engine.close()
        console.print("server stopped")


def _cycle(scheduler: Any, watcher: Any, console: Console, now: float) -> None:
    from sagestep.errors import SagestepError

    if scheduler is not None:
        for rule, _at in scheduler.tick(now):
            console.print(f"schedule {rule} fired")
    if watcher is not None:
        try:
            results = watcher.scan()
        except SagestepError as exc:  # one bad event must not stop the server
            console.print(f"watcher: {exc}", markup=False)
            return
        for refs in results:
            for ref in refs or []:
                console.print(f"started {ref.name} ({ref.pipeline})")


def _breaches(backend: Any) -> Any:
    # Monitoring breaches start retraining through the router (AWS: an EventBridge rule).
    from sagestep.backends.breaches import BreachSweep

    sfn = backend.runtime.client("stepfunctions")
    return BreachSweep(sfn, backend.state_machine_arn, backend.send_event)


def _retrain(breaches: Any, console: Console) -> None:
    from sagestep.errors import SagestepError

    try:
        started = breaches.scan()
    except SagestepError as exc:  # a retrain pipeline that is not registered, for example
        console.print(f"breach: {exc}", markup=False)
        return
    for ref in started:
        console.print(f"retraining {ref.name} ({ref.pipeline}) started by a monitoring breach")


def _start_web(backend: Any, port: int, console: Console) -> Any:
    """The web UI under /ui on 127.0.0.1:``port``, served from a thread."""
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from sagestep.ui.app import create_app, warm

    sock = socket.socket()
    try:  # bound here, so a busy port is a message and the worker still runs
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        console.print(f"web UI not started: 127.0.0.1:{port}: {exc.strerror}; "
                      "pass --ui-port with a free port (0: no UI)")
        return None
    warm(backend)
    app = Starlette(routes=[Mount("/ui", app=create_app(backend))])
    web = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    threading.Thread(target=web.run, kwargs={"sockets": [sock]}, name="sagestep-ui",
                     daemon=True).start()
    console.print(f"web UI on http://127.0.0.1:{port}/ui/")
    return web


def _reconcile(runtime: Any, console: Console) -> None:
    # Continuously, not only at start-up: a worker that died (kill -9 of `sagestep run`) leaves
    # endpoint deployments and queued jobs that this server takes over.
    from sagestep.errors import SagestepError
    from sagestep.sagemaker.endpoints_api import reconcile_endpoints

    try:
        reconcile_endpoints(runtime)
        runtime.sagemaker.runner.dispatch()
    except (SagestepError, OSError) as exc:
        console.print(f"reconcile: {exc}", markup=False)


def _approvals(backend: Any) -> Any:
    # Registry approvals start deploy pipelines through the router (AWS: an EventBridge rule).
    from sagestep.backends.package_events import PackageEventSweep

    return PackageEventSweep(backend.runtime.sagemaker.events, backend.send_event)


def _deploy_approved(approvals: Any, console: Console) -> None:
    from sagestep.errors import SagestepError

    try:
        started = approvals.scan()
    except SagestepError as exc:  # a malformed event or registered config: say so, go on
        console.print(f"model package event: {exc}", markup=False)
        return
    for ref in started:
        if not ref.duplicate:
            console.print(f"started {ref.name} ({ref.pipeline}) for an approved model package")


def _restore_endpoints(runtime: Any) -> int | None:
    # Jobs and endpoints are processes: after a restart, re-attach to (or fail) the jobs a
    # dead worker left running, and bring InService endpoints back.
    from sagestep.sagemaker.endpoints_api import restore_endpoints

    runtime.sagemaker.recover()
    return len(restore_endpoints(runtime))


def server(
    home: str = options.HomeOption,
    poll: float = typer.Option(POLL_SECONDS, "--poll", help="Seconds between watcher/schedule checks."),
    watch: bool = typer.Option(True, "--watch/--no-watch", help="Watch the local object store."),
    schedules: bool = typer.Option(True, "--schedules/--no-schedules", help="Fire cron/rate schedules."),
    api: bool = typer.Option(True, "--api/--no-api", help="Serve the local AWS API."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address the AWS API listens on "
                             "(loopback only by default; anyone who can reach it still needs the keys)."),
    api_port: int = typer.Option(0, "--api-port", help="Port of the AWS API (0: any free port, "
                                 "printed and written to <workspace>/api.json)."),
    ui_port: int = typer.Option(8600, "--ui-port", help="Serve the web UI at /ui on this port (0: off)."),
) -> None:
    """Run the local worker: engine, endpoints, schedules, object-store watcher (Ctrl-C stops)."""
    backend = options.backend_from_options("local", home)
    stop = threading.Event()
    console = Console(highlight=False, soft_wrap=True, markup=False)
    try:
        serve(backend, stop, console, poll=poll, watch=watch, schedules=schedules,
              api=(host, api_port) if api else None, ui_port=ui_port)
    except KeyboardInterrupt:
        stop.set()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command()(server)
