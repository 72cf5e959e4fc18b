"""Local S3 triggers: ``sagestep upload`` and a watcher on the local object store.

Both turn an object into the EventBridge "Object Created" event AWS would send and hand it to
the router, so local uploads start runs exactly as S3 uploads do on AWS. The event id is
derived from the object (bucket, key, ETag, mtime, size): an upload and the watcher seeing
the same object produce the same id, so the router starts one execution, not two.

The watcher keeps what it has seen in SQLite (table ``trigger_objects``), so a restarted
server reacts to objects written while it was down, and never re-fires old ones.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sagestep.stores import sqlite as db
from sagestep.stores.object_meta import read_folder_record

MIGRATIONS = [
    """
    CREATE TABLE trigger_objects (
        bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL, PRIMARY KEY (bucket, key));
    CREATE TABLE trigger_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)
    """,
]
ACCOUNT = "123456789012"
REGION = "us-east-1"

Send = Callable[[Mapping[str, Any]], Any]


def object_event(info: Any) -> dict[str, Any]:
    """The EventBridge S3 'Object Created' event for a stored object (ObjectInfo)."""
    identity = f"{info.bucket}/{info.key}@{info.etag}:{info.size}:{info.mtime:.6f}"
    digest = hashlib.sha256(identity.encode()).hexdigest()
    event_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    when = datetime.fromtimestamp(info.mtime, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0", "id": event_id, "detail-type": "Object Created", "source": "aws.s3",
        "account": ACCOUNT, "time": when, "region": REGION,
        "resources": [f"arn:aws:s3:::{info.bucket}"],
        "detail": {
            "version": "0", "bucket": {"name": info.bucket},
            "object": {"key": info.key, "size": info.size, "etag": info.etag,
                       "sequencer": f"{int(info.mtime * 1e6):016X}"},
            "request-id": digest[:16].upper(), "requester": ACCOUNT,
            "source-ip-address": "127.0.0.1", "reason": "PutObject",
        },
    }


def upload(backend: Any, source: Path, destination: str) -> Any:
    """Store ``source`` at ``destination`` (s3://bucket/key) and route its S3 event."""
    from sagestep.stores.objectstore import parse_uri

    bucket, key = parse_uri(destination)
    store = backend.runtime.object_store
    store.create_bucket(bucket)
    info = store.put_file(bucket, key, source)
    watcher = Watcher(store, backend.runtime.workspace.db_path, backend.send_event)
    watcher.remember(info)  # the watcher need not send it again
    return backend.send_event(object_event(info))


class Watcher:
    """Polls the local object store and sends one S3 event per new or changed object."""

    def __init__(self, store: Any, db_path: Path | str, send: Send) -> None:
        self.store = store
        self.send = send
        self.conn: sqlite3.Connection = db.connect(db_path)
        db.migrate(self.conn, "triggers", MIGRATIONS)

    def scan(self) -> list[Any]:
        """Send events for objects new since the last scan; returns what ``send`` returned.

        The very first scan of a workspace only records what exists (no events for old files).
        """
        baseline = self.conn.execute(
            "SELECT value FROM trigger_state WHERE name = 'watcher_baseline'"
        ).fetchone() is None
        known = {(r["bucket"], r["key"]): (r["size"], r["mtime_ns"]) for r in
                 self.conn.execute("SELECT bucket, key, size, mtime_ns FROM trigger_objects")}
        results: list[Any] = []
        for bucket, key, size, mtime_ns in self._walk():
            if known.get((bucket, key)) == (size, mtime_ns):
                continue
            try:
                info = self.store.head(bucket, key)
            except Exception:  # removed or rewritten under us; the next scan sees it
                continue
            if not baseline:
                # Route first, then remember: a crash in between re-sends the same event id,
                # which the router turns into the same execution name (started once).
                results.append(self.send(object_event(info)))
            self._record(bucket, key, size, mtime_ns)
        if baseline:
            with db.transaction(self.conn):
                self.conn.execute(
                    "INSERT OR REPLACE INTO trigger_state (name, value) VALUES ('watcher_baseline', '1')"
                )
        return results

    def remember(self, info: Any) -> None:
        """Record an object as seen (``sagestep upload`` already routed it)."""
        st = self.store.path(info.bucket, info.key).stat()
        self._record(info.bucket, info.key, st.st_size, st.st_mtime_ns)

    def close(self) -> None:
        self.conn.close()

    def _record(self, bucket: str, key: str, size: int, mtime_ns: int) -> None:
        with db.transaction(self.conn):
            self.conn.execute(
                "INSERT OR REPLACE INTO trigger_objects (bucket, key, size, mtime_ns)"
                " VALUES (?, ?, ?, ?)", (bucket, key, size, mtime_ns),
            )

    def _walk(self) -> list[tuple[str, str, int, int]]:
        found = []
        root = Path(self.store.root)
        for bucket, _created in self.store.buckets():
            base = root / bucket
            for dirpath, _dirs, files in os.walk(base):
                # A folder object ("data/", made by the console or `aws s3api put-object --key
                # data/`) is a directory carrying a record; S3 sends Object Created for it too.
                folder = read_folder_record(Path(dirpath)) if dirpath != str(base) else None
                if folder is not None:
                    rel = Path(dirpath).relative_to(base).as_posix()
                    found.append((bucket, f"{rel}/", 0, int(folder[0] * 1e9)))
                for fname in files:
                    if fname.endswith(".sagestep-etag"):  # the store's ETag cache files
                        continue
                    path = Path(dirpath, fname)
                    try:
                        st = path.stat()
                    except FileNotFoundError:
                        continue
                    found.append((bucket, path.relative_to(base).as_posix(), st.st_size, st.st_mtime_ns))
        return found
