"""After a worker restart: re-attach to job processes that still run, fail the orphans.

A job row in ``sm_runs`` records the owning worker (pid + start time) and the job process
(pid + start time). A job still InProgress/Stopping whose owner is gone is re-attached when
its process still runs, else marked Failed with a reason saying what happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagestep.sagemaker.jobstate import transition
from sagestep.sagemaker.process import alive

if TYPE_CHECKING:
    from sagestep.sagemaker.runner import JobDefinition
    from sagestep.sagemaker.service import SageMakerService

STATUS_FIELDS = {
    "training-job": "TrainingJobStatus",
    "processing-job": "ProcessingJobStatus",
    "transform-job": "TransformJobStatus",
}


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


def recover_jobs(svc: SageMakerService) -> None:
    with svc.records.connection() as conn:
        rows = [dict(r) for r in conn.execute("SELECT * FROM sm_runs").fetchall()]
    _fail_unclaimed(svc, {(r["kind"], r["name"]) for r in rows})
    for row in rows:
        kind, name = row["kind"], row["name"]
        field = STATUS_FIELDS.get(kind)
        doc = svc.records.get(kind, name)
        if field is None or doc is None or doc.get(field) not in ("InProgress", "Stopping"):
            continue
        if row.get("state") == "queued":
            continue  # waiting for capacity: admission starts it (see admission.py)
        if row["owner_pid"] == svc.runner.owner[0] or alive(row["owner_pid"], row["owner_start"]):
            continue  # another live worker (or this one) watches it
        job = _definition(svc, kind, name)
        if job is not None and alive(row["pid"], row["pid_start"]):
            svc.runner.attach(job, row["pid"], row["pid_start"] or "")
            continue
        if job is not None and not row["pid"]:
            requeue(svc, kind, name)  # admitted, but its worker died before the process began
            continue
        _fail(svc, kind, name, field, row)


def requeue(svc: SageMakerService, kind: str, name: str) -> None:
    """Put an admitted job that never started back in the queue, in its old place."""
    from sagestep.stores.sqlite import transaction

    with svc.records.connection() as conn, transaction(conn):
        conn.execute("UPDATE sm_runs SET state = 'queued' WHERE kind = ? AND name = ?",
                     (kind, name))
    svc.runner.dispatch()


def _fail_unclaimed(svc: SageMakerService, claimed: set[tuple[str, str]]) -> None:
    # A worker that died between storing the record and handing the job to its runner leaves
    # a job no process will ever run; give a live worker a minute to claim it first.
    now = svc.clock.now()
    for kind, field in STATUS_FIELDS.items():
        for doc in svc.records.list(kind):
            name = str(doc.get(_NAME_FIELDS[kind], ""))
            if (doc.get(field) in ("InProgress", "Stopping") and (kind, name) not in claimed
                    and now - doc.get("LastModifiedTime", now) > _UNCLAIMED_AFTER_S):
                _fail(svc, kind, name, field, {"owner_pid": None, "pid": None})


_NAME_FIELDS = {"training-job": "TrainingJobName", "processing-job": "ProcessingJobName",
                "transform-job": "TransformJobName"}


def _fail(svc: SageMakerService, kind: str, name: str, field: str, row: dict[str, Any]) -> None:
    owner = f" (pid {row['owner_pid']})" if row["owner_pid"] else ""
    reason = (f"InternalServerError: the sagestep worker running this job{owner} "
              "stopped, and the job process "
              + (f"(pid {row['pid']}) is no longer running" if row["pid"] else "had not started")
              + "; start the job again under a new name")
    now = svc.clock.now()

    def mark(d: dict[str, Any]) -> None:
        d[field] = "Failed"
        d["FailureReason"] = reason
        d["LastModifiedTime"] = now
        if kind == "training-job":
            d["TrainingEndTime"] = now
            transition(d, "Failed", "Training job failed", now)

    svc.records.update(kind, name, mark)
