"""CLI commands for the local Step Functions engine: ``sagestep sfn run|history|send-task-*``.

Thin: each command calls the boto3-shaped local client and prints JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer
from botocore.exceptions import ClientError

from sagestep.cli import options
from sagestep.errors import SagestepError

sfn_app = typer.Typer(name="sfn", help="Run state machines on the local engine.",
                      no_args_is_help=True)

HOME = options.HomeOption
ROLE = "arn:aws:iam::123456789012:role/sagestep-local"


def _runtime(home: str | None, warp: bool = False) -> Any:
    from sagestep.local import runtime

    rt = runtime(options.workspace_home(home))
    if warp:
        from sagestep.engine.timers import WarpClock

        rt.clock = WarpClock()
    return rt


def _read_json(path: Path, what: str) -> str:
    try:
        text = path.read_text()
    except OSError as exc:
        raise SagestepError(f"cannot read {what} {path}: {exc.strerror}") from exc
    try:
        json.loads(text)
    except ValueError as exc:
        raise SagestepError(f"{path}: {what} is not valid JSON ({exc})") from exc
    return text


def _machine_name(path: Path) -> str:
    return re.sub(r"[^0-9A-Za-z_-]", "-", path.stem)[:80] or "machine"


def _importable_from(*folders: Path) -> None:
    """Let handler modules next to the user import as `python -m` would (the console script
    puts only its own bin folder on sys.path)."""
    import sys

    for folder in reversed(folders):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))


@sfn_app.command("run")
def run(
    definition: Path = typer.Argument(..., help="State machine definition (ASL JSON)."),
    input_file: Path = typer.Option(None, "--input", help="Execution input (JSON file)."),
    name: str = typer.Option(None, "--name", help="Execution name (default: a UUID)."),
    lambdas: list[str] = typer.Option(
        [], "--lambda",
        help="NAME=package.module:function, repeatable; the module is found in the current "
             "directory, the definition's folder or on PYTHONPATH."),
    warp: bool = typer.Option(False, "--warp", help="Skip Wait/Retry/poll delays (time is data)."),
    timeout: float = typer.Option(None, "--timeout", help="Give up after this many seconds."),
    home: str = HOME,
) -> None:
    """Run one execution to its end; print {status, output, error, cause}; exit 0 if SUCCEEDED."""
    rt = _runtime(home, warp)
    _importable_from(Path.cwd(), definition.resolve().parent)
    for pair in lambdas:
        fn, sep, target = pair.partition("=")
        if not sep or not fn or ":" not in target:
            raise SagestepError(f"--lambda {pair!r}: expected NAME=package.module:function")
        rt.lambdas.register(fn, target)
    sfn = rt.client("stepfunctions")
    text = _read_json(definition, "definition")
    input_text = _read_json(input_file, "input") if input_file else "{}"
    arn = rt.engine.arns.state_machine(_machine_name(definition))
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "StateMachineDoesNotExist":
            raise
        sfn.create_state_machine(name=_machine_name(definition), definition=text, roleArn=ROLE)
    else:
        sfn.update_state_machine(stateMachineArn=arn, definition=text)
    started = sfn.start_execution(stateMachineArn=arn, name=name, input=input_text)
    rt.engine.wait(started["executionArn"], timeout=timeout)
    desc = sfn.describe_execution(executionArn=started["executionArn"])
    rt.engine.close()
    result = {
        "executionArn": desc["executionArn"],
        "status": desc["status"],
        "output": json.loads(desc["output"]) if "output" in desc else None,
        "error": desc.get("error"),
        "cause": desc.get("cause"),
    }
    typer.echo(json.dumps(result, indent=2))
    if desc["status"] != "SUCCEEDED":
        raise typer.Exit(1)


@sfn_app.command("history")
def history(
    execution_arn: str = typer.Argument(..., help="Execution ARN."),
    as_json: bool = typer.Option(False, "--json", help="Print the raw events as a JSON array."),
    home: str = HOME,
) -> None:
    """Print an execution's history events, oldest first."""
    sfn = _runtime(home).client("stepfunctions")
    events: list[dict[str, Any]] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        if token:
            kwargs["nextToken"] = token
        page = sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            break
    if as_json:
        typer.echo(json.dumps(events, indent=2, default=str))
        return
    for event in events:
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), None)
        line = f"{event['id']:>5} {event['previousEventId']:>5}  {event['timestamp'].isoformat()}  {event['type']}"
        if details:
            line += "  " + json.dumps(details, separators=(",", ":"))
        typer.echo(line)


@sfn_app.command("send-task-success")
def send_task_success(
    token: str = typer.Argument(..., help="Task token ($$.Task.Token)."),
    output: str = typer.Option("{}", "--output", help="Task output (JSON text)."),
    home: str = HOME,
) -> None:
    """Answer a .waitForTaskToken task with success."""
    rt = _runtime(home)
    rt.client("stepfunctions").send_task_success(taskToken=token, output=output)
    rt.engine.close()
    typer.echo("ok")


@sfn_app.command("send-task-failure")
def send_task_failure(
    token: str = typer.Argument(..., help="Task token ($$.Task.Token)."),
    error: str = typer.Option(None, "--error", help="Error name."),
    cause: str = typer.Option(None, "--cause", help="Cause text."),
    home: str = HOME,
) -> None:
    """Answer a .waitForTaskToken task with failure."""
    rt = _runtime(home)
    rt.client("stepfunctions").send_task_failure(taskToken=token, error=error, cause=cause)
    rt.engine.close()
    typer.echo("ok")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(sfn_app, name="sfn")

