"""Following a run live: a stage-by-stage view until the execution ends.

On a terminal it is a Rich live table; elsewhere (CI logs, tests) one line per stage change,
so the output is stable and greppable. ``--logs`` prints each stage's job logs when the
stage ends; a failed stage's last log lines are always shown.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from sagestep.backends.base import RunInfo, StageInfo

POLL_SECONDS = 0.2
FAILED_TAIL = 20
_STYLE = {"SUCCEEDED": "green", "FAILED": "red", "RUNNING": "yellow", "WAITING": "magenta",
          "SKIPPED": "dim", "PENDING": "dim"}


def follow(
    backend: Any, run: str, console: Console, *, logs: bool = False,
    timeout: float | None = None, sleep: Callable[[float], None] = time.sleep,
) -> RunInfo:
    """Show progress of ``run`` until it ends (or ``timeout`` seconds); its final RunInfo."""
    deadline = None if timeout is None else time.monotonic() + timeout
    printed: dict[str, str] = {}
    started = time.monotonic()
    live = Live(console=console, auto_refresh=False) if console.is_terminal else None
    if live:
        live.start()
    try:
        while True:
            info: RunInfo = backend.describe_run(run)
            stages = backend.stages(run)
            if live:
                live.update(stage_table(info, stages, time.monotonic() - started), refresh=True)
            else:
                _print_changes(console, stages, printed, info.name)
            _show_logs(backend, run, console, stages, printed, logs, bool(live))
            if info.done or (deadline is not None and time.monotonic() >= deadline):
                break
            sleep(POLL_SECONDS)
    finally:
        if live:
            live.stop()
    return info


def stage_table(info: RunInfo, stages: list[StageInfo], elapsed: float | None = None) -> Table:
    """A table of ``stages`` titled with the run."""
    title = f"{info.pipeline} · {info.name} · {info.status}"
    if elapsed is not None:
        title += f" · {elapsed:.0f}s"
    table = Table(title=title, title_justify="left")
    for column in ("stage", "status", "time", "jobs"):
        table.add_column(column)
    if any(stage.status == "WAITING" for stage in stages):
        table.caption = f"answer with: sagestep approve {info.name}  |  sagestep reject {info.name}"
        table.caption_justify = "left"
    # wide enough that the title and caption stay on one line each
    table.min_width = max(len(title), len(table.caption or "")) + 2
    for stage in stages:
        seconds = f"{stage.seconds:.1f}s" if stage.seconds is not None else ""
        style = _STYLE.get(stage.status, "")
        table.add_row(stage.stage, f"[{style}]{stage.status}[/]" if style else stage.status,
                      seconds, ", ".join(stage.jobs))
    return table


def stage_line(stage: StageInfo) -> str:
    """One plain line for a stage's status."""
    line = f"{stage.stage:<16} {stage.status:<9}"
    if stage.seconds is not None and stage.status != "SKIPPED":
        line += f" {stage.seconds:6.1f}s"
    if stage.jobs:
        line += "  " + ", ".join(stage.jobs)
    if stage.detail and stage.status == "FAILED":
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
    console: Console, stages: list[StageInfo], printed: dict[str, str], run_name: str
) -> None:
    for stage in stages:
        if stage.status in ("PENDING",) or printed.get(stage.stage) == stage.status:
            continue
        printed[stage.stage] = stage.status
        console.print(stage_line(stage), markup=False, highlight=False)
        if stage.status == "WAITING":
            console.print(f"{'':<16} answer with: sagestep approve {run_name}  |  "
                          f"sagestep reject {run_name}", markup=False, highlight=False)


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
