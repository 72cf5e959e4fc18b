"""The workload of the distributed Map kill -9 test: a worker over a workspace whose Lambda
records every item it processes in SQLite.

Run as a worker process: ``python -m tests.engine.distmap_app HOME PROCESSED_DB``.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from typing import Any

from sagestep.clock import SystemClock
from sagestep.engine.lambda_tasks import lambda_integrations
from sagestep.engine.service import EngineService
from sagestep.integrations.s3 import s3_integrations
from sagestep.stores.objectstore import LocalObjectStore
from sagestep.stores.s3client import LocalS3Client
from sagestep.workspace import Workspace

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:record"
OBJECTS = 1000

MACHINE: dict[str, Any] = {"StartAt": "M", "States": {"M": {
    "Type": "Map", "MaxConcurrency": 40, "Label": "Files",
    "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                   "Parameters": {"Bucket": "inputs", "Prefix": "files/"}},
    "ItemSelector": {"key.$": "$$.Map.Item.Value.Key", "size.$": "$$.Map.Item.Value.Size"},
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                      "StartAt": "Record", "States": {"Record": {
                          "Type": "Task", "Resource": LAMBDA, "End": True}}},
    "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                     "Parameters": {"Bucket": "outputs", "Prefix": "runs"}},
    "End": True}}}


class Recorder:
    """Counts each item's processing (a Lambda call that completed its side effect)."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, timeout=30, isolation_level=None,
                                    check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS processed (key TEXT, size INTEGER)")
        self.lock = threading.Lock()

    def __call__(self, name: str, event: Any) -> Any:
        with self.lock:
            self.conn.execute("INSERT INTO processed VALUES (?, ?)", (event["key"], event["size"]))
        return {"key": event["key"], "doubled": event["size"] * 2}


def service(home: str, processed_db: str, background: bool) -> EngineService:
    ws = Workspace.resolve(home)
    s3 = LocalS3Client(LocalObjectStore(ws.s3_root))
    table: dict[str, Any] = {}
    table.update(lambda_integrations(Recorder(processed_db)))
    table.update(s3_integrations(lambda: s3))
    return EngineService(ws, table, SystemClock(), background=background)


def main() -> None:
    service(sys.argv[1], sys.argv[2], background=False).serve()


if __name__ == "__main__":
    main()
