"""CLI commands for pipelines: init, validate, compile, register, run, upload, example.

Run-inspection commands (status, history, logs, approve, models, endpoints) are in
cli/operate.py; both are thin: parse, call a Backend, print.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from sagestep.cli import options
from sagestep.errors import SagestepError


def out() -> Console:
    """A console on stdout (built per call so test capture and pipes work).

    Markup is off: messages carry user and AWS text such as ``[ml.m5.large, ...]`` that must
    print whole; styling goes through ``rich.text.Text``.
    """
    console = Console(highlight=False, soft_wrap=True, markup=False)
    if not console.is_terminal:  # pipes and CI logs: wide enough that tables never truncate
        console.width = 200
    return console


def table(*columns: str, **kwargs: Any) -> Table:
    """A table whose cells wrap instead of being cut with "…" (names must stay copyable)."""
    made = Table(**kwargs)
    for column in columns:
        made.add_column(column, overflow="fold")
    return made


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``k=v`` pairs; values parse as JSON when they can (numbers, booleans), else strings."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SagestepError(f"--param {pair!r}: expected KEY=VALUE, e.g. --param threshold=0.2")
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def init(
    directory: Path = typer.Argument(..., help="Directory to create the use case in."),
    name: str = typer.Option(None, "--name", help="Pipeline name (default: the directory name)."),
    ci: str = typer.Option(None, "--ci", help="Also write a CI file: gitlab or github."),
) -> None:
    """Scaffold a use case: pipeline.yaml, scripts and a README."""
    import os
    import shlex

    from sagestep.cli.scaffold import clean_name, next_steps, scaffold

    chosen = clean_name(name or directory.resolve().name)
    written = scaffold(directory, chosen, ci)
    console = out()
    for path in written:
        console.print(f"created {path}")
    console.print("next (sample data included; the upload starts a run and follows it):")
    if directory.resolve() != Path.cwd().resolve():
        console.print(f"  cd {shlex.quote(os.path.relpath(directory))}")
    for step in next_steps(chosen):
        console.print(f"  {step}")


def validate(config: Path = typer.Argument(..., help="Pipeline config (YAML or JSON).")) -> None:
    """Check a config; errors name file:line and the key path."""
    from sagestep.pipeline.loader import load_config

    item = load_config(config).item
    running = [s for s, block in item["stages"].items() if block.get("run")]
    out().print(f"ok: {item['name']} ({len(running)} stages run: {', '.join(running)})")


def schema(
    field: str = typer.Argument(
        None, help="A key path (stages.training.hyperparameters) or a key (num_round); "
                   "omit for every field."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON Schema instead."),
) -> None:
    """Print the config reference: every field's type, default, description and an example."""
    from sagestep.pipeline.reference import entries, lookup, render

    if as_json:
        from sagestep.pipeline.schema import schema_text

        typer.echo(schema_text().rstrip("\n"))
        return
    found = lookup(field) if field else entries()
    if not found:
        raise SagestepError(f"no config field {field!r}; `sagestep schema` lists them all")
    console = out()
    for entry in found:
        console.print(render(entry))


def compile_(
    output: Path = typer.Option(None, "--output", "--out", "-o", help="Write to this file instead of stdout."),
    helper_function: str = typer.Option(
        None, "--helper-function", help="Name or ARN of the helper Lambda (default sagestep-helper)."
    ),
) -> None:
    """Print the generic state machine (ASL JSON) that runs every pipeline."""
    from sagestep.pipeline.compile import DEFAULT_HELPER, CompileOptions, compile_json

    text = compile_json(CompileOptions(helper_function=helper_function or DEFAULT_HELPER))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        out().print(f"wrote {output}")
    else:
        typer.echo(text.rstrip("\n"))


def register_config(
    config: str = typer.Argument(..., help="Config file, or s3://bucket/key in the object store."),
    name: str = typer.Option(
        None, "--name", help="Register under this pipeline name (default: the config's own)."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Store a config in the registry as a new version (what its triggers run from now on)."""
    done = options.backend_from_options(backend, home, profile, region).register(config, name)
    print_registered(out(), done)


def print_registered(console: Console, done: Any) -> None:
    """``registered NAME version N`` and any importer notes."""
    console.print(f"registered {done.name} version {done.version}")
    for note in getattr(done, "notes", ()):
        console.print(f"  note: {note}", markup=False)


STOP_AT_APPROVAL = typer.Option(
    False, "--stop-at-approval",
    help="Stop following (exit 4) once a run waits for a manual approval, instead of "
         "waiting for someone to answer it.",
)


def run(
    target: str = typer.Argument(..., help="A config file (run as it is) or a pipeline name."),
    date: str = typer.Option(None, "--date", help="Dataset date YYYY-MM-DD (default: today, UTC)."),
    param: list[str] = typer.Option([], "--param", "-p", help="KEY=VALUE run parameter (repeat)."),
    follow_: bool = typer.Option(True, "--follow/--no-follow", help="Show progress until it ends."),
    logs: bool = typer.Option(False, "--logs", help="Print each stage's job logs as it ends."),
    timeout: float = typer.Option(None, "--timeout", help="Stop following after N seconds."),
    stop_at_approval: bool = STOP_AT_APPROVAL,
    object_uri: str = typer.Option(
        None, "--object", help="s3://bucket/key the run is about ({{ trigger.uri }}), as an upload."
    ),
    register_: bool = typer.Option(
        False, "--register",
        help="Register the config file first (its new version becomes what triggers run).",
    ),
    version: int = typer.Option(
        None, "--version", help="Run this registered version of the pipeline (default: latest)."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Start a run and follow it stage by stage.

    A config file runs as it is, without registering it, so what the triggers run does not
    change (--register stores it as the new latest version first). A pipeline name runs its
    latest registered version, or --version N.

    Exit code: 0 succeeded, 1 failed, 3 still running when following stopped, 4 waiting for a
    manual approval (with --stop-at-approval, or when following stopped there).
    """
    from sagestep.backends import versions
    from sagestep.cli.follow import follow_runs

    chosen = options.backend_from_options(backend, home, profile, region)
    console = out()
    params = parse_params(param)
    is_file = Path(target).is_file() or target.startswith("s3://")
    if is_file and version is not None:
        raise SagestepError("--version picks a registered version: give the pipeline name, "
                            "not a file")
    if is_file and register_:
        done = chosen.register(target)
        print_registered(console, done)
        item = chosen.config(done.name)
    elif is_file:
        item = versions.draft(chosen, target, uuid.uuid4().hex[:12])
        console.print(f"running {target} as it is ({item['name']} not registered; "
                      "--register makes it what triggers run)")
    else:
        item = chosen.config(target, version)
    needs_object(item, object_uri)
    ref = chosen.start_item(item, dataset_date=date, params=params, object_uri=object_uri)
    console.print(f"started {ref.name}" + (" (already running)" if ref.duplicate else ""))
    if not follow_:
        return
    (followed,) = follow_runs(chosen, [ref.arn], console, logs=logs, timeout=timeout,
                              stop_at_approval=stop_at_approval)
    if followed.info.status == "SUCCEEDED":
        from sagestep.cli.deployed import print_deployed

        print_deployed(console, chosen, followed.info.name)
    finish(console, followed)


def needs_object(item: dict[str, Any], object_uri: str | None) -> None:
    """A manual run of a config that reads the uploaded object needs --object (fail now,
    not after the first stage retries an empty URI)."""
    import re

    if object_uri:
        return
    text = json.dumps(item.get("stages") or {})
    used = sorted(set(re.findall(r"\{\{\s*(trigger\.(?:uri|key|bucket|filename))\s*\}\}", text)))
    if not used:
        return
    s3 = ((item.get("triggers") or {}).get("s3") or [{}])[0]
    example = f"s3://{s3.get('bucket', 'BUCKET')}/{s3.get('prefix', '')}data.csv"
    raise SagestepError(
        f"{item['name']} reads {{{{ {used[0]} }}}} (the uploaded object) and this run has none: "
        f"add --object {example}, or upload a file with `sagestep upload FILE {example}`"
    )


def finish(console: Console, followed: Any) -> None:
    """Print the run's outcome (a Followed or a RunInfo) and exit 0 only on success."""
    code = outcome(console, followed)
    if code:
        # SystemExit, not typer.Exit: main() runs click with standalone_mode=False, which turns
        # typer.Exit into a return value that main() drops (exit code 0).
        raise SystemExit(code)


def outcome(console: Console, followed: Any) -> int:
    """Print one run's outcome; its exit code: 0 succeeded, 1 failed, 3 still running,
    4 waiting for a manual approval."""
    from sagestep.cli.follow import approval_hint, shorten

    info = getattr(followed, "info", followed)
    if info.status == "SUCCEEDED":
        console.print(f"{info.name} SUCCEEDED")
        return 0
    if info.status == "RUNNING" and getattr(followed, "waiting", False):
        console.print(f"{info.name} {approval_hint(info.name)}", markup=False)
        return 4
    if info.status == "RUNNING":
        console.print(f"{info.name} still RUNNING (follow it with `sagestep status {info.name}`)")
        return 3
    console.print(f"{info.name} {info.status}: {info.error} {shorten(info.cause)}".rstrip(),
                  markup=False)
    return 1


def combined_code(codes: set[int]) -> int:
    """One exit code for several runs: any failure wins, then still running, then waiting."""
    return next((code for code in (1, 3, 4) if code in codes), 0)


def upload(
    source: Path = typer.Argument(..., exists=True, dir_okay=False, help="Local file to upload."),
    destination: str = typer.Argument(..., help="s3://bucket/key in the local object store."),
    follow_: bool = typer.Option(
        True, "--follow/--no-follow",
        help="Follow the runs it starts (else `sagestep server` advances them).",
    ),
    logs: bool = typer.Option(False, "--logs", help="Print each stage's job logs as it ends."),
    timeout: float = typer.Option(None, "--timeout", help="Stop following after N seconds."),
    stop_at_approval: bool = STOP_AT_APPROVAL,
    home: str = options.HomeOption,
) -> None:
    """Put a file into the local object store and send its S3 event to the router.

    Every run it starts is followed at once (each run's outcome is printed as it ends); exit
    codes as for `sagestep run`, the worst over the runs.
    """
    from sagestep.cli.follow import follow_runs
    from sagestep.triggers.watcher import upload as do_upload

    chosen = options.backend_from_options("local", home)
    refs = do_upload(chosen, source, destination)
    console = out()
    console.print(f"uploaded {destination}")
    for ref in refs:
        console.print(f"started {ref.name} ({ref.pipeline})" + (" (duplicate)" if ref.duplicate else ""))
    if not refs:
        console.print("no pipeline's S3 trigger matches this object")
    elif not follow_:
        console.print("the run advances while `sagestep server` runs; see `sagestep status`")
    else:
        codes: dict[str, int] = {}

        def ended(followed: Any) -> None:
            codes[followed.info.arn] = outcome(console, followed)

        from sagestep.cli.deployed import print_deployed

        for followed in follow_runs(chosen, [r.arn for r in refs], console, logs=logs,
                                    timeout=timeout, stop_at_approval=stop_at_approval,
                                    on_end=ended):
            if followed.info.arn not in codes:
                codes[followed.info.arn] = outcome(console, followed)
            if followed.info.status == "SUCCEEDED":
                print_deployed(console, chosen, followed.info.name)
        code = combined_code(set(codes.values()))
        if code:
            raise SystemExit(code)


def trigger(
    event: str = typer.Argument(..., help="Event JSON file ('-' for stdin): any shape the router accepts."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Send an event to the router (S3, schedule, seed 000/002 or manual shapes)."""
    from sagestep.cli.event_file import read_event

    payload = read_event(event)
    refs = options.backend_from_options(backend, home, profile, region).send_event(payload)
    console = out()
    for ref in refs:
        console.print(f"started {ref.name} ({ref.pipeline})" + (" (duplicate)" if ref.duplicate else ""))
    if not refs:
        console.print("the event started no run")
    elif backend == "local":
        console.print("the run advances while `sagestep server` runs; see `sagestep status`")


example_app = typer.Typer(help="Bundled example use cases.", no_args_is_help=True)


@example_app.command("list")
def example_list() -> None:
    """List the bundled examples."""
    from sagestep.cli.bundled import bundled_dir
    from sagestep.cli.examples import names

    for name in names(bundled_dir("examples")):
        out().print(name)


@example_app.command("run")
def example_run(
    name: str = typer.Argument(..., help="Example name, e.g. xgboost-breast-cancer."),
    logs: bool = typer.Option(False, "--logs", help="Print job logs as stages end."),
    timeout: float = typer.Option(None, "--timeout", help="Stop following after N seconds."),
    keep: bool = typer.Option(
        False, "--keep", help="Keep the endpoints it deployed running (default: delete them).",
    ),
    home: str = options.HomeOption,
) -> None:
    """Run a bundled example end to end locally, ending with a prediction if it deploys.

    The endpoints it deploys are deleted at the end (their servers stop) unless --keep."""
    from sagestep.cli.bundled import bundled_dir
    from sagestep.cli.examples import run_example

    run_example(options.backend_from_options("local", home), bundled_dir("examples") / name, out(),
                logs=logs, timeout=timeout, keep=keep)


def register_commands(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(validate)
    app.command()(schema)
    app.command("compile")(compile_)
    app.command("register")(register_config)
    app.command("run")(run)
    app.command("upload")(upload)
    app.command("trigger")(trigger)
    app.add_typer(example_app, name="example")


def register(app: typer.Typer) -> None:
    """Add this module's commands (and cli/operate.py's) to the root app."""
    from sagestep.cli import endpoint_view, operate

    del endpoint_view  # imported for its `endpoints describe` command
    register_commands(app)
    operate.register(app)
