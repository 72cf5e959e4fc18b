"""The local job queue: slots, order, stop while queued, restart of the worker (issue 13)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sagestep.sagemaker.capacity import Capacity, instance_shape, read_slots, slots_for, write_slots
from tests.sagemaker.conftest import Env, make_env, training_request

QUICK = "print('ran')\n"
SLOW = "import time\ntime.sleep(30)\n"


def _source(env: Env, key: str, script: str) -> str:
    return env.put_source(key, {"train.py": script})


def _data(env: Env) -> None:
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1,2\n")


def _doc(env: Env, name: str) -> dict:
    return env.sm.describe_training_job(TrainingJobName=name)


def test_instance_types_take_slots_from_aws_vcpus_and_memory() -> None:
    assert instance_shape("ml.m5.large") == (2, 8)
    assert instance_shape("ml.m5.4xlarge") == (16, 64)
    assert instance_shape("ml.c5.xlarge") == (4, 8)
    assert slots_for("ml.m5.large", 4) == 1
    assert slots_for("ml.m5.xlarge", 4) == 2
    assert slots_for("ml.r5.large", 4) == 2  # 16 GiB: two slots' worth of memory
    assert slots_for("ml.m5.24xlarge", 3) == 3  # never more than the machine: runs alone
    assert Capacity(None, cores=2, memory_mb=24_000).total() == 2
    assert Capacity(None, cores=16, memory_mb=4096).total() == 3  # memory-bound
    assert Capacity(None, cores=16, memory_mb=4096).total(reserved_mb=2048) == 1  # endpoints
    assert Capacity(5, cores=2, memory_mb=1024).total() == 5


def test_workspace_setting_overrides_the_machine(tmp_path: Path) -> None:
    assert read_slots(tmp_path) is None
    write_slots(tmp_path, 3)
    assert read_slots(tmp_path) == 3
    env = make_env(tmp_path)
    assert env.svc.capacity()["slots"] == 3
    write_slots(tmp_path, None)
    assert read_slots(tmp_path) is None


@pytest.mark.slow
def test_jobs_beyond_the_slots_wait_in_order_and_can_be_stopped_while_queued(tmp_path) -> None:
    env = make_env(tmp_path / "ws", max_running_jobs=1, stop_grace_s=2.0)
    _data(env)
    slow, quick = _source(env, "code/slow.tar.gz", SLOW), _source(env, "code/q.tar.gz", QUICK)
    env.sm.create_training_job(**training_request("cap-1", slow))
    for name in ("cap-2", "cap-3", "cap-4"):
        env.sm.create_training_job(**training_request(name, quick))
    queued = _doc(env, "cap-2")
    assert queued["TrainingJobStatus"] == "InProgress" and queued["SecondaryStatus"] == "Starting"
    message = queued["SecondaryStatusTransitions"][-1]["StatusMessage"]
    assert message.startswith("Waiting for local capacity: 1 of 1 slots in use")
    assert env.svc.capacity() == {"slots": 1, "used": 1, "queued": 3,
                                           "endpoint_memory_mb": 0}
    env.sm.stop_training_job(TrainingJobName="cap-3")  # stopped while queued: never runs
    assert env.sm.wait_for_job(JobName="cap-3", Timeout=10)["Status"] == "Stopped"
    assert "TrainingStartTime" not in _doc(env, "cap-3")
    env.sm.stop_training_job(TrainingJobName="cap-1")
    for name in ("cap-2", "cap-4"):
        assert env.sm.wait_for_job(JobName=name, Timeout=60)["Status"] == "Completed"
    docs = {n: _doc(env, n) for n in ("cap-1", "cap-2", "cap-4")}
    # One slot: each started after the one before it ended, in the order they were created.
    assert docs["cap-1"]["TrainingEndTime"] <= docs["cap-2"]["TrainingStartTime"]
    assert docs["cap-2"]["TrainingEndTime"] <= docs["cap-4"]["TrainingStartTime"]
    assert "WaitingFor" not in docs["cap-4"].get("SagestepLocal", {})


WORKER = textwrap.dedent('''
    import sys, time
    from tests.sagemaker.conftest import make_env, training_request
    env = make_env(sys.argv[1], max_running_jobs=1)
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1,2\\n")
    slow = env.put_source("code/slow.tar.gz", {"train.py": "import time\\ntime.sleep(3)\\n"})
    quick = env.put_source("code/q.tar.gz", {"train.py": "print('ran')\\n"})
    env.sm.create_training_job(**training_request("r-1", slow))
    env.sm.create_training_job(**training_request("r-2", quick))
    print("created", flush=True)
    time.sleep(60)
''')


@pytest.mark.slow
def test_queued_jobs_survive_a_kill_9_of_their_worker(tmp_path) -> None:
    home = tmp_path / "ws"
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(home)], stdout=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parents[2],
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == "created"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    env = make_env(home, max_running_jobs=1)  # the next worker: attaches r-1, queues r-2
    assert _doc(env, "r-2")["SecondaryStatus"] == "Starting"
    for name in ("r-1", "r-2"):
        assert env.sm.wait_for_job(JobName=name, Timeout=60)["Status"] == "Completed", name
    assert _doc(env, "r-1")["TrainingEndTime"] <= _doc(env, "r-2")["TrainingStartTime"]
