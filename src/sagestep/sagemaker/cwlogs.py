"""CloudWatch Logs reads over the workspace's log streams: the boto3-shaped ``logs`` client.

    from sagestep.local import client
    logs = client("logs", home="./.sagestep")
    logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                        logStreamName="my-job/algo-1-1733356800", startFromHead=True)

The streams are the files jobs and endpoint servers already write (logs.py), read in place.
What the SageMaker Python SDK relies on holds: streams named ``<job>/algo-1-<epoch>``,
timestamps in epoch ms, events in time order, a forward token that comes back unchanged
when there is nothing new (the SDK polls with it until the job ends), and ``nextToken``
only while more results remain. Tokens are byte offsets, so a poll costs what it returns.
"""

from __future__ import annotations

import heapq
import re
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

from sagestep.errors import modeled_exceptions
from sagestep.sagemaker.logpattern import PatternError, compile_pattern
from sagestep.sagemaker.logs import LogStore
from sagestep.sagemaker.logstream import Event, StreamFile
from sagestep.sagemaker.logtokens import (
    decode_filter_token,
    decode_index_token,
    encode_filter_token,
    encode_index_token,
)

# AWS caps a GetLogEvents/FilterLogEvents page at 10,000 events or 1 MB, counting each
# event's message plus 26 bytes (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html).
MAX_EVENTS = 10_000
MAX_PAGE_BYTES = 1_048_576
EVENT_OVERHEAD = 26
_TOKEN = re.compile(r"^([fb])/(\d{56})/s$")


class LocalLogsClient:
    """boto3 ``logs`` read methods over one workspace's log store."""

    def __init__(self, store: LogStore, region: str, account: str) -> None:
        self._store = store
        self._region = region
        self._account = account

    @property
    def exceptions(self) -> Any:
        """The modeled exception classes, as ``boto3.client("logs").exceptions``."""
        return modeled_exceptions("logs")

    def _error(self, code: str, message: str, operation: str) -> Exception:
        response = {"Error": {"Code": code, "Message": message},
                    "ResponseMetadata": {"HTTPStatusCode": 400}}
        return self.exceptions.from_code(code)(response, operation)  # type: ignore[no-any-return]

    def _group(self, name: str | None, identifier: str | None, operation: str) -> str:
        if name and identifier:
            raise self._error("InvalidParameterException", "LogGroup name and LogGroup ARN are "
                              "mutually exclusive parameters.", operation)
        group = name or _group_name(identifier or "")
        if not group:
            raise self._error("InvalidParameterException",
                              "Either logGroupName or logGroupIdentifier is required.", operation)
        if not self._store.has_group(group):
            raise self._error("ResourceNotFoundException", "The specified log group does not exist.",
                              operation)
        return group

    def _limit(self, limit: int | None, most: int, default: int, operation: str) -> int:
        if limit is None:
            return default
        if not 1 <= limit <= most:
            raise self._error("InvalidParameterException", "1 validation error detected: Value "
                              f"'{limit}' at 'limit' failed to satisfy constraint: Member must have "
                              f"value {'less' if limit > most else 'greater'} than or equal to "
                              f"{most if limit > most else 1}", operation)
        return limit

    def _arn(self, group: str, stream: str | None = None) -> str:
        arn = f"arn:aws:logs:{self._region}:{self._account}:log-group:{group}"
        return f"{arn}:log-stream:{stream}" if stream is not None else arn

    def describe_log_groups(
        self, logGroupNamePrefix: str | None = None, logGroupNamePattern: str | None = None,  # noqa: N803
        nextToken: str | None = None, limit: int | None = None,  # noqa: N803
        logGroupClass: str | None = None, logGroupIdentifiers: list[str] | None = None,  # noqa: N803
        accountIdentifiers: list[str] | None = None, includeLinkedAccounts: bool = False,  # noqa: N803
    ) -> dict[str, Any]:
        """The log groups (jobs' and endpoints'), by name; one account, no linked ones."""
        op = "DescribeLogGroups"
        if logGroupNamePrefix and logGroupNamePattern:
            raise self._error("InvalidParameterException", "LogGroup name prefix and LogGroup name "
                              "pattern are mutually exclusive parameters.", op)
        size = self._limit(limit, 50, 50, op)
        names = self._store.groups()
        if logGroupNamePrefix:
            names = [g for g in names if g.startswith(logGroupNamePrefix)]
        if logGroupNamePattern:
            names = [g for g in names if logGroupNamePattern.lower() in g.lower()]
        if logGroupIdentifiers:
            wanted = {_group_name(i) for i in logGroupIdentifiers}
            names = [g for g in names if g in wanted]
        if logGroupClass not in (None, "STANDARD"):
            names = []  # every local group is of the STANDARD class
        start = self._start(nextToken, op)
        groups = [self._describe_group(g) for g in names[start: start + size]]
        out: dict[str, Any] = {"logGroups": groups}
        if start + size < len(names):
            out["nextToken"] = encode_index_token(start + size)
        return out

    def _describe_group(self, group: str) -> dict[str, Any]:
        created, stored = self._store.group_stats(group)
        arn = self._arn(group)
        return {"logGroupName": group, "creationTime": created, "metricFilterCount": 0,
                "arn": f"{arn}:*", "storedBytes": stored, "logGroupClass": "STANDARD",
                "logGroupArn": arn}

    def _start(self, token: str | None, operation: str) -> int:
        if token is None:
            return 0
        start = decode_index_token(token)
        if start is None:
            raise self._error("InvalidParameterException", "The specified nextToken is invalid.",
                              operation)
        return start

    def describe_log_streams(
        self, logGroupName: str | None = None, logGroupIdentifier: str | None = None,  # noqa: N803
        logStreamNamePrefix: str | None = None, orderBy: str = "LogStreamName",  # noqa: N803
        descending: bool = False, nextToken: str | None = None, limit: int | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        """A group's streams by name (or by last event time), 50 a page at most."""
        op = "DescribeLogStreams"
        group = self._group(logGroupName, logGroupIdentifier, op)
        if orderBy not in ("LogStreamName", "LastEventTime"):
            raise self._error("InvalidParameterException", f"1 validation error detected: Value "
                              f"'{orderBy}' at 'orderBy' failed to satisfy constraint: Member must "
                              "satisfy enum value set: [LogStreamName, LastEventTime]", op)
        if orderBy == "LastEventTime" and logStreamNamePrefix:
            raise self._error("InvalidParameterException",
                              "Cannot order by LastEventTime with a logStreamNamePrefix.", op)
        size = self._limit(limit, 50, 50, op)
        start = self._start(nextToken, op)
        names = sorted(self._store.streams(group, logStreamNamePrefix or ""), reverse=descending)
        if orderBy == "LogStreamName":  # describe only the page: each description reads a file
            streams = [self._describe_stream(group, s) for s in names[start: start + size]]
        else:
            every = [self._describe_stream(group, s) for s in names]
            every.sort(key=lambda s: s.get("lastEventTimestamp", s["creationTime"]), reverse=descending)
            streams = every[start: start + size]
        out: dict[str, Any] = {"logStreams": streams}
        if start + size < len(names):
            out["nextToken"] = encode_index_token(start + size)
        return out

    def _describe_stream(self, group: str, stream: str) -> dict[str, Any]:
        path = self._store.path(group, stream)
        created = int(path.stat().st_ctime * 1000)
        with StreamFile(path) as sf:
            first, last = sf.first_event(), sf.last_event()
        # storedBytes of a stream has been reported as 0 by AWS since 2019 (deprecated)
        out: dict[str, Any] = {"logStreamName": stream, "arn": self._arn(group, stream),
                               "storedBytes": 0}
        if first is not None and last is not None:
            out.update(creationTime=min(created, first.timestamp), firstEventTimestamp=first.timestamp,
                       lastEventTimestamp=last.timestamp,
                       lastIngestionTime=int(path.stat().st_mtime * 1000))
        else:
            out["creationTime"] = created
        return out

    def get_log_events(
        self, logStreamName: str, logGroupName: str | None = None,  # noqa: N803
        logGroupIdentifier: str | None = None, startTime: int | None = None,  # noqa: N803
        endTime: int | None = None, nextToken: str | None = None, limit: int | None = None,  # noqa: N803
        startFromHead: bool = False, unmask: bool = False,  # noqa: N803
    ) -> dict[str, Any]:
        """One stream's events in [startTime, endTime): the newest page by default, the oldest
        with ``startFromHead``, or the page a forward/backward token points at."""
        op = "GetLogEvents"
        group = self._group(logGroupName, logGroupIdentifier, op)
        size = self._limit(limit, MAX_EVENTS, MAX_EVENTS, op)
        path = self._store.stream_file(group, logStreamName)
        if path is None:
            raise self._error("ResourceNotFoundException", "The specified log stream does not exist.", op)
        with StreamFile(path) as sf:
            lo = sf.first_at_or_after(startTime) if startTime else 0
            hi = sf.first_at_or_after(endTime) if endTime is not None else sf.size
            direction, pos = ("f", lo) if startFromHead else ("b", hi)
            if nextToken is not None:
                direction, pos = self._position(nextToken, sf, op)
            if direction == "f":
                events, _ = _take(sf.forward(max(pos, lo), hi), size, _cost)
            else:
                events, _ = _take(sf.backward(min(pos, hi), lo), size, _cost)
                events.reverse()
        if not events:  # nothing (new) there: the same position again, as AWS answers at the end
            return {"events": [], "nextForwardToken": _token("f", pos),
                    "nextBackwardToken": _token("b", pos)}
        return {"events": [{"timestamp": e.timestamp, "message": e.message,
                            "ingestionTime": e.timestamp} for e in events],
                "nextForwardToken": _token("f", events[-1].end),
                "nextBackwardToken": _token("b", events[0].offset)}

    def filter_log_events(
        self, logGroupName: str | None = None, logGroupIdentifier: str | None = None,  # noqa: N803
        logStreamNames: list[str] | None = None, logStreamNamePrefix: str | None = None,  # noqa: N803
        startTime: int | None = None, endTime: int | None = None,  # noqa: N803
        filterPattern: str | None = None, nextToken: str | None = None,  # noqa: N803
        limit: int | None = None, interleaved: bool | None = None, unmask: bool = False,
    ) -> dict[str, Any]:
        """Events of a group's streams (all, named, or by prefix) in time order, matching
        ``filterPattern``; ``nextToken`` only while more match."""
        op = "FilterLogEvents"
        group = self._group(logGroupName, logGroupIdentifier, op)
        if logStreamNames and logStreamNamePrefix:
            raise self._error("InvalidParameterException", "logStreamNames and logStreamNamePrefix "
                              "are mutually exclusive parameters.", op)
        size = self._limit(limit, MAX_EVENTS, MAX_EVENTS, op)
        try:
            matches = compile_pattern(filterPattern)
        except PatternError as exc:
            raise self._error("InvalidParameterException", str(exc), op) from exc
        after = decode_filter_token(nextToken) if nextToken is not None else None
        if nextToken is not None and after is None:
            raise self._error("InvalidParameterException", "The specified nextToken is invalid.", op)
        names = sorted(set(logStreamNames) if logStreamNames
                       else self._store.streams(group, logStreamNamePrefix or ""))
        paths = {n: p for n in names if (p := self._store.stream_file(group, n)) is not None}
        names = list(paths)
        with ExitStack() as stack:
            files = [(n, stack.enter_context(StreamFile(paths[n]))) for n in names]
            merged = heapq.merge(*(_events(n, sf, startTime, endTime, after) for n, sf in files),
                                 key=lambda item: (item[1].timestamp, item[0], item[1].offset))
            page, more = _take((i for i in merged if matches(i[1].message)), size,
                               lambda item: _cost(item[1]))
        out: dict[str, Any] = {
            "events": [{"logStreamName": n, "timestamp": e.timestamp, "message": e.message,
                        "ingestionTime": e.timestamp, "eventId": _event_id(n, e)} for n, e in page],
            "searchedLogStreams": [{"logStreamName": n, "searchedCompletely": not more} for n in names],
        }
        if more:
            name, last = page[-1]
            out["nextToken"] = encode_filter_token(last.timestamp, name, last.offset)
        return out

    def _position(self, token: str, sf: StreamFile, operation: str) -> tuple[str, int]:
        match = _TOKEN.match(token)
        if match is None or not sf.is_line_start(int(match.group(2))):
            raise self._error("InvalidParameterException", "The specified nextToken is invalid.", operation)
        return match.group(1), int(match.group(2))


def _group_name(identifier: str) -> str:
    """A log group's name from its name or ARN (arn:aws:logs:region:account:log-group:NAME[:*])."""
    if identifier.startswith("arn:"):
        name = identifier.split(":log-group:", 1)[-1]
        return name[:-2] if name.endswith(":*") else name
    return identifier


def _token(direction: str, offset: int) -> str:
    # shaped like AWS's (f/<56 digits>/s); the digits are the byte offset of a line start
    return f"{direction}/{offset:056d}/s"


def _cost(event: Event) -> int:
    return event.end - event.offset + EVENT_OVERHEAD


def _take(items: Iterator[Any], limit: int, cost: Any) -> tuple[list[Any], bool]:
    """Up to ``limit`` items and MAX_PAGE_BYTES; and whether any item was left over."""
    out: list[Any] = []
    used = 0
    for item in items:
        weight = cost(item)
        if len(out) >= limit or (out and used + weight > MAX_PAGE_BYTES):
            return out, True
        out.append(item)
        used += weight
    return out, False


def _events(name: str, sf: StreamFile, start: int | None, end: int | None,
            after: tuple[int, str, int] | None) -> Iterator[tuple[str, Event]]:
    """One stream's events in [start, end) that sort after the token's (time, stream, offset)."""
    lo = sf.first_at_or_after(max(start or 0, after[0] if after else 0))
    hi = sf.first_at_or_after(end) if end is not None else sf.size
    for event in sf.forward(lo, hi):
        if after is not None and (event.timestamp, name, event.offset) <= after:
            continue
        if (start is None or event.timestamp >= start) and (end is None or event.timestamp < end):
            yield name, event


def _event_id(stream: str, event: Event) -> str:
    # AWS event ids are 56-digit strings, unique in a group: time, stream hash, offset
    return f"{event.timestamp:020d}{zlib.crc32(stream.encode()):010d}{event.offset:026d}"
