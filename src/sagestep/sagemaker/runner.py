"""The job runner: one background thread per job around one child process.

Lifecycle of a created :class:`JobDefinition` (:meth:`JobRunner.create`):
``prepare(ctx) -> Launch`` (stage inputs, write config files) -> the process starts in its
sandbox (``ctx.sandbox``) with stdout+stderr going to a file -> every line goes to the job's
log stream and to ``job.line`` (metrics) -> MaxRuntime and stop requests are enforced
(SIGTERM to the process group, SIGKILL after the grace period, like ``docker stop``) ->
``finish(ctx, exit)`` uploads outputs and writes the final status.

The process is wrapped in ``bash -c '...; echo $? > exitcode'`` so its exit status
survives a restart of the worker: a new service re-attaches to a job whose pid still runs
(see :mod:`sagestep.sagemaker.recovery`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sagestep.clock import Clock
from sagestep.sagemaker import admission
from sagestep.sagemaker.capacity import Capacity, job_instance_type, slots_for
from sagestep.sagemaker.jobdef import Exit, JobContext, JobDefinition, JobFailure, Launch
from sagestep.sagemaker.jobenv import ApiAccess, aws_environment, job_environment
from sagestep.sagemaker.logs import LogStore
from sagestep.sagemaker.logtail import LineReader
from sagestep.sagemaker.process import Process, proc_start
from sagestep.sagemaker.records import RecordStore
from sagestep.sagemaker.runtime import JobRuntime, host_runtime
from sagestep.sagemaker.sandbox import BWRAP, Sandbox
from sagestep.stores.sqlite import transaction

_POLL_S = 0.02
_DISPATCH_S = 0.1
_STOP_CHECK_S = 0.25
_WRAPPER = 'trap : TERM INT; "$@"; echo $? > "$0"'

__all__ = ["Exit", "JobContext", "JobDefinition", "JobFailure", "JobRunner", "Launch"]


class JobRunner:
    """Starts and watches job processes; one instance per service."""

    def __init__(self, records: RecordStore, logs: LogStore, clock: Clock, jobs_root: Path,
                 sandbox_mode: str, stop_grace_s: float = 120.0,
                 capacity: Capacity | None = None, *,
                 api_endpoint: Callable[[], ApiAccess | None] = lambda: None,
                 region: str = "us-east-1", allow_unisolated: bool = False) -> None:
        self.records, self.logs, self.clock = records, logs, clock
        self.jobs_root = jobs_root
        self.sandbox_mode = sandbox_mode
        self.stop_grace_s = stop_grace_s
        self.api_endpoint, self.region = api_endpoint, region
        self.allow_unisolated = allow_unisolated
        self._threads: dict[tuple[str, str], threading.Thread] = {}
        self._lock = threading.RLock()  # recovery holds it while asking watching()
        self.owner = (os.getpid(), proc_start(os.getpid()))
        self.capacity = capacity or Capacity.of_machine()
        self.resolver: admission.Resolver | None = None  # set by the service (job kinds)
        self._dispatched = 0.0

    def workdir(self, kind: str, name: str) -> Path:
        """The host directory that is /opt/ml for this job."""
        return self.jobs_root / kind / name

    def sandbox(self, kind: str, name: str) -> Sandbox:
        return Sandbox(self.sandbox_mode, self.workdir(kind, name),
                       self.jobs_root / kind / f"{name}.run")

    def context(self, job: JobDefinition, sandbox: Sandbox | None = None) -> JobContext:
        sb = sandbox or self.sandbox(job.kind, job.name)
        stream = self._stream_of(job) or f"{job.name}/algo-1-{int(self.clock.now())}"
        return JobContext(self, job.kind, job.name, job.status_field, sb, job.log_group, stream)

    def create(self, job: JobDefinition, doc: dict[str, Any], operation: str) -> JobContext:
        """Store ``job``'s record and queue it in one transaction, then start what fits.

        This is the one admission point of every local job. A crash can leave no record that no
        worker owns: either record and ``sm_runs`` row exist (and
        :mod:`~sagestep.sagemaker.recovery` finds the dead owner) or neither does. A job that
        does not fit stays InProgress, waiting for local capacity, and starts in order.
        """
        ctx = self.context(job)
        doc.setdefault("SagestepLocal", {}).update(
            {"LogGroup": ctx.log_group, "LogStream": ctx.log_stream,
             "WorkDir": str(ctx.sandbox.workdir)})
        row = {"kind": job.kind, "name": job.name, "owner_pid": self.owner[0],
               "owner_start": self.owner[1], "sandbox": ctx.sandbox.mode,
               "workdir": str(ctx.sandbox.workdir), "log_stream": ctx.log_stream}

        def queue(conn: sqlite3.Connection) -> admission.Decision:
            total = self.capacity.total(admission.endpoint_memory_mb(conn))
            admission.enqueue(conn, {**row, "slots": slots_for(job_instance_type(doc), total)})
            return admission.admit(conn, self.capacity, self.owner)

        with self._lock:  # recovery in this process must not see the row before the thread
            decision = self.records.insert(job.kind, job.name, doc, operation, then=queue)
            assert decision is not None
            self._start(decision, {(job.kind, job.name): (job, ctx)})
        return ctx

    def watching(self, kind: str, name: str) -> bool:
        """Whether a thread of this process watches the job now."""
        with self._lock:
            thread = self._threads.get((kind, name))
        return thread is not None and thread.is_alive()

    def claim(self, kind: str, name: str, owner_pid: int | None, owner_start: str | None) -> bool:
        """Take the job over from the (dead) owner recorded; False if another worker did first."""
        with self.records.connection() as conn, transaction(conn):
            cur = conn.execute(
                "UPDATE sm_runs SET owner_pid=?, owner_start=? WHERE kind=? AND name=?"
                " AND owner_pid IS ? AND owner_start IS ?",
                (self.owner[0], self.owner[1], kind, name, owner_pid, owner_start))
            return cur.rowcount == 1

    def restart(self, job: JobDefinition) -> None:
        """Run a claimed job whose process never started (its worker died while preparing)."""
        ctx = self.context(job, self._recorded_sandbox(job))
        self._start_thread(job, lambda: self._run(job, ctx))

    def dispatch(self) -> None:
        """Admit queued jobs that now fit and start them in this worker."""
        with self.records.connection() as conn:
            if not admission.has_queued(conn):
                return
            with transaction(conn):
                decision = admission.admit(conn, self.capacity, self.owner)
        self._start(decision, {})

    def poll_queue(self) -> None:
        """Dispatch, at most every ``_DISPATCH_S`` (called while a waiting job is described)."""
        now = time.monotonic()
        if now - self._dispatched < _DISPATCH_S:
            return
        self._dispatched = now
        self.dispatch()

    def _start(self, decision: admission.Decision,
               known: dict[tuple[str, str], tuple[JobDefinition, JobContext]]) -> None:
        for key in (*decision.start, *decision.stopped):
            job, ctx = known.get(key) or (None, None)
            if job is None:
                job = self.resolver(*key) if self.resolver else None
                if job is None:
                    continue
                ctx = self.context(job)
            assert ctx is not None
            stopped = key in decision.stopped  # stopped while it waited: it never ran
            self._start_thread(job, functools.partial(
                self._finish, job, ctx, Exit("stopped")) if stopped else functools.partial(
                self._run, job, ctx))

    def attach(self, job: JobDefinition, pid: int, pid_start: str) -> None:
        """Watch a claimed job's process started by an earlier worker, then finish it. The
        process may have ended already: its exit code file tells how, as if it were watched."""
        ctx = self.context(job, self._recorded_sandbox(job))
        self._set_run(job, owner_pid=self.owner[0], owner_start=self.owner[1])
        proc = Process.adopt(pid, pid_start, self._run_dir(job) / "exitcode")
        self._start_thread(job, lambda: self._watch(job, ctx, proc, reattached=True))

    def lost(self, job: JobDefinition, message: str) -> None:
        """Finish a claimed job that vanished without an exit record."""
        ctx = self.context(job, self._recorded_sandbox(job))
        self._start_thread(job, lambda: self._finish(job, ctx, Exit("lost", None, message)))

    def _recorded_sandbox(self, job: JobDefinition) -> Sandbox:
        return Sandbox(self._run_row(job)["sandbox"] or self.sandbox_mode,
                       self.workdir(job.kind, job.name),
                       self.jobs_root / job.kind / f"{job.name}.run")

    def wait(self, kind: str, name: str, timeout: float | None = None) -> bool:
        """Block until the job's thread ends (tests, CLI); True if it ended."""
        with self._lock:
            thread = self._threads.get((kind, name))
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def signal_stop(self, kind: str, name: str) -> None:
        """SIGTERM the job's process group now, from any process of the workspace."""
        row = self._run_row_of(kind, name)
        if row and row["pid"]:
            Process.adopt(row["pid"], row["pid_start"] or "", Path()).signal(signal.SIGTERM)
        elif row and row["state"] == "queued":
            self.dispatch()  # a queued job stopped: admission finishes it as Stopped now

    # --- internals -------------------------------------------------------------------------

    def _start_thread(self, job: JobDefinition, target: Callable[[], None]) -> None:
        def body() -> None:
            try:
                target()
            finally:  # the record is final (or the process died): free the slots
                with self.records.connection() as conn, transaction(conn):
                    admission.release(conn, job.kind, job.name)
                self.dispatch()

        thread = threading.Thread(target=body, name=f"{job.kind}:{job.name}", daemon=True)
        with self._lock:  # an RLock: create() holds it from the insert to the thread start
            self._threads[(job.kind, job.name)] = thread
            thread.start()

    def _run(self, job: JobDefinition, ctx: JobContext) -> None:
        try:
            launch = job.prepare(ctx)
            if ctx.stop_requested():
                job.finish(ctx, Exit("stopped"))
                return
            proc = self._launch(job, ctx, launch)
        except JobFailure as exc:
            self._finish(job, ctx, Exit("error", None, str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - a job must never stay InProgress
            self._finish(job, ctx, Exit("error", None, f"{type(exc).__name__}: {exc}"))
            return
        self._watch(job, ctx, proc, reattached=False)

    def _launch(self, job: JobDefinition, ctx: JobContext, launch: Launch) -> Process:
        run_dir = self._run_dir(job)
        ctx.sandbox.prepare()
        rc_file = run_dir / "exitcode"
        rc_file.unlink(missing_ok=True)
        runtime = launch.runtime or host_runtime()
        self._check_isolation(ctx, launch)
        self._describe(job, ctx, runtime)
        argv, cwd = ctx.sandbox.command(launch.argv, launch.cwd, launch.network_isolation, runtime)
        env = self.environment(runtime, ctx.sandbox, launch.env, launch.network_isolation)
        out = (run_dir / "output.log").open("wb")
        try:
            popen = subprocess.Popen(
                [_shell(), "-c", _WRAPPER, str(rc_file), *argv], cwd=cwd,
                env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as exc:
            raise JobFailure(f"could not start {launch.argv[0]!r}: {exc}") from exc
        finally:
            out.close()
        proc = Process.own(popen, rc_file)
        self._set_run(job, pid=popen.pid, pid_start=proc.start)
        job.started(ctx)
        return proc

    def environment(self, runtime: JobRuntime, sandbox: Sandbox, job_env: dict[str, str],
                    network_isolation: bool) -> dict[str, str]:
        """The job's environment: runtime overlay, local AWS API (unless isolated), its own."""
        api = None if network_isolation else self.api_endpoint()
        return job_environment(runtime, sandbox, aws_environment(api, self.region), job_env)

    def _check_isolation(self, ctx: JobContext, launch: Launch) -> None:
        if not launch.network_isolation or ctx.sandbox.mode == BWRAP:
            return
        if not self.allow_unisolated:
            raise JobFailure(
                "ClientError: EnableNetworkIsolation was requested but this machine runs jobs "
                "without a sandbox, so the job could reach the network. Install bubblewrap "
                "(apt-get install bubblewrap), or set SAGESTEP_ALLOW_UNISOLATED=1 to run such "
                "jobs without isolation.")
        ctx.log("WARNING: EnableNetworkIsolation is NOT enforced (no sandbox; "
                "SAGESTEP_ALLOW_UNISOLATED=1)")

    def _describe(self, job: JobDefinition, ctx: JobContext, runtime: JobRuntime) -> None:
        warnings = [w for w in (ctx.sandbox.warning, *runtime.warnings) if w]
        for line in warnings:
            ctx.log(line)
        info: dict[str, Any] = {"Sandbox": ctx.sandbox.mode, "Environment": dict(runtime.description)}
        if warnings:
            info["Warnings"] = warnings
        self.records.update(job.kind, job.name, lambda d: d.setdefault("SagestepLocal", {}).update(info))

    def _watch(self, job: JobDefinition, ctx: JobContext, proc: Process, reattached: bool) -> None:
        reader = LineReader(self._run_dir(job) / "output.log", ctx, job, resume=reattached)
        limit = job.max_runtime()
        begun = time.monotonic()
        if reattached:
            doc = ctx.doc()
            started = next((doc[k] for k in ("TrainingStartTime", "ProcessingStartTime", "TransformStartTime")
                            if doc.get(k)), None)
            if isinstance(started, int | float):
                begun -= max(0.0, self.clock.now() - started)
        cause, term_at, next_check = "exit", 0.0, 0.0
        while not proc.wait(_POLL_S):
            reader.pump()
            now = time.monotonic()
            if cause == "exit" and limit is not None and now - begun > limit:
                cause, term_at = "max_runtime", now
                proc.signal(signal.SIGTERM)
            elif cause == "exit" and now >= next_check:
                next_check = now + _STOP_CHECK_S
                if ctx.stop_requested():
                    cause, term_at = "stopped", now
                    proc.signal(signal.SIGTERM)
            if term_at and now - term_at > self.stop_grace_s:
                proc.signal(signal.SIGKILL)
        reader.pump(final=True)
        if cause == "exit" and ctx.stop_requested():
            cause = "stopped"
        code = proc.exit_code()
        if code is None and cause == "exit":
            self._finish(job, ctx, Exit("lost", None, "the job process ended without an exit status"))
            return
        self._finish(job, ctx, Exit(cause, code))

    def _finish(self, job: JobDefinition, ctx: JobContext, exit: Exit) -> None:
        try:
            job.finish(ctx, exit)
            return
        except Exception as exc:  # noqa: BLE001 - last resort so the record never hangs
            message = f"InternalServerError: finishing the job failed: {type(exc).__name__}: {exc}"
        with contextlib.suppress(Exception):
            ctx.log(message)
        try:
            job.finish(ctx, Exit("error", exit.code, message))
        except Exception:  # noqa: BLE001 - e.g. the database stays locked: write the bare status
            self._force_failed(job, message)

    def _force_failed(self, job: JobDefinition, message: str) -> None:
        """Mark the record Failed with no other work; retried, since a lock is transient."""
        def mark(d: dict[str, Any]) -> None:
            if d.get(job.status_field) in ("InProgress", "Stopping"):
                d[job.status_field] = "Failed"
                d["FailureReason"] = message[:1024]
                d["LastModifiedTime"] = self.clock.now()

        for attempt in range(20):
            try:
                self.records.update(job.kind, job.name, mark)
                return
            except KeyError:
                return  # deleted meanwhile
            except Exception:  # noqa: BLE001 - retry below; recovery takes over if all fail
                time.sleep(0.05 * (attempt + 1))

    def _run_dir(self, job: JobDefinition) -> Path:
        path = self.jobs_root / job.kind / f"{job.name}.run"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _stream_of(self, job: JobDefinition) -> str | None:
        row = self._run_row_of(job.kind, job.name)
        return row["log_stream"] if row else None

    def _run_row(self, job: JobDefinition) -> Any:
        return self._run_row_of(job.kind, job.name) or {"sandbox": None}

    def _run_row_of(self, kind: str, name: str) -> Any:
        with self.records.connection() as conn:
            return conn.execute(
                "SELECT * FROM sm_runs WHERE kind=? AND name=?", (kind, name)
            ).fetchone()

    def _set_run(self, job: JobDefinition, **values: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in values)
        with self.records.connection() as conn, transaction(conn):
            conn.execute(f"UPDATE sm_runs SET {cols} WHERE kind=? AND name=?",
                         (*values.values(), job.kind, job.name))


def _shell() -> str:
    # bash, not dash: dash drops environment variables whose names are not identifiers, and the
    # toolkit exports such names (SM_HP_LEARNING-RATE keeps the hyphen).
    return shutil.which("bash") or "/bin/sh"
