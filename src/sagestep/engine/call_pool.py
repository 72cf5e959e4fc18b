"""A small pool of threads running Lambda calls, so a slow function blocks no execution.

Persist, then act: the task's ``TaskScheduled`` intent is committed before the call is
submitted. The pool records the outcome in ``sfn_calls`` (keyed by the task attempt) and
wakes the execution; its next pass reads the row and resumes the task. Delivery is
at-least-once, as on AWS: if the process dies while a call runs, a later pass finds the row
still RUNNING under a dead owner (or no row at all) and calls the function again.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
from collections.abc import Callable
from typing import Any

from sagestep.clock import Clock
from sagestep.engine import failure as names
from sagestep.engine.failure import TaskError
from sagestep.engine.journal import Journal

log = logging.getLogger(__name__)

POOL_SIZE = 4


class CallPool:
    """Daemon threads (a hung function must not keep the process alive) over one queue."""

    def __init__(self, journal: Journal, clock: Clock, owner: str,
                 wake: Callable[[], None], size: int = POOL_SIZE) -> None:
        self.journal = journal
        self.clock = clock
        self.owner = owner
        self._wake = wake
        self._queue: queue.Queue[tuple[str, str, Callable[[], Any]] | None] = queue.Queue()
        self._busy = 0
        self._lock = threading.Lock()
        self._size = size
        self._threads: list[threading.Thread] = []

    def close(self) -> None:
        """Let the threads end once the calls already queued are done."""
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(None)

    def busy(self) -> bool:
        """Whether a call is queued or running (a warp clock must not skip time then)."""
        with self._lock:
            return self._busy > 0

    def alive(self, owner: str) -> bool:
        """Whether the worker ``owner`` (host:pid:id) may still be running its calls."""
        if owner == self.owner:
            return True
        parts = owner.split(":")
        if len(parts) != 3 or parts[0] != socket.gethostname():
            return True  # another host: trust it (its lease would expire otherwise)
        try:
            os.kill(int(parts[1]), 0)
        except ProcessLookupError:
            return False
        except (PermissionError, ValueError):
            return True
        return True

    def submit(self, key: str, arn: str, call: Callable[[], Any]) -> None:
        """Record ``key`` as running under this owner and queue ``call``."""
        with self.journal.tx() as conn:
            conn.execute("INSERT OR REPLACE INTO sfn_calls (key, execution_arn, owner, status)"
                         " VALUES (?, ?, ?, 'RUNNING')", (key, arn, self.owner))
        with self._lock:
            self._busy += 1
            if not self._threads:  # started on first use: most services call no Lambda
                self._threads = [threading.Thread(target=self._serve, daemon=True,
                                                  name=f"sagestep-engine-call-{n}")
                                 for n in range(self._size)]
                for thread in self._threads:
                    thread.start()
        self._queue.put((key, arn, call))

    def _serve(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            key, arn, call = job
            try:
                self._record(key, arn, *_outcome(call))
            except Exception:  # noqa: BLE001 - a closed journal at shutdown; the call re-runs
                log.exception("engine: could not record the outcome of call %s", key)
            finally:
                with self._lock:
                    self._busy -= 1
                self._wake()

    def _record(self, key: str, arn: str, result: str | None, error: str | None,
                cause: str | None) -> None:
        with self.journal.tx() as conn:
            conn.execute("UPDATE sfn_calls SET status = 'DONE', result = ?, error = ?, cause = ?"
                         " WHERE key = ? AND owner = ?", (result, error, cause, key, self.owner))
            self.journal.wake(conn, arn, self.clock.now())


def _outcome(call: Callable[[], Any]) -> tuple[str | None, str | None, str | None]:
    """(result JSON, error, cause) of running ``call``."""
    try:
        return json.dumps(call()), None, None
    except TaskError as exc:
        return None, exc.failure.error or names.TASK_FAILED, exc.failure.cause
    except Exception as exc:  # noqa: BLE001 - an engine or integration bug fails the task
        return None, names.RUNTIME, f"Internal error in the local engine: {type(exc).__name__}: {exc}"
