"""Following runs live: a stage-by-stage view until the executions end.

On a terminal it is a Rich live table per run; elsewhere (CI logs, tests) one line per stage
change, so the output is stable and greppable. ``--logs`` prints each stage's job logs when
the stage ends; a failed stage's last log lines are always shown.

Several runs (an upload can start one per matching pipeline) are followed together in one
loop, so a run parked at a manual approval never hides how the others end. A run that waits
for an approval says so at once, with the command that answers it; following goes on (the
answer may come from another terminal) unless ``stop_at_approval`` is set.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from sagestep.backends.base import WAITING_FOR_APPROVAL, RunInfo, StageInfo

POLL_SECONDS = 0.2
FAILED_TAIL = 20
_STYLE = {"SUCCEEDED": "green", "FAILED": "red", "ABORTED": "red", "RUNNING": "yellow", "WAITING_FOR_APPROVAL": "magenta",
          "RETRYING": "yellow",
          "SKIPPED": "dim", "PENDING": "dim"}


@dataclass(frozen=True)
class Followed:
    """Where a followed run stood when following it stopped."""

    info: RunInfo
    waiting: bool = False  # parked at a manual approval (status RUNNING)


def approval_hint(run_name: str) -> str:
    """What a run waiting for a manual approval tells the user."""
    return (f"waiting for approval: answer with `sagestep approve {run_name}` "
            f"(or `sagestep reject {run_name}`)")


def follow(
    backend: Any, run: str, console: Console, *, logs: bool = False,
    timeout: float | None = None, sleep: Callable[[float], None] = time.sleep,
) -> RunInfo:
    """Show progress of ``run`` until it ends (or ``timeout`` seconds); its final RunInfo."""
    return follow_runs(backend, [run], console, logs=logs, timeout=timeout, sleep=sleep)[0].info


def follow_runs(
    backend: Any, runs: Sequence[str], console: Console, *, logs: bool = False,
    timeout: float | None = None, stop_at_approval: bool = False,
    on_end: Callable[[Followed], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Followed]:
    """Follow ``runs`` together until each ended, ``timeout`` seconds passed, or (with
    ``stop_at_approval``) every unfinished run waits for an approval. ``on_end`` is called
    once per run as it ends. Ctrl-C stops following (the runs go on)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    views = [_View(run, len(runs) > 1) for run in runs]
    started = time.monotonic()
    live = Live(console=console, auto_refresh=False) if console.is_terminal else None
    if live:
        live.start()
    previous = _sigterm_interrupts()
    try:
        while True:
            for view in views:
                if view.followed is None or not view.followed.info.done:
                    view.poll(backend, console, logs, live is not None, on_end)
            if live:
                elapsed = time.monotonic() - started
                live.update(Group(*(v.table(elapsed) for v in views)), refresh=True)
            unfinished = [v.followed for v in views if v.followed and not v.followed.info.done]
            if not unfinished or (stop_at_approval and all(f.waiting for f in unfinished)):
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            sleep(POLL_SECONDS)
    except KeyboardInterrupt:  # stop watching; the runs themselves are not stopped
        console.print(interrupted_note(backend), markup=False, highlight=False)
    finally:
        _restore_sigterm(previous)
        if live:
            live.stop()
    return [v.followed or Followed(backend.describe_run(v.run)) for v in views]


def interrupted_note(backend: Any) -> str:
    """What Ctrl-C (or kill) of a following command leaves, and which command resumes it."""
    if getattr(backend, "kind", "") != "local":
        return "stopped following (the runs go on)"
    home = backend.runtime.workspace.root
    return ("stopped following; the runs are saved in the workspace and go on under the next "
            f"sagestep worker: resume them with `sagestep server --home {home}`")


def _sigterm_interrupts() -> Any:
    # `kill PID` of a following command says the same as Ctrl-C (kill -9 says nothing, but
    # leaves the same durable run behind).
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, signal.default_int_handler)


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


class _View:
    """One followed run: its last state and what has been printed of it."""

    def __init__(self, run: str, prefixed: bool) -> None:
        self.run = run
        self.prefixed = prefixed  # several runs: plain lines start with the run's name
        self.printed: dict[str, str] = {}
        self.stages: list[StageInfo] = []
        self.followed: Followed | None = None

    def poll(self, backend: Any, console: Console, logs: bool, is_live: bool,
             on_end: Callable[[Followed], None] | None) -> None:
        info: RunInfo = backend.describe_run(self.run)
        self.stages = backend.stages(self.run)
        waiting = not info.done and any(s.status == WAITING_FOR_APPROVAL for s in self.stages)
        self.followed = Followed(info, waiting)
        if not is_live:
            _print_changes(console, self.stages, self.printed, info.name,
                           f"{info.name}  " if self.prefixed else "")
        _show_logs(backend, self.run, console, self.stages, self.printed, logs, is_live)
        if info.done and on_end is not None:
            on_end(self.followed)

    def table(self, elapsed: float) -> Table:
        assert self.followed is not None
        return stage_table(self.followed.info, self.stages, elapsed)


def stage_table(info: RunInfo, stages: list[StageInfo], elapsed: float | None = None) -> Table:
    """A table of ``stages`` titled with the run."""
    title = f"{info.pipeline} · {info.name} · {run_status(info, stages)}"
    if elapsed is not None:
        title += f" · {elapsed:.0f}s"
    table = Table(title=title, title_justify="left")
    for column in ("stage", "status", "time", "jobs"):
        table.add_column(column, overflow="fold")
    if any(stage.status == WAITING_FOR_APPROVAL for stage in stages):
        table.caption = approval_hint(info.name)
        table.caption_justify = "left"
    # wide enough that the title and caption stay on one line each
    table.min_width = max(len(title), len(table.caption or "")) + 2
    for stage in stages:
        seconds = f"{stage.seconds:.1f}s" if stage.seconds is not None else ""
        style = _STYLE.get(stage.status, "")
        table.add_row(stage.stage, Text(stage.status, style=style),
                      seconds, ", ".join(stage.jobs))
    return table


def run_status(info: RunInfo, stages: Sequence[StageInfo]) -> str:
    """The run's status as a user reads it: a RUNNING run parked at an approval is
    WAITING_FOR_APPROVAL (Step Functions itself says RUNNING)."""
    if info.status == "RUNNING" and any(s.status == WAITING_FOR_APPROVAL for s in stages):
        return WAITING_FOR_APPROVAL
    return info.status


def stage_line(stage: StageInfo) -> str:
    """One plain line for a stage's status."""
    line = f"{stage.stage:<16} {stage.status:<9}"
    if stage.seconds is not None and stage.status != "SKIPPED":
        line += f" {stage.seconds:6.1f}s"
    if stage.jobs:
        line += "  " + ", ".join(stage.jobs)
    if stage.detail and stage.status in ("FAILED", "RETRYING", "ABORTED", "WAITING_FOR_CAPACITY",
                                         "WAITING_FOR_ENDPOINT", "SUCCEEDED"):
        line += f"\n{'':<16} {shorten(stage.detail)}"
    return line.rstrip()


def shorten(text: str, limit: int = 400) -> str:
    """``text`` cut to ``limit`` characters, a job's FailureReason pulled out of its JSON."""
    text = _failure_reason(text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failure_reason(text: str) -> str:
    # A failed .sync job's cause is the whole Describe*Job response; its FailureReason says why.
    head, sep, rest = text.partition("{")
    if not sep:
        return text
    try:
        described = json.loads(sep + rest)
    except ValueError:
        return text
    if isinstance(described, dict) and described.get("FailureReason"):
        name = next((str(v) for k, v in described.items() if k.endswith("JobName")), "")
        return f"{head}{name + ': ' if name else ''}{described['FailureReason']}"
    return text


def _print_changes(
    console: Console, stages: list[StageInfo], printed: dict[str, str], run_name: str,
    prefix: str = "",
) -> None:
    for stage in stages:
        if stage.status in ("PENDING",) or printed.get(stage.stage) == stage.status:
            continue
        printed[stage.stage] = stage.status
        console.print(prefix + stage_line(stage), markup=False, highlight=False)
        if stage.status == WAITING_FOR_APPROVAL:
            console.print(f"{prefix}{'':<16} {approval_hint(run_name)}", markup=False,
                          highlight=False)


def _show_logs(
    backend: Any, run: str, console: Console, stages: list[StageInfo],
    printed: dict[str, str], wanted: bool, is_live: bool,
) -> None:
    for stage in stages:
        key = f"logs:{stage.stage}"
        done = stage.status in ("SUCCEEDED", "FAILED")
        if not done or key in printed or not stage.jobs:
            continue
        if not wanted and stage.status != "FAILED":
            continue
        printed[key] = "shown"
        try:
            chunks = list(backend.logs(run, stage.stage))
        except Exception as exc:  # logs are a convenience: never fail the run view on them
            console.print(f"  (logs of {stage.stage} unavailable: {exc})", markup=False)
            continue
        for chunk in chunks:
            lines = chunk.lines if wanted else chunk.lines[-FAILED_TAIL:]
            target = console.log if is_live else console.print
            target(f"--- {chunk.stage} · {chunk.job} ---", markup=False, highlight=False)
            for line in lines:
                target(f"  {line}", markup=False, highlight=False)
