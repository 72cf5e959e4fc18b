"""The runtime state of one execution: its threads, as saved in the journal snapshot.

A thread runs one state list: the execution itself (thread 0), a Parallel branch or a Map
iteration. A thread is always in one phase:

- ``run``: about to do its current state's work;
- ``effect``: its task must call an integration (persisted before the call is made);
- ``wait``: waiting for a timer (``wait["at"]``), a task token, or its children;
- ``resume``: an effect or a timer finished, its result is in ``task``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

RUN, EFFECT, WAIT, RESUME = "run", "effect", "wait", "resume"
_ENCODER = json.JSONEncoder(separators=(",", ":"))


@dataclass
class Fan:
    """The children of a Map or Parallel state in progress."""

    total: int
    results: list[Any]
    started: int = 0
    running: int = 0
    done: int = 0
    failures: int = 0
    limit: int = 0              # max concurrency, 0 = unlimited
    tolerated_count: int | None = None
    tolerated_pct: float | None = None
    items: list[Any] | None = None   # Map: items not yet started are taken from here
    started_event: int = 0

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fan:
        return cls(**data)


@dataclass
class Thread:
    """One line of execution; mutable, owned by the interpreter pass that leased it."""

    id: int
    parent: int | None
    index: int
    scope: tuple[Any, ...]      # (state name, branch index | -1 for Map) pairs from the root
    state: str
    input: Any
    phase: str = RUN
    vars: dict[str, Any] = field(default_factory=dict)
    entered: float = 0.0
    entered_event: int = 0
    last_event: int = 0
    retries: dict[str, int] = field(default_factory=dict)
    wait: dict[str, Any] | None = None
    task: dict[str, Any] | None = None
    fan: Fan | None = None

    def to_json(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        data["scope"] = list(self.scope)
        data["fan"] = self.fan.to_json() if self.fan else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Thread:
        data = dict(data)
        data["scope"] = tuple(data["scope"])
        data["fan"] = Fan.from_json(data["fan"]) if data.get("fan") else None
        return cls(**data)


@dataclass
class Snapshot:
    """Everything needed to continue an execution after a crash."""

    threads: dict[int, Thread]
    next_thread: int = 1
    deadline: float | None = None        # execution TimeoutSeconds
    failed_at: dict[str, Any] | None = None  # where a closed execution failed (redrive)

    def dumps(self) -> str:
        return _ENCODER.encode({
            "threads": [t.to_json() for t in self.threads.values()],
            "next_thread": self.next_thread,
            "deadline": self.deadline,
            "failed_at": self.failed_at,
        })

    @classmethod
    def loads(cls, text: str) -> Snapshot:
        data = json.loads(text)
        threads = {t["id"]: Thread.from_json(t) for t in data["threads"]}
        return cls(threads, data["next_thread"], data.get("deadline"), data.get("failed_at"))
