"""The worker: leases due executions from the queue and advances them.

It never sleeps for a state: it sleeps until the earliest due time in the queue or until
woken (a new execution, a callback, a stop request). Leases carry the owner's host and pid,
so a worker restarted after ``kill -9`` takes over its dead predecessor's executions at once
instead of waiting for the lease to expire. A clock with a ``skip_to(t)`` method (tests,
simulations) is moved to the next due time instead of being waited for.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sqlite3
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from sagestep.engine.call_pool import CallPool
from sagestep.engine.interpreter import ExecutionInfo, Interpreter
from sagestep.engine.journal import LEASE_SECONDS
from sagestep.engine.names import machine_name_of
from sagestep.engine.thread_store import load

if TYPE_CHECKING:
    from sagestep.engine.service import EngineService

log = logging.getLogger(__name__)

IDLE_SECONDS = 0.25  # real seconds between queue checks when nothing is due (other processes)
CLAIM_BATCH = 16
RETRY_SECONDS = 0.5  # after a transient database error, the execution is tried again then


class Worker:
    """Advances the executions of one service; a background thread or a blocking loop."""

    def __init__(self, service: EngineService, background: bool = True) -> None:
        self.service = service
        self.background = background  # False: never start a thread (another process works)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Lambda calls run here while serving; a bare run_once() loop runs them inline.
        self.calls: CallPool | None = None
        # Run on every idle pass (e.g. the local SageMaker's job supervision); each must be
        # cheap and throttle itself. The engine itself never names what they do.
        self.idle_hooks: list[Callable[[], None]] = []

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        if not self.background:
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self.serve, args=(self._stop,),
                                            name="sagestep-engine-worker", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the background thread after its current step."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None
        calls, self.calls = self.calls, None
        if calls is not None:
            calls.close()

    def wake(self) -> None:
        self._wake.set()
        self.start()

    def serve(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set."""
        with self._lock:
            if self.calls is None:
                svc = self.service
                self.calls = CallPool(svc.journal, svc.clock, self.owner, self._wake.set)
        while not stop.is_set():
            worked = self.run_once()
            self._run_hooks()  # also while busy: each hook throttles itself
            if worked:
                continue
            self._idle(stop)

    def run_once(self) -> int:
        """Advance every execution due now; how many were advanced."""
        journal, clock = self.service.journal, self.service.clock
        try:
            dead = self._dead_owners()
            journal.wake_orphaned_calls(dead, clock.now())
            arns = journal.claim(self.owner, clock.now(), LEASE_SECONDS, CLAIM_BATCH, dead)
        except sqlite3.OperationalError as exc:  # e.g. "database is locked": try again later
            log.warning("engine: could not claim work now: %s", exc)
            return 0
        for arn in arns:
            try:
                self.advance(arn)
            except sqlite3.OperationalError as exc:
                # Transient (a lock held too long by another process): nothing of this pass
                # was committed past its last step; the execution is retried, not failed.
                log.warning("engine: execution %s paused by a database error: %s", arn, exc)
                self._retry_soon(arn)
            except Exception as exc:  # noqa: BLE001 - one broken execution must not stop the worker
                log.exception("engine: execution %s failed inside the engine", arn)
                journal.fail_internal(arn, self.owner, exc, clock.now())
            finally:
                with contextlib.suppress(sqlite3.OperationalError):  # the lease then expires
                    journal.release(arn, self.owner)
                self.service.notify()
        return len(arns)

    def _retry_soon(self, arn: str) -> None:
        journal = self.service.journal
        with contextlib.suppress(sqlite3.OperationalError), journal.tx() as conn:
            journal.wake(conn, arn, self.service.clock.now() + RETRY_SECONDS)

    def _run_hooks(self) -> None:
        for hook in self.idle_hooks:
            try:
                hook()
            except Exception:  # noqa: BLE001 - a supervisor's hiccup must not stop the engine
                log.exception("engine: idle hook failed")

    def _idle(self, stop: threading.Event) -> None:
        clock = self.service.clock
        due = self.service.journal.next_due()
        now = clock.now()
        skip = getattr(clock, "skip_to", None)
        busy = self.calls is not None and self.calls.busy()
        if due is not None and skip is not None and not busy:  # warp only when nothing runs
            if due > now:
                skip(due)
            return
        timeout = IDLE_SECONDS if due is None else max(0.0, min(IDLE_SECONDS, due - now))
        self._wake.wait(timeout)
        self._wake.clear()

    def _dead_owners(self) -> list[str]:
        host = socket.gethostname()
        dead = []
        journal = self.service.journal
        for owner in {*journal.lease_holders(), *journal.call_owners()}:
            parts = owner.split(":")
            if owner == self.owner or len(parts) != 3 or parts[0] != host:
                continue
            if not _alive(int(parts[1])):
                dead.append(owner)
        return dead

    def advance(self, arn: str) -> None:
        """Load ``arn`` and run it until blocked."""
        svc = self.service
        row = svc.journal.one("SELECT * FROM sfn_executions WHERE arn = ?", (arn,))
        if row is None or row["status"] != "RUNNING":
            return
        info = ExecutionInfo(
            arn=arn, name=row["name"], machine_arn=row["machine_arn"],
            machine_name=machine_name_of(row["machine_arn"]), input_text=row["input"],
            started=row["started"], role_arn=row["role_arn"],
            redrive_count=row["redrive_count"], redrive_date=row["redrive_date"])
        from sagestep.engine.service import parsed

        snapshot, store = load(svc.journal, arn, row["snapshot"])
        Interpreter(info, parsed(row["definition"]), snapshot, row["next_event"], svc.journal,
                    svc.integrations, svc.clock, self.owner, svc.arns.region,
                    store=store if snapshot is not None and not snapshot.legacy else None,
                    calls=self.calls).run()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

