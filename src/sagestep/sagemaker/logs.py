"""Per-job log streams kept like CloudWatch Logs: <root>/<group>/<stream>.jsonl.

Each line a job prints becomes one event ``{"timestamp": ms, "message": line}``. Groups are
AWS's: /aws/sagemaker/TrainingJobs, /aws/sagemaker/ProcessingJobs, /aws/sagemaker/TransformJobs;
streams are ``<JobName>/algo-1-<epoch seconds>``.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from sagestep.clock import Clock
from sagestep.errors import client_error
from sagestep.sagemaker.logstream import StreamFile

GROUPS = {
    "training-job": "/aws/sagemaker/TrainingJobs",
    "processing-job": "/aws/sagemaker/ProcessingJobs",
    "transform-job": "/aws/sagemaker/TransformJobs",
}
ENDPOINT_GROUPS = "/aws/sagemaker/Endpoints"  # one group per endpoint below it
# SageMaker's EndpointName pattern: an endpoint group's last segment cannot be "." or ".."
_ENDPOINT_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


class LogStore:
    """Writes and reads job log streams."""

    def __init__(self, root: Path, clock: Clock) -> None:
        self._root = root
        self._clock = clock
        self._lock = threading.Lock()

    def path(self, group: str, stream: str) -> Path:
        return self._root / group.strip("/") / f"{stream}.jsonl"

    def append(self, group: str, stream: str, lines: list[str], at: float | None = None) -> None:
        """Append ``lines`` as events stamped ``at`` (default: now)."""
        if not lines:
            return
        ms = int((self._clock.now() if at is None else at) * 1000)
        path = self.path(group, stream)
        text = "".join(json.dumps({"timestamp": ms, "message": line}) + "\n" for line in lines)
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(text)

    def has_group(self, group: str) -> bool:
        """Whether ``group`` is a log group that exists (a job kind's, or an endpoint's)."""
        name = group.removeprefix(ENDPOINT_GROUPS + "/")
        known = group in GROUPS.values() or (name != group and _ENDPOINT_NAME.fullmatch(name))
        return bool(known) and (self._root / group.strip("/")).is_dir()

    def stream_file(self, group: str, stream: str) -> Path | None:
        """The file of an existing stream, or None; names that would leave the group's
        directory (empty, "." or ".." segments) name no stream."""
        if not _within(stream):
            return None
        path = self.path(group, stream)
        return path if path.is_file() else None

    def groups(self) -> list[str]:
        """Names of the log groups that exist, sorted."""
        found = [g for g in GROUPS.values() if self.has_group(g)]
        endpoints = self._root / ENDPOINT_GROUPS.strip("/")
        if endpoints.is_dir():
            found += [f"{ENDPOINT_GROUPS}/{p.name}" for p in endpoints.iterdir() if p.is_dir()]
        return sorted(found)

    def group_stats(self, group: str) -> tuple[int, int]:
        """(creation time in ms, bytes stored) of an existing group."""
        base = self._root / group.strip("/")
        stored, created = 0, int(base.stat().st_mtime * 1000)
        for path in base.rglob("*.jsonl"):
            stored += path.stat().st_size
            with StreamFile(path) as sf:
                first = sf.first_event()
            # Linux keeps no birth time: the oldest first event stands in for the creation
            created = min(created, first.timestamp) if first is not None else created
        return created, stored

    def streams(self, group: str, prefix: str = "") -> list[str]:
        """Stream names of ``group`` starting with ``prefix``, oldest first."""
        base = self._root / group.strip("/")
        folder, _, _ = prefix.rpartition("/")
        if folder and not _within(folder):
            return []  # no stream name holds such a segment (stream_file refuses them)
        search = base / folder if folder else base  # "<job>/": that job's folder only
        found = [p for p in search.rglob("*.jsonl")] if search.is_dir() else []
        found.sort(key=lambda p: p.stat().st_mtime)
        names = [str(p.relative_to(base))[: -len(".jsonl")] for p in found]
        return [n for n in names if n.startswith(prefix)]

    def describe_log_streams(self, logGroupName: str, logStreamNamePrefix: str = "") -> dict[str, Any]:  # noqa: N803
        """CloudWatch DescribeLogStreams shape (subset)."""
        return {
            "logStreams": [
                {"logStreamName": s, "arn": f"{logGroupName}:{s}"}
                for s in self.streams(logGroupName, logStreamNamePrefix)
            ]
        }

    def get_log_events(
        self, logGroupName: str, logStreamName: str, startFromHead: bool = True,  # noqa: N803
        nextToken: str | None = None, limit: int = 10_000,  # noqa: N803
    ) -> dict[str, Any]:
        """CloudWatch GetLogEvents shape: events, nextForwardToken (a line offset)."""
        path = self.path(logGroupName, logStreamName)
        if not path.exists():
            raise client_error(
                "ResourceNotFoundException", "The specified log stream does not exist.", "GetLogEvents"
            )
        start = int(nextToken.split("/", 1)[1]) if nextToken else 0
        with path.open(encoding="utf-8") as fh:
            lines = fh.readlines()
        events = [dict(json.loads(x), ingestionTime=0) for x in lines[start : start + limit]]
        for ev in events:
            ev["ingestionTime"] = ev["timestamp"]
        end = start + len(events)
        return {"events": events, "nextForwardToken": f"f/{end}", "nextBackwardToken": f"b/{start}"}

    def messages(self, group: str, stream: str) -> list[str]:
        """Just the message lines of one stream (for tests and the CLI)."""
        return [e["message"] for e in self.get_log_events(group, stream)["events"]]


def _within(name: str) -> bool:
    """Whether a stream name (or folder of one) stays below its group's directory: not empty,
    no empty, "." or ".." segment."""
    return bool(name) and all(part not in ("", ".", "..") for part in name.split("/"))
