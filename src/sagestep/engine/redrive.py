"""RedriveExecution: restart a closed, unsuccessful execution from the state that failed.

The execution keeps its ARN and history; it is re-run from the top-level state where it
stopped. A failed top-level Map or Parallel keeps the iterations or branches that succeeded
and re-runs only the others (see fanout); AWS additionally resumes a failed branch from its
failed step, where this engine re-runs that branch or iteration from its start.
"""

from __future__ import annotations

from typing import Any

from sagestep.engine.history import Event
from sagestep.engine.journal import Journal
from sagestep.engine.threads import RUN, Snapshot, Thread, ThreadChanges, encode
from sagestep.errors import client_error

REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")
WINDOW_SECONDS = 14 * 24 * 3600  # AWS: redrive within 14 days of the execution's close


def redrive(journal: Journal, row: Any, now: float) -> float:
    """Reopen ``row``'s execution; the redrive date."""
    op = "RedriveExecution"
    arn = row["arn"]
    why = _not_redrivable(row, now)
    if why:
        raise client_error("ExecutionNotRedrivable", f"Execution '{arn}' cannot be redriven: {why}", op)
    snap = Snapshot.loads(row["snapshot"])
    failed = snap.failed_at
    assert failed is not None
    count = int(row["redrive_count"]) + 1
    event_id = int(row["next_event"])
    root = Thread(0, None, 0, (), failed["state"], failed["input"], phase=RUN,
                  vars=dict(failed.get("vars") or {}), entered=now, last_event=event_id,
                  kept=failed.get("kept"))
    fresh = Snapshot({0: root}, next_thread=1, deadline=None)
    with journal.tx() as conn:
        Journal.insert_events(conn, arn, [Event(event_id, "ExecutionRedriven", now, event_id - 1,
                                                {"redriveCount": count})])
        conn.execute(
            "UPDATE sfn_executions SET status = 'RUNNING', output = NULL, error = NULL,"
            " cause = NULL, stopped = NULL, redrive_count = ?, redrive_date = ?, snapshot = ?,"
            " next_event = ? WHERE arn = ?", (count, now, fresh.dumps(), event_id + 1, arn))
        Journal.write_threads(conn, arn, ThreadChanges([(0, encode(root.to_json()))], [], [], [], []))
        conn.execute("INSERT OR REPLACE INTO sfn_queue (execution_arn, due) VALUES (?, ?)",
                     (arn, now))
    return now


def _not_redrivable(row: Any, now: float) -> str | None:
    if row["type"] != "STANDARD":
        return "only STANDARD executions can be redriven"
    if row["status"] not in REDRIVABLE:
        return f"its status is {row['status']}; only {', '.join(REDRIVABLE)} executions can be"
    if row["stopped"] is not None and now - float(row["stopped"]) > WINDOW_SECONDS:
        return "it closed more than 14 days ago"
    if not row["snapshot"] or Snapshot.loads(row["snapshot"]).failed_at is None:
        return "it failed before entering any state"
    return None
