"""Continuous job supervision: a job whose watching process died is taken over by another.

A job row in ``sm_runs`` records the owning worker (pid + start time) and the job process
(pid + start time). Every worker calls :func:`reconcile_jobs` from its idle loop, and
Describe*Job calls :func:`supervise_job` for the job it reads, so a job launched by a killed
`sagestep run` is finished by whichever sagestep process runs next, not only at start-up.

A job still InProgress/Stopping whose owner is gone is claimed (compare-and-set on the owner
columns, so exactly one worker takes it) and then, from what it left:

- its process still runs -> watched to the end, as before;
- its process ended and wrote the wrapper's exit code file -> finished exactly as if it had
  been watched: Completed or Failed from the exit code and failure file, outputs uploaded once;
- its process never started (the worker died while preparing) -> prepared and run again;
- its process ended without an exit code -> Failed, with a reason that says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagestep.sagemaker.process import alive

if TYPE_CHECKING:
    from sagestep.sagemaker.runner import JobDefinition
    from sagestep.sagemaker.service import SageMakerService

STATUS_FIELDS = {
    "training-job": "TrainingJobStatus",
    "processing-job": "ProcessingJobStatus",
    "transform-job": "TransformJobStatus",
}
_ACTIVE = ("InProgress", "Stopping")


def _definition(svc: SageMakerService, kind: str, name: str) -> JobDefinition | None:
    if kind == "training-job":
        from sagestep.sagemaker.training import TrainingJob

        return TrainingJob(svc, name)
    if kind == "processing-job":
        from sagestep.sagemaker.processing import ProcessingJob

        return ProcessingJob(svc, name)
    if kind == "transform-job":
        return svc.transform.job(name)
    return None


job_definition = _definition  # the runner's resolver for queued jobs (admission.py)

_UNCLAIMED_AFTER_S = 60.0


_ACTIVE_SQL = " OR ".join(f"json_extract(d.doc, '$.{field}') IN ('InProgress', 'Stopping')"
                         for field in STATUS_FIELDS.values())


def reconcile_jobs(svc: SageMakerService, unclaimed: bool = True) -> int:
    """Take over every active job whose watcher died; how many were taken over."""
    with svc.records.connection() as conn:
        # One read of the active jobs only: finished jobs pile up, this runs every second.
        rows = [dict(r) for r in conn.execute(
            "SELECT r.*, d.kind AS doc_kind, d.name AS doc_name FROM sm_records d LEFT JOIN"
            " sm_runs r ON r.kind = d.kind AND r.name = d.name"
            f" WHERE d.kind IN ({', '.join('?' * len(STATUS_FIELDS))}) AND ({_ACTIVE_SQL})",
            tuple(STATUS_FIELDS)).fetchall()]
    if unclaimed:
        _fail_unclaimed(svc, [(r["doc_kind"], r["doc_name"]) for r in rows if r["kind"] is None])
    return sum(_supervise_row(svc, row) for row in rows if row["kind"] is not None)


def supervise_job(svc: SageMakerService, kind: str, name: str) -> bool:
    """Take over job ``name`` if its watcher died (a Describe*Job of an active job)."""
    with svc.records.connection() as conn:
        row = conn.execute("SELECT * FROM sm_runs WHERE kind=? AND name=?", (kind, name)).fetchone()
    return row is not None and _supervise_row(svc, dict(row))


def _watched(svc: SageMakerService, row: dict[str, Any]) -> bool:
    runner = svc.runner
    if (row["owner_pid"], row["owner_start"]) == runner.owner:
        return runner.watching(row["kind"], row["name"])
    return alive(row["owner_pid"], row["owner_start"])


def _supervise_row(svc: SageMakerService, row: dict[str, Any]) -> bool:
    kind, name = row["kind"], row["name"]
    runner = svc.runner
    with runner._lock:  # noqa: SLF001 - JobRunner.create holds it from insert to thread start
        if _watched(svc, row):
            return False
    if row.get("state") == "queued":
        return False  # waiting for capacity: admission starts it (see admission.py)
    doc = svc.records.get(kind, name)
    if doc is None or doc.get(STATUS_FIELDS[kind]) not in _ACTIVE:
        return False
    job = _definition(svc, kind, name)
    if job is None or not runner.claim(kind, name, row["owner_pid"], row["owner_start"]):
        return False
    owner = f"pid {row['owner_pid']}" if row["owner_pid"] else "unknown"
    if not row["pid"]:
        runner.restart(job)
    elif alive(row["pid"], row["pid_start"]) or _exit_code_file(svc, kind, name).exists():
        runner.attach(job, row["pid"], row["pid_start"] or "")
    else:
        runner.lost(job, f"InternalServerError: the job process (pid {row['pid']}) vanished "
                         f"without an exit record after its sagestep worker ({owner}) stopped; "
                         "start the job again under a new name")
    return True


def _exit_code_file(svc: SageMakerService, kind: str, name: str) -> Path:
    return svc.runner.jobs_root / kind / f"{name}.run" / "exitcode"


def _fail_unclaimed(svc: SageMakerService, unclaimed: list[tuple[str, str]]) -> None:
    # Since record and sm_runs row are written in one transaction, only a workspace written by
    # an older sagestep can hold a job no worker owns; fail those once they are a minute old.
    now = svc.clock.now()
    for kind, name in unclaimed:
        doc = svc.records.get(kind, name) or {}
        if now - doc.get("LastModifiedTime", now) > _UNCLAIMED_AFTER_S:
            _fail(svc, kind, name, STATUS_FIELDS[kind])


def _fail(svc: SageMakerService, kind: str, name: str, field: str) -> None:
    from sagestep.sagemaker.jobstate import transition

    reason = ("InternalServerError: no sagestep worker ever ran this job (its process had not "
              "started); start the job again under a new name")
    now = svc.clock.now()

    def mark(d: dict[str, Any]) -> None:
        d[field] = "Failed"
        d["FailureReason"] = reason
        d["LastModifiedTime"] = now
        if kind == "training-job":
            d["TrainingEndTime"] = now
            transition(d, "Failed", "Training job failed", now)

    svc.records.update(kind, name, mark)
