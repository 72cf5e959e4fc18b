"""Jobs survive a restart of the worker: orphans fail with a reason, live processes are re-attached."""

from __future__ import annotations

import os
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


def test_job_that_vanished_without_an_exit_record_is_failed_saying_so(env: Env) -> None:
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/s.tar.gz", {"train.py": "print('done')\n"})
    env.sm.create_training_job(**training_request("orphan-1", src))
    env.sm.wait_for_job(JobName="orphan-1")
    # pretend the job was still running when its worker died, and left no exit code
    env.svc.records.update("training-job", "orphan-1", lambda d: d.update(TrainingJobStatus="InProgress"))
    (env.svc.runner.jobs_root / "training-job" / "orphan-1.run" / "exitcode").unlink()
    _orphan(env, "orphan-1", DEAD_PID, "1")
    restarted = make_env(env.runtime.workspace.root)
    restarted.sm.wait_for_job(JobName="orphan-1", Timeout=10)
    d = restarted.sm.describe_training_job(TrainingJobName="orphan-1")
    assert d["TrainingJobStatus"] == "Failed"
    assert "vanished without an exit record" in d["FailureReason"], d["FailureReason"]


def test_job_that_ended_while_no_worker_ran_completes_from_its_exit_code(env: Env) -> None:
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/d.tar.gz", {"train.py": (
        "import os\nopen(os.environ['SM_MODEL_DIR'] + '/m.txt', 'w').write('w')\nprint('done')\n")})
    env.sm.create_training_job(**training_request("down-1", src))
    env.sm.wait_for_job(JobName="down-1")
    key = "models/down-1/output/model.tar.gz"
    env.s3.delete_object(Bucket="bkt", Key=key)
    # the process ended (exit code 0 on disk) but its watcher died before finishing the job
    env.svc.records.update("training-job", "down-1", lambda d: d.update(TrainingJobStatus="InProgress"))
    _orphan(env, "down-1", DEAD_PID, "1")
    restarted = make_env(env.runtime.workspace.root)
    restarted.sm.wait_for_job(JobName="down-1", Timeout=10)
    d = restarted.sm.describe_training_job(TrainingJobName="down-1")
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert len(restarted.s3.get_object(Bucket="bkt", Key=key)["Body"].read()) > 0


def test_job_that_failed_while_no_worker_ran_fails_with_its_failure_file(env: Env) -> None:
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/f.tar.gz", {"train.py": (
        "import os, sys\nopen('/opt/ml/output/failure' if os.path.isdir('/opt/ml/output') else "
        "os.environ['SM_OUTPUT_DIR'] + '/../failure', 'w').write('bad data in row 3')\nsys.exit(2)\n")})
    env.sm.create_training_job(**training_request("down-2", src))
    env.sm.wait_for_job(JobName="down-2")
    watched = env.sm.describe_training_job(TrainingJobName="down-2")["FailureReason"]
    env.svc.records.update("training-job", "down-2", lambda d: d.update(TrainingJobStatus="InProgress"))
    _orphan(env, "down-2", DEAD_PID, "1")
    restarted = make_env(env.runtime.workspace.root)
    restarted.sm.wait_for_job(JobName="down-2", Timeout=10)
    d = restarted.sm.describe_training_job(TrainingJobName="down-2")
    assert d["TrainingJobStatus"] == "Failed" and d["FailureReason"] == watched


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


def test_kill_9_of_the_worker_mid_job_then_restart_completes_it(tmp_path) -> None:
    import json
    import os
    import signal
    import textwrap

    home = tmp_path / "ws"
    env = make_env(home)
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/k.tar.gz", {"train.py": textwrap.dedent("""
        import os, time
        print('step 1', flush=True)
        time.sleep(1.5)
        open(os.environ['SM_MODEL_DIR'] + '/model.txt', 'w').write('trained')
        print('step 2')
        """)})
    request = training_request("killed-1", src)
    worker = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import json, time
        from sagestep.local import client
        sm = client("sagemaker", home={str(home)!r})
        sm.create_training_job(**json.loads({json.dumps(request)!r}))
        time.sleep(60)
        """)], cwd=os.getcwd())
    deadline = time.monotonic() + 30
    while (env.svc.records.get("training-job", "killed-1") or {}).get("SecondaryStatus") != "Training":
        assert time.monotonic() < deadline and worker.poll() is None
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    restarted = make_env(home)  # a new worker: re-attaches to the still-running job process
    restarted.sm.wait_for_job(JobName="killed-1", Timeout=30)
    d = restarted.sm.describe_training_job(TrainingJobName="killed-1")
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    body = restarted.s3.get_object(Bucket="bkt", Key="models/killed-1/output/model.tar.gz")["Body"].read()
    assert len(body) > 0
    messages = [e["message"] for e in restarted.sm.get_job_logs(JobName="killed-1")["events"]]
    assert messages.count("step 1") == 1 and messages.count("step 2") == 1


def test_job_never_handed_to_a_runner_is_failed_after_a_minute(tmp_path) -> None:
    from sagestep.clock import FakeClock

    env = make_env(tmp_path / "ws")
    now = FakeClock().now()
    env.svc.records.insert("processing-job", "lost-1", {
        "ProcessingJobName": "lost-1", "ProcessingJobStatus": "InProgress",
        "CreationTime": now - 120, "LastModifiedTime": now - 120}, "CreateProcessingJob")
    env.svc.records.insert("processing-job", "young-1", {
        "ProcessingJobName": "young-1", "ProcessingJobStatus": "InProgress",
        "CreationTime": now + 1e9, "LastModifiedTime": now + 1e9}, "CreateProcessingJob")
    restarted = make_env(tmp_path / "ws")
    lost = restarted.sm.describe_processing_job(ProcessingJobName="lost-1")
    assert lost["ProcessingJobStatus"] == "Failed" and "had not started" in lost["FailureReason"]
    assert restarted.sm.describe_processing_job(ProcessingJobName="young-1")["ProcessingJobStatus"] == "InProgress"


def test_a_running_service_takes_over_a_job_whose_creator_was_killed(tmp_path) -> None:
    """S1: a long-lived service has the workspace open; another process creates a job and is
    killed; the job ends during the downtime; the live service finishes it (no restart)."""
    import json
    import os
    import signal
    import textwrap

    home = tmp_path / "ws"
    live = make_env(home)  # opened before the job exists, stays open throughout
    live.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = live.put_source("code/l.tar.gz", {"train.py": textwrap.dedent("""
        import os, time
        time.sleep(1.0)
        open(os.environ['SM_MODEL_DIR'] + '/model.txt', 'w').write('trained')
        """)})
    request = training_request("live-1", src)
    creator = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import json, time
        from sagestep.local import client
        sm = client("sagemaker", home={str(home)!r})
        sm.create_training_job(**json.loads({json.dumps(request)!r}))
        time.sleep(60)
        """)])
    deadline = time.monotonic() + 30
    while (live.svc.records.get("training-job", "live-1") or {}).get("SecondaryStatus") != "Training":
        assert time.monotonic() < deadline and creator.poll() is None
        time.sleep(0.05)
    os.kill(creator.pid, signal.SIGKILL)
    creator.wait()
    deadline = time.monotonic() + 30
    while live.sm.describe_training_job(TrainingJobName="live-1")["TrainingJobStatus"] == "InProgress":
        assert time.monotonic() < deadline, "the live service never took the job over"
        time.sleep(0.1)
    d = live.sm.describe_training_job(TrainingJobName="live-1")
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    live.s3.get_object(Bucket="bkt", Key="models/live-1/output/model.tar.gz")


def test_record_and_run_row_are_written_together(env: Env) -> None:
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/t.tar.gz", {"train.py": "print('x')\n"})
    env.sm.create_training_job(**training_request("tx-1", src))
    with env.svc.records.connection() as conn:
        row = conn.execute("SELECT owner_pid, log_stream FROM sm_runs WHERE name='tx-1'").fetchone()
    assert row is not None and row[0] == os.getpid() and row[1]
    env.sm.wait_for_job(JobName="tx-1")


def test_finish_that_keeps_failing_still_leaves_no_record_in_progress(env: Env, monkeypatch) -> None:
    from sagestep.sagemaker import training

    def broken(self, ctx, exit):  # noqa: ANN001 - a finish that always raises
        raise OSError("disk full")

    monkeypatch.setattr(training.TrainingJob, "finish", broken)
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/b.tar.gz", {"train.py": "print('x')\n"})
    env.sm.create_training_job(**training_request("broken-1", src))
    env.sm.wait_for_job(JobName="broken-1", Timeout=20)
    d = env.sm.describe_training_job(TrainingJobName="broken-1")
    assert d["TrainingJobStatus"] == "Failed" and "disk full" in d["FailureReason"]
