"""CLI commands for runs and their products: status, history, logs,
models (list, describe, approve), endpoints (list, invoke, delete)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from sagestep.backends.base import WAITING_FOR_APPROVAL
from sagestep.cli import options
from sagestep.cli.follow import run_status, shorten, stage_line
from sagestep.cli.pipeline import out
from sagestep.cli.pipeline import table as make_table


def status(
    run: str = typer.Argument(None, help="Execution name or ARN (omit to list recent runs)."),
    pipeline: str = typer.Option(None, "--pipeline", help="Only runs of this pipeline."),
    limit: int = typer.Option(20, "--limit", help="How many runs to list."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Show one run stage by stage, or list recent runs."""
    chosen = options.backend_from_options(backend, home, profile, region)
    console = out()
    if run is None:
        table = make_table("run", "pipeline", "status", "started", "version")
        for info in chosen.list_runs(pipeline, limit):
            table.add_row(info.name, info.pipeline, info.status, _when(info.start),
                          str(info.config_version or ""))
        console.print(table)
        return
    info = chosen.describe_run(run)
    version = info.config_version
    shown = "draft (not registered)" if version == "draft" else f"v{version}"
    stages = chosen.stages(run)
    console.print(f"{info.name}  {info.pipeline} {shown}  {run_status(info, stages)}")
    for stage in stages:
        console.print("  " + stage_line(stage), markup=False)
        if stage.status == WAITING_FOR_APPROVAL:
            console.print(f"  answer with: sagestep approve {info.name}  |  sagestep reject {info.name}",
                          markup=False)
    _monitoring(chosen, info, console)
    if info.error or info.cause:
        console.print(f"  error: {info.error}: {shorten(info.cause, 2000)}", markup=False)


def _monitoring(backend: Any, info: Any, console: Any) -> None:
    # The monitoring checks' verdicts and their first violations (sagestep monitor report
    # prints them in full).
    from sagestep.backends.monitoring import reports, top

    for item in reports(backend, info):
        line = f"  {item.stage} check: {item.verdict}"
        if item.violations:
            line += " - " + "; ".join(top(v) for v in item.violations[:3])
        console.print(line, markup=False)


def history(
    run: str = typer.Argument(..., help="Execution name or ARN."),
    as_json: bool = typer.Option(False, "--json", help="Print the raw events as JSON."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Print an execution's history events."""
    events = options.backend_from_options(backend, home, profile, region).history(run)
    if as_json:
        typer.echo(json.dumps(events, indent=2, default=str))
        return
    console = out()
    for event in events:
        name = ""
        for key, value in event.items():
            if key.endswith("EventDetails") and isinstance(value, dict):
                name = str(value.get("name") or value.get("resource") or value.get("error") or "")
        console.print(f"{event['id']:>4} {_when(event.get('timestamp'))} {event['type']:<28} {name}"
                      .rstrip(), markup=False)


def logs(
    run: str = typer.Argument(..., help="Execution name or ARN."),
    stage: str = typer.Option(None, "--stage", help="Only this stage's jobs."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Print the logs of a run's SageMaker jobs."""
    console = out()
    found = False
    for chunk in options.backend_from_options(backend, home, profile, region).logs(run, stage):
        found = True
        console.print(f"--- {chunk.stage} · {chunk.job} ---", markup=False)
        for line in chunk.lines:
            console.print(line, markup=False)
    if not found:
        console.print("no job logs (yet) for this run" + (f" and stage {stage}" if stage else ""))


models_app = typer.Typer(help="Registered model packages.", no_args_is_help=True)
endpoints_app = typer.Typer(help="Deployed endpoints.", no_args_is_help=True)


@models_app.command("list")
def models_list(
    group: str = typer.Option(None, "--group", help="Model package group (default: all)."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """List model packages with their approval status."""
    table = make_table("package", "group", "version", "status", "created")
    for pkg in options.backend_from_options(backend, home, profile, region).models(group):
        table.add_row(pkg.get("ModelPackageArn", ""), pkg.get("ModelPackageGroupName", ""),
                      str(pkg.get("ModelPackageVersion", "")), pkg.get("ModelApprovalStatus", ""),
                      _when(pkg.get("CreationTime")))
    out().print(table)


@models_app.command("describe")
def models_describe(
    package: str = typer.Argument(..., help="Model package ARN or name."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Print a model package (metrics, lineage, approval) as JSON."""
    described = options.backend_from_options(backend, home, profile, region).model(package)
    described.pop("ResponseMetadata", None)
    typer.echo(json.dumps(described, indent=2, default=str))


@models_app.command("approve")
def models_approve(
    package: str = typer.Argument(..., help="Model package ARN or name."),
    status_: str = typer.Option("Approved", "--status", help="Approved, Rejected or PendingManualApproval."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Set a model package's approval status."""
    done = options.backend_from_options(backend, home, profile, region).approve_model(package, status_)
    out().print(f"{done.get('ModelPackageArn', package)} {done.get('ModelApprovalStatus', status_)}")


@endpoints_app.command("list")
def endpoints_list(
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """List endpoints, their status and (local) the memory their servers hold, then each
    model server process (variant, generation, pid, memory)."""
    from sagestep.cli.deployed import memory_text

    chosen = options.backend_from_options(backend, home, profile, region)
    table = make_table("endpoint", "status", "memory", "created", "modified")
    found = chosen.endpoints()
    for ep in found:
        name = ep.get("EndpointName", "")
        table.add_row(name, ep.get("EndpointStatus", ""), memory_text(chosen, name),
                      _when(ep.get("CreationTime")), _when(ep.get("LastModifiedTime")))
    console = out()
    console.print(table)
    if found and chosen.kind == "local":
        console.print("local endpoints are background processes; stop one with "
                      "`sagestep endpoints delete NAME`")
    servers = chosen.endpoint_servers()
    if servers:
        procs = make_table("endpoint", "variant", "generation", "pid", "memory", "state")
        for sv in servers:
            state = ("serving" if sv["Routed"] else "starting or stopping") if sv["Running"] \
                else "exited"
            procs.add_row(sv["EndpointName"], sv["VariantName"], str(sv["Generation"]),
                          str(sv["Pid"]), f"{sv['MemoryMB']} MB", state)
        console.print(procs)


@endpoints_app.command("invoke")
def endpoints_invoke(
    endpoint: str = typer.Argument(..., help="Endpoint name."),
    body: str = typer.Option(None, "--body", help="Request body (text)."),
    file: Path = typer.Option(None, "--file", exists=True, dir_okay=False, help="Read the body from a file ('-' for stdin)."),
    content_type: str = typer.Option("text/csv", "--content-type", help="Request content type."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Send one request to an endpoint and print the response."""
    if body is None and file is None:
        data = sys.stdin.buffer.read()
    else:
        data = body.encode() if body is not None else file.read_bytes()
    answer = options.backend_from_options(backend, home, profile, region).invoke(endpoint, data, content_type)
    typer.echo(answer.decode(errors="replace").rstrip("\n"))


@endpoints_app.command("delete")
def endpoints_delete(
    endpoint: str = typer.Argument(..., help="Endpoint name."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Delete an endpoint (a local one's server stops); its endpoint config and model stay."""
    options.backend_from_options(backend, home, profile, region).delete_endpoint(endpoint)
    out().print(f"deleted endpoint {endpoint}", markup=False)


def workspace(home: str = options.HomeOption) -> None:
    """Print the local workspace commands here use, and why that one (nothing is created)."""
    from sagestep.workspace import FOUND, FROM_ENV, GIVEN, discover

    ws, how = discover(home)
    why = {GIVEN: "given with --home", FOUND: "the nearest .sagestep here or above",
           FROM_ENV: "from $SAGESTEP_HOME"}.get(how, "not created yet: the next command creates it")
    out().print(f"{ws.root}  ({why})")


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value or "")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    for fn in (status, history, logs, workspace):
        app.command()(fn)
    app.add_typer(models_app, name="models")
    app.add_typer(endpoints_app, name="endpoints")
