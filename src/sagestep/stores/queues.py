"""Local SQS-like queues: one SQLite table in the workspace database (component ``queues``).

Enough of SQS for callback patterns to run locally: a state machine sends a message (with its
task token) and a consumer — a test, or a user's program through :class:`LocalQueues` or
``sagestep sqs receive`` — receives it and answers with SendTaskSuccess. Receive hides a
message for its visibility timeout; delete removes it by receipt handle; a message not deleted
comes back, as on SQS (at-least-once).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sagestep.stores.sqlite import connect, migrate, transaction

COMPONENT = "queues"
SCRIPTS = ["""
CREATE TABLE sqs_messages (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    attributes TEXT,
    sent REAL NOT NULL,
    visible REAL NOT NULL,
    receipt TEXT,
    receives INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sqs_messages_by_queue ON sqs_messages (queue, visible)
"""]


def queue_name(url_or_name: str) -> str:
    """``https://sqs.us-east-1.amazonaws.com/111111111111/jobs`` or an ARN -> ``jobs``."""
    return url_or_name.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def queue_url(name: str, region: str = "us-east-1", account: str = "123456789012") -> str:
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


class LocalQueues:
    """send / receive / delete over the workspace database."""

    def __init__(self, db_path: Path | str, now: Callable[[], float] = time.time) -> None:
        self._conn = connect(db_path)
        self._now = now
        migrate(self._conn, COMPONENT, SCRIPTS)

    def close(self) -> None:
        self._conn.close()

    def send(self, queue: str, body: str, delay_seconds: int = 0,
             attributes: str | None = None) -> dict[str, str]:
        message_id = str(uuid.uuid4())
        now = self._now()
        with transaction(self._conn) as conn:
            conn.execute("INSERT INTO sqs_messages (id, queue, body, attributes, sent, visible)"
                         " VALUES (?, ?, ?, ?, ?, ?)",
                         (message_id, queue_name(queue), body, attributes, now,
                          now + delay_seconds))
        return {"MessageId": message_id,
                "MD5OfMessageBody": hashlib.md5(body.encode()).hexdigest()}  # noqa: S324

    def receive(self, queue: str, max_messages: int = 1,
                visibility_timeout: float = 30.0) -> list[dict[str, Any]]:
        """Up to ``max_messages`` visible messages, oldest first, hidden for the timeout."""
        now = self._now()
        out: list[dict[str, Any]] = []
        with transaction(self._conn) as conn:
            rows = conn.execute(
                "SELECT id, body FROM sqs_messages WHERE queue = ? AND visible <= ?"
                " ORDER BY sent, rowid LIMIT ?", (queue_name(queue), now, max_messages)).fetchall()
            for row in rows:
                receipt = str(uuid.uuid4())
                conn.execute("UPDATE sqs_messages SET visible = ?, receipt = ?,"
                             " receives = receives + 1 WHERE id = ?",
                             (now + visibility_timeout, receipt, row["id"]))
                out.append({"MessageId": row["id"], "ReceiptHandle": receipt,
                            "Body": row["body"],
                            "MD5OfBody": hashlib.md5(row["body"].encode()).hexdigest()})  # noqa: S324
        return out

    def delete(self, queue: str, receipt_handle: str) -> bool:
        with transaction(self._conn) as conn:
            cur = conn.execute("DELETE FROM sqs_messages WHERE queue = ? AND receipt = ?",
                               (queue_name(queue), receipt_handle))
            return cur.rowcount > 0

    def count(self, queue: str) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM sqs_messages WHERE queue = ?",
                                 (queue_name(queue),)).fetchone()
        return int(row[0])
