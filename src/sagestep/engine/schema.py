"""The engine's tables in the workspace database (component ``engine``)."""

from __future__ import annotations

COMPONENT = "engine"

V1 = """
CREATE TABLE sfn_state_machines (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    description TEXT,
    created REAL NOT NULL,
    updated REAL,
    revision INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE sfn_executions (
    arn TEXT PRIMARY KEY,
    machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    started REAL NOT NULL,
    stopped REAL,
    trace_header TEXT,
    redrive_count INTEGER NOT NULL DEFAULT 0,
    redrive_date REAL,
    snapshot TEXT,
    next_event INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sfn_executions_by_machine ON sfn_executions (machine_arn, started);
CREATE TABLE sfn_events (
    execution_arn TEXT NOT NULL,
    id INTEGER NOT NULL,
    type TEXT NOT NULL,
    ts REAL NOT NULL,
    previous INTEGER NOT NULL,
    details TEXT,
    PRIMARY KEY (execution_arn, id)
) WITHOUT ROWID;
CREATE TABLE sfn_queue (
    execution_arn TEXT PRIMARY KEY,
    due REAL,
    lease_owner TEXT,
    lease_expires REAL,
    stop_error TEXT,
    stop_cause TEXT,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    woken REAL
);
CREATE INDEX sfn_queue_by_due ON sfn_queue (due);
CREATE TABLE sfn_task_tokens (
    token TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    status TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    heartbeat REAL,
    created REAL NOT NULL
);
CREATE INDEX sfn_task_tokens_by_execution ON sfn_task_tokens (execution_arn, status);
CREATE TABLE sfn_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resource TEXT NOT NULL,
    execution_arn TEXT,
    payload TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE sfn_lambdas (
    name TEXT PRIMARY KEY,
    target TEXT NOT NULL
)
"""


# Per-thread rows (v2): a commit writes only the threads it changed, and a Map's items and
# results one row each, so a step costs O(threads changed), not O(threads alive).
V2 = """
CREATE TABLE sfn_threads (
    execution_arn TEXT NOT NULL,
    id INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (execution_arn, id)
) WITHOUT ROWID;
CREATE TABLE sfn_slots (
    execution_arn TEXT NOT NULL,
    thread_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    item TEXT,
    result TEXT,
    PRIMARY KEY (execution_arn, thread_id, idx)
) WITHOUT ROWID
"""

# Which slots succeeded: a redrive keeps those and re-runs the others (AWS RedriveExecution).
V3 = "ALTER TABLE sfn_slots ADD COLUMN ok INTEGER NOT NULL DEFAULT 0"

# Lambda calls run on a pool; each call's outcome is a row the execution's next pass reads.
V4 = """
CREATE TABLE sfn_calls (
    key TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    error TEXT,
    cause TEXT
);
CREATE INDEX sfn_calls_by_execution ON sfn_calls (execution_arn)
"""

# Distributed Map runs (DescribeMapRun, ListMapRuns): one row per run, written at its start
# and end (an upsert, so a pass replayed after a crash writes the same row).
V5 = """
CREATE TABLE sfn_map_runs (
    arn TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX sfn_map_runs_by_execution ON sfn_map_runs (execution_arn)
"""

SCRIPTS = [V1, V2, V3, V4, V5]
