"""Jobs survive a restart of the worker: orphans fail with a reason, live processes are re-attached."""

from __future__ import annotations

import subprocess
import sys
import time

from sagestep.sagemaker.process import proc_start
from sagestep.stores.sqlite import transaction
from tests.sagemaker.conftest import Env, make_env, training_request

DEAD_PID = 2**22 + 12345  # above the default pid_max: never a live process


def _orphan(env: Env, name: str, pid: int | None, pid_start: str | None) -> None:
    with env.svc.records.connection() as conn, transaction(conn):
        conn.execute("UPDATE sm_runs SET owner_pid=?, owner_start=?, pid=?, pid_start=? WHERE name=?",
                     (DEAD_PID, "1", pid, pid_start, name))


def test_job_whose_process_died_with_the_worker_is_failed(env: Env) -> None:
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/s.tar.gz", {"train.py": "print('done')\n"})
    env.sm.create_training_job(**training_request("orphan-1", src))
    env.sm.wait_for_job(JobName="orphan-1")
    # pretend the job was still running when its worker died
    env.svc.records.update("training-job", "orphan-1", lambda d: d.update(TrainingJobStatus="InProgress"))
    _orphan(env, "orphan-1", DEAD_PID, "1")
    restarted = make_env(env.runtime.workspace.root)
    d = restarted.sm.describe_training_job(TrainingJobName="orphan-1")
    assert d["TrainingJobStatus"] == "Failed"
    assert "worker running this job" in d["FailureReason"] and "no longer running" in d["FailureReason"]


def test_running_job_is_reattached_after_restart(env: Env, tmp_path) -> None:
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/s2.tar.gz", {"train.py": "print('hi')\n"})
    env.sm.create_training_job(**training_request("attach-1", src))
    env.sm.wait_for_job(JobName="attach-1")
    # a process started by the "old worker" that is still running: the wrapper writes its exit code
    run_dir = env.svc.runner.jobs_root / "training-job" / "attach-1.run"
    (run_dir / "exitcode").unlink()
    proc = subprocess.Popen(["bash", "-c", 'sleep 0.5; echo late >> "$1"; echo 0 > "$0"',
                             str(run_dir / "exitcode"), str(run_dir / "output.log")], start_new_session=True)
    env.svc.records.update("training-job", "attach-1", lambda d: d.update(TrainingJobStatus="InProgress"))
    _orphan(env, "attach-1", proc.pid, proc_start(proc.pid))
    restarted = make_env(env.runtime.workspace.root)
    assert restarted.sm.describe_training_job(TrainingJobName="attach-1")["TrainingJobStatus"] == "InProgress"
    restarted.sm.wait_for_job(JobName="attach-1", Timeout=20)
    proc.wait()
    d = restarted.sm.describe_training_job(TrainingJobName="attach-1")
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    messages = [e["message"] for e in restarted.sm.get_job_logs(JobName="attach-1")["events"]]
    assert messages.count("late") == 1 and messages.count("hi") == 1
    assert time.monotonic() > 0 and sys.executable
