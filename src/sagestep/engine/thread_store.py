"""Which thread and slot rows a commit must write: the saved text of each thread, diffed.

The interpreter marks the threads a step touched (``dirty``); only those are encoded and
compared with what the journal holds, so a commit costs O(threads touched), however many
Map iterations or Parallel branches are alive. With ``VERIFY`` set (tests), every other
thread is checked too, so a mutation that forgot to mark its thread fails loudly instead of
being lost at the next crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sagestep.engine.journal import Journal
from sagestep.engine.threads import Snapshot, Thread, ThreadChanges, encode

VERIFY = False  # tests switch it on


class ThreadStore:
    """The text of every thread row as last committed, and the threads with slot rows."""

    def __init__(self, saved: dict[int, str] | None = None,
                 slotted: set[int] | None = None) -> None:
        self.saved = saved if saved is not None else {}
        self.slotted = slotted if slotted is not None else set()

    def changes(self, threads: dict[int, Thread], dirty: Iterable[int]) -> ThreadChanges:
        """The rows to write for the ``dirty`` threads; the cache assumes they get written."""
        dirty = set(dirty)
        if VERIFY:
            self._verify(threads, dirty)
        out = ThreadChanges([], [], [], [], [])
        for tid in sorted(dirty):
            t = threads.get(tid)
            if t is None:
                if self.saved.pop(tid, None) is not None:
                    out.deletes.append(tid)
                if tid in self.slotted:
                    self.slotted.discard(tid)
                    out.slot_clears.append(tid)
                continue
            text = encode(t.to_json())
            if self.saved.get(tid) != text:
                self.saved[tid] = text
                out.upserts.append((tid, text))
            self._slots(t, out)
        return out

    def _slots(self, t: Thread, out: ThreadChanges) -> None:
        fan = t.fan
        if fan is None:
            if t.id in self.slotted:
                self.slotted.discard(t.id)
                out.slot_clears.append(t.id)
            return
        if fan.fresh:
            if t.id in self.slotted:
                out.slot_clears.append(t.id)
            items = fan.items or []
            out.slot_rows.extend(
                (t.id, i, _text(items[i] if i < len(items) else None, i < len(items)),
                 _text(r, i in fan.dirty), int(i in fan.ok)) for i, r in enumerate(fan.results))
            self.slotted.add(t.id)
            fan.fresh = False
        else:
            out.results.extend((encode(fan.results[i]), int(i in fan.ok), t.id, i)
                               for i in sorted(fan.dirty))
        fan.dirty.clear()

    def _verify(self, threads: dict[int, Thread], dirty: set[int]) -> None:
        for tid, t in threads.items():
            if tid not in dirty and self.saved.get(tid) != encode(t.to_json()):
                raise AssertionError(f"engine: thread {tid} ({t.state}) changed unmarked")
        for tid in self.saved:
            if tid not in threads and tid not in dirty:
                raise AssertionError(f"engine: thread {tid} vanished unmarked")


def _text(value: Any, present: bool) -> str | None:
    return encode(value) if present else None


def load(journal: Journal, arn: str, header: str | None) -> tuple[Snapshot | None, ThreadStore]:
    """The snapshot of ``arn`` (None before its first commit) and its saved rows."""
    if not header:
        return None, ThreadStore()
    snap = Snapshot.loads(header)
    if snap.legacy:  # a v1 blob: nothing is saved as rows yet, every thread gets written
        for t in snap.threads.values():
            if t.fan is not None:
                t.fan.fresh = True
        return snap, ThreadStore()
    rows, slots = journal.load_threads(arn)
    saved: dict[int, str] = {}
    for tid, text in rows:
        saved[tid] = text
        snap.threads[tid] = Thread.from_json(json.loads(text))
    for tid, idx, item, result, ok in slots:
        fan = snap.threads[tid].fan if tid in snap.threads else None
        if fan is None:
            continue
        if not fan.results:
            fan.results, fan.items = [None] * fan.total, [None] * fan.total
        assert fan.items is not None
        fan.items[idx] = None if item is None else json.loads(item)
        fan.results[idx] = None if result is None else json.loads(result)
        if ok:
            fan.ok.add(idx)
    return snap, ThreadStore(saved, {tid for tid, *_ in slots})
