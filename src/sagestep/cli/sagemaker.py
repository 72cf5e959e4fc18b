"""CLI commands for local SageMaker jobs: ``sagestep jobs list|describe|logs|stop``.

``sagestep logs RUN`` (cli/operate.py) shows the logs of a pipeline run's jobs; these commands
address one job by name in the local workspace.
"""

from __future__ import annotations

import json
import time
from typing import Any

import typer
from rich.console import Console

from sagestep.cli import options
from sagestep.cli.pipeline import table as make_table

jobs_app = typer.Typer(help="Local SageMaker jobs (training, processing, transform, tuning).",
                       no_args_is_help=True)
console = Console(highlight=False, markup=False)

_KINDS = {"training-job": ("TrainingJobName", "TrainingJobStatus"),
          "processing-job": ("ProcessingJobName", "ProcessingJobStatus"),
          "transform-job": ("TransformJobName", "TransformJobStatus"),
          "tuning-job": ("HyperParameterTuningJobName", "HyperParameterTuningJobStatus")}
_TERMINAL = ("Completed", "Failed", "Stopped")


def _client(home: str | None) -> Any:
    from sagestep.local import client

    return client("sagemaker", home=options.workspace_home(home))


def _find(sm: Any, name: str) -> tuple[str, dict[str, Any]]:
    records = sm._svc.records
    for kind in _KINDS:
        doc = records.get(kind, name)
        if doc is not None:
            return kind, doc
    from sagestep.errors import ServiceError

    raise ServiceError(f"no local job named {name!r}; see `sagestep jobs list`")


@jobs_app.command("list")
def list_jobs(home: str | None = options.HomeOption) -> None:
    """List local jobs, newest last."""
    records = _client(home)._svc.records
    table = make_table("kind", "name", "status", "failure reason")
    rows = []
    for kind, (name_key, status_key) in _KINDS.items():
        for doc in records.list(kind):
            rows.append((doc.get("CreationTime", 0), kind, doc[name_key], doc.get(status_key, ""),
                         (doc.get("FailureReason") or "").splitlines()[0][:80] if doc.get("FailureReason") else ""))
    for row in sorted(rows):
        table.add_row(*row[1:])
    console.print(table)


@jobs_app.command("describe")
def describe(name: str, home: str | None = options.HomeOption) -> None:
    """Print a job's Describe* response as JSON."""
    sm = _client(home)
    kind, _ = _find(sm, name)
    method = {"training-job": "describe_training_job", "processing-job": "describe_processing_job",
              "transform-job": "describe_transform_job",
              "tuning-job": "describe_hyper_parameter_tuning_job"}[kind]
    key = _KINDS[kind][0]
    out = getattr(sm, method)(**{key: name})
    out.pop("ResponseMetadata", None)
    typer.echo(json.dumps(out, indent=2, default=str))


@jobs_app.command("logs")
def logs(name: str, follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing until the job ends."),
         home: str | None = options.HomeOption) -> None:
    """Print a job's log stream (like CloudWatch's /aws/sagemaker/<Kind>Jobs/<job>/algo-1-...)."""
    sm = _client(home)
    kind, _ = _find(sm, name)
    token = None
    while True:
        page = sm.get_job_logs(JobName=name, NextToken=token)
        for event in page["events"]:
            typer.echo(event["message"])
        token = page["nextForwardToken"]
        status = (sm._svc.records.get(kind, name) or {}).get(_KINDS[kind][1])
        if not follow or (status in _TERMINAL and not page["events"]):
            return
        if not page["events"]:
            time.sleep(0.5)


@jobs_app.command("stop")
def stop(name: str, home: str | None = options.HomeOption) -> None:
    """Stop a running job (SIGTERM, then SIGKILL after the grace period)."""
    sm = _client(home)
    kind, _ = _find(sm, name)
    method = {"training-job": "stop_training_job", "processing-job": "stop_processing_job",
              "transform-job": "stop_transform_job", "tuning-job": "stop_hyper_parameter_tuning_job"}[kind]
    getattr(sm, method)(**{_KINDS[kind][0]: name})
    console.print(f"stopping {kind} {name}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(jobs_app, name="jobs")
