"""CLI commands that move a run: approve, reject, stop, redrive.

On the local backend a run only moves while some process works the workspace. These
commands therefore drive the run themselves until it ends or waits again (``--no-follow``
instead says plainly which command will carry it on); on AWS, Step Functions does.
"""

from __future__ import annotations

import time
from typing import Any

import typer

from sagestep.cli import options
from sagestep.cli.pipeline import out
from sagestep.errors import AlreadyAnswered

FOLLOW = typer.Option(True, "--follow/--no-follow",
                      help="Local backend: drive the run from here until it ends or waits again.")
STOP_WAIT_S = 30.0


def resume_hint(backend: Any) -> str:
    """Which command carries a local run on (empty on AWS, where the service does)."""
    if getattr(backend, "kind", "") != "local":
        return ""
    return f"`sagestep server --home {backend.runtime.workspace.root}`"


def approve(
    run: str = typer.Argument(..., help="Execution name or ARN waiting for approval."),
    comment: str = typer.Option("", "--comment", "-m", help="Why (kept in the history)."),
    follow_: bool = FOLLOW,
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Approve a run waiting at its manual approval stage."""
    _answer(options.backend_from_options(backend, home, profile, region), run, comment,
            True, follow_)


def reject(
    run: str = typer.Argument(..., help="Execution name or ARN waiting for approval."),
    comment: str = typer.Option("", "--comment", "-m", help="Why (becomes the failure cause)."),
    follow_: bool = FOLLOW,
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Reject a run waiting at its manual approval stage (the run fails)."""
    _answer(options.backend_from_options(backend, home, profile, region), run, comment,
            False, follow_)


def _answer(chosen: Any, run: str, comment: str, approved: bool, follow_: bool) -> None:
    console = out()
    try:
        (chosen.approve if approved else chosen.reject)(run, comment)
    except AlreadyAnswered as exc:
        if not exc.same:
            raise
        console.print(str(exc), markup=False)
        return
    console.print(f"{'approved' if approved else 'rejected'} {run}", markup=False)
    _carry_on(chosen, run, follow_)


def stop(
    run: str = typer.Argument(..., help="Execution name or ARN."),
    cause: str = typer.Option("", "--cause", help="Why (kept as the run's failure cause)."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Stop a run (StopExecution): its running jobs are stopped and it ends ABORTED."""
    chosen = options.backend_from_options(backend, home, profile, region)
    info = chosen.stop_run(run, cause)
    deadline = time.monotonic() + STOP_WAIT_S
    # Locally the stop is applied by a worker: this process's own runs it at once.
    while info.status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
        info = chosen.describe_run(run)
    out().print(f"stopped {info.name}: {info.status}", markup=False)


def redrive(
    run: str = typer.Argument(..., help="Execution name or ARN of a failed run."),
    follow_: bool = FOLLOW,
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Redrive a failed, aborted or timed-out run (RedriveExecution): it goes on from the
    state that failed, keeping what already succeeded."""
    chosen = options.backend_from_options(backend, home, profile, region)
    info = chosen.redrive_run(run)
    out().print(f"redriven {info.name}: {info.status}", markup=False)
    _carry_on(chosen, run, follow_)


def _carry_on(chosen: Any, run: str, follow_: bool) -> None:
    from sagestep.cli.follow import follow_runs
    from sagestep.cli.pipeline import finish

    hint = resume_hint(chosen)
    if not hint:
        return  # AWS Step Functions carries the run on
    if not follow_:
        out().print(f"the run goes on while a sagestep worker runs on this workspace: {hint}",
                    markup=False)
        return
    _until_answer_taken(chosen, run)
    (followed,) = follow_runs(chosen, [run], out(), stop_at_approval=True)
    finish(out(), followed)


def _until_answer_taken(chosen: Any, run: str, limit_s: float = 10.0) -> None:
    # The answer is stored at once but read by the worker's next pass: until then the run
    # still shows the approval it just got, and following would stop right there.
    from sagestep.backends.base import WAITING_FOR_APPROVAL

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if chosen.describe_run(run).done or all(
                s.status != WAITING_FOR_APPROVAL for s in chosen.stages(run)):
            return
        time.sleep(0.05)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    for fn in (approve, reject, stop, redrive):
        app.command()(fn)
