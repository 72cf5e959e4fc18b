"""`sagestep ui`: the web dashboard over a Backend (local workspace or deployed stack)."""

from __future__ import annotations

import typer

from sagestep.cli import options
from sagestep.errors import BackendError

DEFAULT_PORT = 8600


def ui(
    home: str = options.HomeOption,
    backend: str = options.BackendOption,
    profile: str = options.ProfileOption,
    region: str = options.RegionOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(DEFAULT_PORT, "--port", help="Port to serve on."),
) -> None:
    """Serve the web UI: runs, graphs, logs, approvals, models, endpoints (Ctrl-C stops)."""
    from sagestep.ui.app import serve

    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: serving on {host}: anyone who can reach it can approve runs",
                   err=True)
    chosen = options.backend_from_options(backend, home, profile, region)
    typer.echo(f"sagestep ui on http://{host}:{port}/ ({chosen.kind} backend)")
    try:
        serve(chosen, host, port)
    except OSError as exc:
        raise BackendError(f"cannot serve on {host}:{port}: {exc}; pick another --port") from exc


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command()(ui)
