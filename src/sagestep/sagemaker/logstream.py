"""One log stream file (``<stream>.jsonl``, see logs.py) read the way CloudWatch Logs serves it.

Positions are byte offsets of line starts, so a page costs what it returns, not the stream's
length: a time bound is found by binary search (events are appended in time order), a page
of the newest events by reading backwards from the end. Only complete lines count: a writer
in another process (an endpoint's log shipper) may be half-way through its append.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

BLOCK = 64 << 10


@dataclass(frozen=True)
class Event:
    """One log event and where its line lies in the file."""

    offset: int
    end: int
    timestamp: int
    message: str


class StreamFile:
    """Read access to one stream's complete lines; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO = path.open("rb")
        self.size = self._complete_size(os.fstat(self._fh.fileno()).st_size)

    def __enter__(self) -> StreamFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def _read(self, start: int, length: int) -> bytes:
        return os.pread(self._fh.fileno(), length, start)

    def _complete_size(self, size: int) -> int:
        """Bytes up to and including the last newline."""
        end = size
        while end > 0:
            start = max(0, end - BLOCK)
            cut = self._read(start, end - start).rfind(b"\n")
            if cut >= 0:
                return start + cut + 1
            end = start
        return 0

    def is_line_start(self, offset: int) -> bool:
        """Whether ``offset`` is where a line begins (or the end): a token's sanity check."""
        if offset in (0, self.size):
            return True
        return 0 < offset < self.size and self._read(offset - 1, 1) == b"\n"

    def event_at(self, offset: int) -> Event:
        """The event whose line starts at ``offset`` (< size)."""
        return next(self.forward(offset, self.size))

    def _line_start_before(self, x: int, floor: int) -> int:
        """Start of the line containing byte ``x``, not below ``floor`` (a line start)."""
        end = x
        while end > floor:
            start = max(floor, end - BLOCK)
            cut = self._read(start, end - start).rfind(b"\n")
            if cut >= 0:
                return start + cut + 1
            end = start
        return floor

    def first_at_or_after(self, timestamp: int) -> int:
        """Offset of the first event with a timestamp >= ``timestamp`` (size if none)."""
        lo, hi = 0, self.size  # both line starts; the answer lies in [lo, hi]
        while lo < hi:
            mid = self._line_start_before((lo + hi) // 2, lo)
            event = self.event_at(mid)
            if event.timestamp < timestamp:
                lo = event.end
            else:
                hi = mid
        return lo

    def forward(self, start: int, stop: int) -> Iterator[Event]:
        """Events whose lines start in [start, stop), oldest first (``start`` a line start)."""
        buf, base, pos = b"", start, start
        while pos < stop:
            cut = buf.find(b"\n", pos - base)
            if cut < 0:
                chunk = self._read(base + len(buf), min(BLOCK, self.size - base - len(buf)))
                if not chunk:
                    return
                buf, base = buf[pos - base:] + chunk, pos
                continue
            line = buf[pos - base: cut + 1]
            yield _parse(pos, line)
            pos += len(line)

    def backward(self, stop: int, floor: int) -> Iterator[Event]:
        """Events whose lines lie in [floor, stop), newest first (both line starts)."""
        end, carry = stop, b""
        while end > floor:
            start = max(floor, end - BLOCK)
            # carry: the line that began before the previous block, with its newline
            lines = (self._read(start, end - start) + carry).split(b"\n")[:-1]
            if start > floor:  # lines[0] may have begun in a block still unread
                carry, lines = lines[0] + b"\n", lines[1:]
            else:
                carry = b""
            pos = start + len(carry)
            found = []
            for raw in lines:
                found.append(_parse(pos, raw + b"\n"))
                pos += len(raw) + 1
            yield from reversed(found)
            end = start

    def first_event(self) -> Event | None:
        return self.event_at(0) if self.size else None

    def last_event(self) -> Event | None:
        return next(self.backward(self.size, 0), None)


def _parse(offset: int, line: bytes) -> Event:
    try:
        data = json.loads(line)
        return Event(offset, offset + len(line), int(data["timestamp"]), str(data["message"]))
    except (ValueError, KeyError, TypeError):
        # a line not written by LogStore: still an event, stamped 0, so reads never fail
        return Event(offset, offset + len(line), 0, line.decode("utf-8", "replace").rstrip("\n"))
