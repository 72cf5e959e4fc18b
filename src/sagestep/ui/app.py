"""The web UI: a Starlette app over one Backend (local workspace or deployed stack).

``create_app(backend)`` returns an ASGI app; `sagestep ui` serves it alone, `sagestep server`
mounts it under /ui. Pages are HTML rendered here (escaped); a small script (static/app.js)
polls JSON for live updates and sends actions.

Safety: it binds loopback by default; a request whose Host is not the bound host is refused
(DNS rebinding); every action is a POST that must carry the page's per-process token in a
header and, when the browser sends one, an Origin equal to the Host (CSRF).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from sagestep.ui import api, charts, pages

STATIC = Path(__file__).parent / "static"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
COMPARE_DEFAULT = 20


class Guard:
    """Host check on every request; token and same-origin check on every POST."""

    def __init__(self, app: ASGIApp, token: str, hosts: Iterable[str] | None) -> None:
        # hosts None: bound beyond loopback on purpose, any Host name may reach it
        self.app, self.token = app, token
        self.hosts = None if hosts is None else set(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if self.hosts is not None and host.rsplit(":", 1)[0] not in self.hosts:
            await PlainTextResponse(f"host {host!r} is not served here", 421)(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            origin = headers.get("origin")
            if origin is not None and origin.split("://", 1)[-1] != host:
                await _refuse("cross-origin request refused", scope, receive, send)
                return
            if not secrets.compare_digest(headers.get("x-csrf-token", ""), self.token):
                await _refuse("missing or wrong X-CSRF-Token; reload the page", scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _refuse(message: str, scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse({"error": message}, status_code=403)(scope, receive, send)


def create_app(backend: Any, *, hosts: Iterable[str] | None = LOOPBACK,
               token: str | None = None) -> ASGIApp:
    """The UI over ``backend``; ``hosts`` are the Host names it answers to (None: any)."""
    token = token or secrets.token_urlsafe(24)
    handlers = api.make(backend)

    def page(title: Any, name: str, render: Any, data: str = "") -> Any:
        def run(request: Request) -> Response:
            prefix = request.scope.get("root_path", "")
            try:
                body = render(request, prefix)
                status = 200
            except Exception as exc:  # noqa: BLE001 - the backend's message, never a traceback
                body, status = pages.error_body(api.error_message(exc)), 400
            heading = title(request) if callable(title) else title
            return HTMLResponse(pages.layout(prefix, token, heading, name, body, data),
                                status_code=status)
        return run

    def runs_page(request: Request, prefix: str) -> str:
        found = api.filters(request)
        listing = backend.runs_page(**found, limit=50)
        shown = {k: request.query_params.get(k, "") for k in ("pipeline", "status", "since", "until")}
        return pages.runs_body(prefix, listing, shown)

    def run_page(request: Request, prefix: str) -> str:
        return pages.run_body(prefix, backend.run_view(request.path_params["run"], 0))

    def compare_page(request: Request, prefix: str) -> str:
        names = [i["name"] for i in backend.configs()]
        pipeline = request.query_params.get("pipeline") or (names[0] if names else "")
        wanted = [r.strip() for r in request.query_params.get("runs", "").split(",") if r.strip()]
        if wanted:
            infos = [backend.run_view(r).info for r in wanted]
        else:
            infos = list(backend.runs_page(pipeline=pipeline, limit=COMPARE_DEFAULT).runs)
        rows = [(info, backend.run_metrics(info.name)) for info in infos]
        rows = [r for r in rows if r[1]] if not wanted else rows
        return pages.compare_body(prefix, pipeline, names, rows, charts.charts(rows),
                                  ",".join(wanted))

    def models_page(request: Request, prefix: str) -> str:
        return pages.models_body(prefix, backend.model_versions(request.query_params.get("group")))

    def model_page(request: Request, prefix: str) -> str:
        arn = request.query_params.get("arn", "")
        lineage = backend.lineage(arn)
        metrics = backend.run_metrics(lineage["run"]) if lineage.get("run") else {}
        return pages.model_body(prefix, backend.model(arn), lineage, metrics)

    def endpoints_page(request: Request, prefix: str) -> str:
        return pages.endpoints_body(prefix, backend.endpoints())

    def endpoint_page(request: Request, prefix: str) -> str:
        return pages.endpoint_body(prefix, backend.endpoint_detail(request.query_params.get("name", "")))

    routes = [
        Route("/", page("Runs", "runs", runs_page)),
        Route("/runs/{run}", page(lambda r: f"Run {r.path_params['run']}", "run", run_page)),
        Route("/compare", page("Compare runs", "compare", compare_page)),
        Route("/models", page("Models", "models", models_page)),
        Route("/model", page("Model package", "model", model_page)),
        Route("/endpoints", page("Endpoints", "endpoints", endpoints_page)),
        Route("/endpoint", page(lambda r: f"Endpoint {r.query_params.get('name', '')}",
                                "endpoint", endpoint_page)),
        Route("/api/runs", handlers["runs"]),
        Route("/api/runs", handlers["start"], methods=["POST"]),
        Route("/api/runs/{run}/view", handlers["view"]),
        Route("/api/runs/{run}/export", handlers["export"]),
        Route("/api/runs/{run}/stages/{stage}", handlers["stage"]),
        Route("/api/runs/{run}/{action}", handlers["act"], methods=["POST"]),
        Route("/api/jobs/{stage}/{job}", handlers["job"]),
        Route("/api/logs/{job}", handlers["logs"]),
        Route("/api/models/status", handlers["model_status"], methods=["POST"]),
        Route("/api/endpoints/{endpoint}/invoke", handlers["invoke"], methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Guard(Starlette(routes=routes), token, hosts)


def warm(backend: Any) -> None:
    """Build the backend's collaborators once, before threads race to build them."""
    for name in ("runs", "sagemaker", "registry"):
        getattr(backend, name, None)
    runs = getattr(backend, "runs", None)
    if runs is not None:
        runs.state_machine_arn  # noqa: B018


def serve(backend: Any, host: str = "127.0.0.1", port: int = 8600,
          log_level: str = "warning") -> None:
    """Serve the UI until interrupted (uvicorn)."""
    import uvicorn

    warm(backend)
    # On loopback, refuse other Host names (DNS rebinding); bound wider, the user chose so.
    hosts = LOOPBACK if host in ("127.0.0.1", "localhost", "::1") else None
    uvicorn.run(create_app(backend, hosts=hosts), host=host, port=port, log_level=log_level)
