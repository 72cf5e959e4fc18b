"""What a job kind implements and sees: the :class:`JobDefinition` protocol the runner drives
(prepare -> started -> line -> finish), its :class:`JobContext`, :class:`Launch` and
:class:`Exit`. The runner that drives them is :mod:`sagestep.sagemaker.runner`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sagestep.clock import Clock
from sagestep.sagemaker.runtime import JobRuntime
from sagestep.sagemaker.sandbox import Sandbox

if TYPE_CHECKING:
    from sagestep.sagemaker.runner import JobRunner


@dataclass(frozen=True)
class Launch:
    """What to run, as the job process sees it (container paths allowed)."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/opt/ml"
    network_isolation: bool = False
    runtime: JobRuntime | None = None  # None: the host Python


@dataclass(frozen=True)
class Exit:
    """How the process ended. cause: exit | stopped | max_runtime | error | lost."""

    cause: str
    code: int | None = None
    message: str = ""


class JobFailure(Exception):
    """Raised by prepare/finish: the message becomes the job's FailureReason."""


class JobContext:
    """What a job definition may use while it runs."""

    def __init__(self, runner: JobRunner, kind: str, name: str, status_field: str,
                 sandbox: Sandbox, log_group: str, log_stream: str) -> None:
        self.runner, self.kind, self.name = runner, kind, name
        self.status_field = status_field
        self.sandbox = sandbox
        self.log_group, self.log_stream = log_group, log_stream

    @property
    def clock(self) -> Clock:
        return self.runner.clock

    def log(self, *lines: str) -> None:
        self.runner.logs.append(self.log_group, self.log_stream, list(lines))

    def doc(self) -> dict[str, Any]:
        doc = self.runner.records.get(self.kind, self.name)
        if doc is None:
            raise JobFailure(f"{self.kind} {self.name} was deleted while it ran")
        return doc

    def update(self, fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        return self.runner.records.update(self.kind, self.name, fn)

    def stop_requested(self) -> bool:
        return self.doc().get(self.status_field) == "Stopping"


class JobDefinition(Protocol):
    """One kind of job (training, processing, transform) bound to one record."""

    kind: str
    name: str
    status_field: str
    log_group: str

    def max_runtime(self) -> float | None: ...
    def prepare(self, ctx: JobContext) -> Launch: ...
    def started(self, ctx: JobContext) -> None: ...
    def line(self, ctx: JobContext, line: str) -> None: ...
    def finish(self, ctx: JobContext, exit: Exit) -> None: ...
