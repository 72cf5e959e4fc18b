"""Per-thread rows: a commit writes only the threads it changed, and a reload sees them all.

The autouse fixture in conftest.py turns on ``thread_store.VERIFY``, so any thread changed
without being marked for writing fails the execution (``States.Runtime``) in these tests.
"""

from __future__ import annotations

import json

import pytest

from sagestep.engine import interpreter, thread_store
from sagestep.engine.journal import Journal
from sagestep.engine.threads import Snapshot
from tests.engine.helpers import run, runtime


def _wait_map(n: int, concurrency: int) -> dict:
    body = {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "SecondsPath": "$.s", "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": True}}}
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": concurrency,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **body}, "End": True}}}


def _items(n: int) -> dict:
    # Different waits, so iterations end in different passes (each pass reloads the rows).
    return {"items": [{"v": i, "s": 1 + i % 4} for i in range(n)]}


@pytest.mark.parametrize("concurrency", [0, 3])
def test_map_waits_resume_from_rows_and_commits_stay_small(tmp_path, monkeypatch,
                                                           concurrency) -> None:
    sizes: list[int] = []
    write = Journal.write_threads

    def spy(conn, arn, changes):
        sizes.append(len(changes.upserts) + len(changes.deletes))
        write(conn, arn, changes)

    monkeypatch.setattr(Journal, "write_threads", staticmethod(spy))
    monkeypatch.setattr(interpreter, "BATCH_EVENTS", 2)
    rt = runtime(tmp_path)
    desc = run(rt, _wait_map(40, concurrency), _items(40))
    assert desc["status"] == "SUCCEEDED", desc
    assert json.loads(desc["output"]) == [{"v": i} for i in range(40)]
    # Mid-pass commits (every 2 events) write a handful of threads, never all 41.
    assert sizes and sorted(sizes)[len(sizes) // 2] <= 3
    left = rt.engine.journal.query("SELECT COUNT(*) FROM sfn_threads")[0][0]
    slots = rt.engine.journal.query("SELECT COUNT(*) FROM sfn_slots")[0][0]
    assert (left, slots) == (0, 0)  # a closed execution keeps only its header


@pytest.mark.parametrize("batch", [2, 5000])
def test_parallel_with_one_slow_branch(tmp_path, monkeypatch, batch) -> None:
    monkeypatch.setattr(interpreter, "BATCH_EVENTS", batch)
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": True}}},
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "Next": "B"},
                                    "B": {"Type": "Pass", "Result": "b", "End": True}}},
        {"StartAt": "C", "States": {"C": {"Type": "Pass", "Result": "c", "End": True}}},
    ]}}}
    desc = run(runtime(tmp_path), definition, {})
    assert desc["status"] == "SUCCEEDED", desc
    assert json.loads(desc["output"]) == ["a", "b", "c"]


def test_unmarked_change_is_caught() -> None:
    store = thread_store.ThreadStore()
    snap = Snapshot.loads(json.dumps({"threads": [_thread(0)], "next_thread": 1}))
    store.changes(snap.threads, {0})
    snap.threads[0].state = "Elsewhere"
    with pytest.raises(AssertionError, match="changed unmarked"):
        store.changes(snap.threads, set())


def test_v1_snapshot_blob_still_loads_with_its_slots() -> None:
    parent = _thread(0, fan={"total": 2, "results": ["x", None], "started": 2, "running": 1,
                             "done": 1, "items": [None, 5], "started_event": 3})
    snap = Snapshot.loads(json.dumps({"threads": [parent, _thread(1, parent=0)],
                                      "next_thread": 2, "deadline": None}))
    assert snap.legacy and set(snap.threads) == {0, 1}
    fan = snap.threads[0].fan
    assert fan is not None and fan.results == ["x", None] and fan.items == [None, 5]
    assert "threads" not in json.loads(snap.dumps())


def _thread(tid: int, parent: int | None = None, fan: dict | None = None) -> dict:
    return {"id": tid, "parent": parent, "index": tid, "scope": [], "state": "S", "input": {},
            "phase": "run", "vars": {}, "entered": 0.0, "entered_event": 0, "last_event": 0,
            "retries": {}, "wait": None, "task": None, "fan": fan}
