"""The runtime state of one execution: its threads, as saved in the journal.

Each thread is one row (``sfn_threads``) and each Map/Parallel slot (item, result) another
(``sfn_slots``); the execution row keeps only a small header (:class:`Snapshot`), so a commit
writes what changed, not everything alive.

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
    # Distributed Map: its map run (ARN, id, start, limits), and whether ``items`` are the
    # iteration inputs already (ItemSelector/ItemBatcher applied at the start).
    map_run: dict[str, Any] | None = None
    prepared: bool = False
    # Not saved with the thread: ``items``/``results``/``ok`` (the slots that succeeded) live
    # in slot rows; ``fresh`` (all slots must be written) and ``dirty`` (results set since the
    # last commit) say which to write.
    ok: set[int] = field(default_factory=set, compare=False)
    fresh: bool = field(default=True, compare=False)
    dirty: set[int] = field(default_factory=set, compare=False)

    def set_result(self, index: int, value: Any, ok: bool = True) -> None:
        self.results[index] = value
        if ok:
            self.ok.add(index)
        else:
            self.ok.discard(index)
        self.dirty.add(index)

    def kept(self) -> list[list[Any]]:
        """``[index, result]`` of the slots that succeeded (what a redrive keeps)."""
        return [[i, self.results[i]] for i in sorted(self.ok)]

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in _SLOT_FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fan:
        fan = cls(results=[], **{k: v for k, v in data.items() if k not in _SLOT_FIELDS})
        fan.fresh = False  # its slots are rows already
        return fan


_SLOT_FIELDS = frozenset({"items", "results", "ok", "fresh", "dirty"})


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
    kept: dict[str, Any] | None = None  # redrive: the slots of a failed Map/Parallel to keep
    # Inside a distributed Map's child: its events belong to the child execution, not to this
    # execution's history (AWS counts them apart; 10,000 children stay under 25,000 events).
    quiet: bool = False

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


def encode(value: Any) -> str:
    """Compact JSON, as every thread and slot row is saved."""
    return _ENCODER.encode(value)


@dataclass
class Snapshot:
    """Everything needed to continue an execution after a crash (threads saved as rows)."""

    threads: dict[int, Thread]
    next_thread: int = 1
    deadline: float | None = None        # execution TimeoutSeconds
    failed_at: dict[str, Any] | None = None  # where a closed execution failed (redrive)
    legacy: bool = field(default=False, compare=False)  # threads came from a v1 blob

    def dumps(self) -> str:
        """The header saved in ``sfn_executions.snapshot`` (threads are rows of their own)."""
        return _ENCODER.encode({
            "next_thread": self.next_thread,
            "deadline": self.deadline,
            "failed_at": self.failed_at,
        })

    @classmethod
    def loads(cls, text: str) -> Snapshot:
        """The header; a v1 snapshot (one blob with every thread) still loads whole."""
        data = json.loads(text)
        threads = {}
        for raw in data.get("threads", ()):
            t = threads[raw["id"]] = Thread.from_json(raw)
            if t.fan is not None:  # v1 kept the slots inside the thread
                t.fan.items, t.fan.results = raw["fan"]["items"], raw["fan"]["results"]
        return cls(threads, data["next_thread"], data.get("deadline"), data.get("failed_at"),
                   legacy="threads" in data)


@dataclass(frozen=True)
class ThreadChanges:
    """The rows one commit writes: threads upserted/deleted, slots written/cleared."""

    upserts: list[tuple[int, str]]
    deletes: list[int]
    slot_clears: list[int]
    slot_rows: list[tuple[int, int, str | None, str | None, int]]  # thread, index, item, result, ok
    results: list[tuple[str, int, int, int]]                      # result, ok, thread, index
