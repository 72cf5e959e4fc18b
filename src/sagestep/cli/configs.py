"""`sagestep configs list|versions|diff|rollback`: the registered versions of each pipeline.

The latest version of a pipeline is what its S3 and schedule triggers run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from sagestep.cli import options
from sagestep.cli.pipeline import out
from sagestep.cli.pipeline import table as make_table

configs_app = typer.Typer(
    help="Registered config versions (the latest is what triggers run).", no_args_is_help=True)


def _backend(home: str | None, backend: str, profile: str | None, region: str | None) -> Any:
    return options.backend_from_options(backend, home, profile, region)


def _when(value: Any) -> str:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value or "")


def _running(item: dict[str, Any]) -> str:
    stages = item.get("stages") or {}
    return ", ".join(s for s, b in stages.items() if isinstance(b, dict) and b.get("run")
                     and s != "notify")


def _triggers(item: dict[str, Any]) -> str:
    triggers = item.get("triggers") or {}
    parts = [f"s3://{t.get('bucket')}/{t.get('prefix', '')}*{t.get('suffix', '')}"
             for t in triggers.get("s3") or []]
    parts += [s if isinstance(s, str) else str(s.get("expression")) for s in
              triggers.get("schedules") or []]
    return ", ".join(parts) or "manual only"


@configs_app.command("list")
def configs_list(
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Each pipeline's latest version (what its triggers run)."""
    table = make_table("pipeline", "latest", "registered", "triggers", "stages")
    for item in sorted(_backend(home, backend, profile, region).configs(),
                       key=lambda i: str(i["name"])):
        table.add_row(str(item["name"]), str(item.get("version", "")), _when(item.get("created")),
                      _triggers(item), _running(item))
    out().print(table)


@configs_app.command("versions")
def configs_versions(
    name: str = typer.Argument(..., help="Pipeline name."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Every version of a pipeline, oldest first; the last one is what triggers run."""
    from sagestep.backends.versions import digest, history

    items = history(_backend(home, backend, profile, region), name)
    first: dict[str, str] = {}
    table = make_table("version", "registered", "content", "same as", "stages")
    for item in items:
        mark = digest(item)
        same = first.setdefault(mark, str(item["version"]))
        table.add_row(str(item["version"]) + (" (latest)" if item is items[-1] else ""),
                      _when(item.get("created")), mark,
                      "" if same == str(item["version"]) else f"v{same}", _running(item))
    out().print(table)


@configs_app.command("diff")
def configs_diff(
    name: str = typer.Argument(..., help="Pipeline name."),
    old: int = typer.Argument(..., help="Older version."),
    new: int = typer.Argument(..., help="Newer version."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Show how two versions differ (unified diff of the stored config)."""
    from sagestep.backends.versions import diff

    text = diff(_backend(home, backend, profile, region), name, old, new)
    out().print(text.rstrip("\n") if text else f"{name} v{old} and v{new} are the same")


@configs_app.command("rollback")
def configs_rollback(
    name: str = typer.Argument(..., help="Pipeline name."),
    version: int = typer.Argument(..., help="The version to make current again."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Make an old version current again: it is stored as a new latest version."""
    from sagestep.backends.versions import rollback

    new = rollback(_backend(home, backend, profile, region), name, version)
    out().print(f"{name} version {new} is a copy of version {version}; triggers now run it")


def register(app: typer.Typer) -> None:
    """Add the configs group to the root app."""
    app.add_typer(configs_app, name="configs")
