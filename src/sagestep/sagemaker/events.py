"""SageMaker events (EventBridge envelopes) stored in SQLite for other components to read.

AWS emits e.g. "SageMaker Model Package State Change" to EventBridge; locally the event is
appended to ``sm_events`` (durable, readable from any process with :meth:`EventLog.since`) and
handed to in-process subscribers.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from sagestep.clock import Clock, utc
from sagestep.sagemaker.arns import Arns
from sagestep.sagemaker.records import RecordStore
from sagestep.stores.sqlite import transaction

Subscriber = Callable[[dict[str, Any]], None]


class EventLog:
    """Append-only log of aws.sagemaker events with subscribers."""

    def __init__(self, records: RecordStore, clock: Clock, arns: Arns) -> None:
        self._records = records
        self._clock = clock
        self._arns = arns
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Subscriber) -> None:
        """Call ``fn(event)`` for every event emitted by this process from now on."""
        with self._lock:
            self._subscribers.append(fn)

    def emit(self, detail_type: str, resources: list[str], detail: dict[str, Any]) -> dict[str, Any]:
        """Store and publish one event; returns the EventBridge envelope."""
        now = self._clock.now()
        with self._records.connection() as conn, transaction(conn):
            cur = conn.execute(
                "INSERT INTO sm_events (time, detail_type, resources, detail) VALUES (?,?,?,?)",
                (now, detail_type, json.dumps(resources), json.dumps(detail, default=str)),
            )
            event_id = int(cur.lastrowid or 0)
        event = self._envelope(event_id, now, detail_type, resources, detail)
        with self._lock:
            subscribers = list(self._subscribers)
        for fn in subscribers:
            fn(event)
        return event

    def since(self, after_id: int = 0, detail_type: str | None = None) -> list[dict[str, Any]]:
        """Stored events with sequence number > ``after_id`` (``event["sequence"]``), oldest first."""
        sql = "SELECT id, time, detail_type, resources, detail FROM sm_events WHERE id > ?"
        args: list[Any] = [after_id]
        if detail_type:
            sql += " AND detail_type = ?"
            args.append(detail_type)
        with self._records.connection() as conn:
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        return [
            self._envelope(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4])) for r in rows
        ]

    def _envelope(
        self, event_id: int, now: float, detail_type: str, resources: list[str], detail: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.UUID(int=event_id)),
            "detail-type": detail_type,
            "source": "aws.sagemaker",
            "account": self._arns.account,
            "time": utc(now).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._arns.region,
            "resources": resources,
            "detail": detail,
            "sequence": event_id,
        }
