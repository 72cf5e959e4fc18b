"""Time for the engine: stored timers are absolute due times; a warp clock skips to them.

The worker never sleeps inside a state. When it is idle it waits until the earliest due
time in the queue; with a :class:`WarpClock` (tests, dry runs of long pipelines) it jumps
there instead, so a ``Wait`` of a day takes no real time while every timestamp the
execution records stays consistent.
"""

from __future__ import annotations

import threading
import time


class WarpClock:
    """Real time plus an offset that only grows; ``skip_to`` moves it forward."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def skip_to(self, due: float) -> None:
        """Advance to ``due`` (no-op if it has passed)."""
        with self._lock:
            ahead = due - (time.time() + self._offset)
            if ahead > 0:
                self._offset += ahead
