"""Backend selection for CLI commands: ``--backend local|aws`` and ``--home``.

The AWS backend reads its settings (table, state machine, endpoint URL) at this edge only;
see ``sagestep.backends.aws.AwsBackend.from_options``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from sagestep.errors import BackendError

HomeOption = typer.Option(
    None, "--home",
    help="Local workspace (default: the nearest .sagestep here or above, else $SAGESTEP_HOME, "
         "else a new ./.sagestep).",
)
BackendOption = typer.Option("local", "--backend", help="local (default) or aws.")
ProfileOption = typer.Option(None, "--profile", help="AWS profile (--backend aws).")
RegionOption = typer.Option(None, "--region", help="AWS region (--backend aws).")

# Tests swap this to hand commands a fake backend.
factory: Callable[..., Any] | None = None


def backend_from_options(
    backend: str = "local", home: str | None = None, profile: str | None = None,
    region: str | None = None,
) -> Any:
    """The Backend the command should talk to."""
    if factory is not None:
        return factory(backend=backend, home=home)
    if backend == "local":
        from sagestep.backends.local import LocalBackend

        return LocalBackend(workspace_home(home))
    if backend == "aws":
        try:
            from sagestep.backends.aws import AwsBackend
        except ImportError as exc:
            raise BackendError("the AWS backend is not available in this installation") from exc
        return AwsBackend.from_options(profile=profile, region=region)
    raise BackendError(f"unknown backend {backend!r}; use --backend local or --backend aws")



_announced: set[str] = set()


def workspace_home(home: str | None) -> str:
    """The local workspace a command uses; says on stderr which one unless it is ./.sagestep
    (or given with --home), so `sagestep status` in a subdirectory is never silently empty."""
    from pathlib import Path

    from sagestep.workspace import DEFAULT_HOME, FOUND, FROM_ENV, NEW, discover

    ws, how = discover(home)
    root = str(ws.root)
    if root not in _announced:
        _announced.add(root)
        note = None
        if how == NEW:
            note = f"created workspace {root} (runs, jobs and endpoints live there)"
        elif how == FOUND and ws.root != Path.cwd().resolve() / DEFAULT_HOME:
            note = f"workspace: {root} (found above the current directory)"
        elif how == FROM_ENV:
            note = f"workspace: {root} (from $SAGESTEP_HOME)"
        if note:
            typer.echo(note, err=True)
    ws.ensure()
    return root
