"""Time as a seam: the engine and services read time through a Clock, tests drive a fake."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time in seconds since the epoch."""

    def now(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that only moves when told to (thread-safe)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def utc(ts: float) -> datetime:
    """A timezone-aware UTC datetime, as boto3 returns timestamps."""
    return datetime.fromtimestamp(ts, tz=UTC)


def iso(ts: float) -> str:
    """ISO-8601 with milliseconds and Z, as Step Functions writes timestamps in payloads."""
    return utc(ts).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"
