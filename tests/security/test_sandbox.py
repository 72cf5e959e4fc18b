"""A job as an attacker writes it, run as root (CI runs as root) through the real local SageMaker.

One processing job with EnableNetworkIsolation tries every escape the issue lists and
writes what it managed to do to its output; each test checks one defence, and fails if
that defence (user namespace + dropped capabilities, PID namespace, the minimal read-only
view, the job's own environment) is removed from the sandbox.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.sagemaker.conftest import ROLE, SKLEARN, Env, make_env, needs_bwrap

ATTACK = r'''
import ctypes, glob, json, os, subprocess, sys
ws, other = sys.argv[1], sys.argv[2]
out = {"uid": os.getuid()}
status = open("/proc/self/status").read()
out["cap_eff"] = [l.split()[1] for l in status.splitlines() if l.startswith("CapEff")][0]
r = subprocess.run(["mount", "-o", "remount,rw,bind", "/"], capture_output=True, text=True)
out["remount_root_rc"] = r.returncode
r = subprocess.run(["mount", "-o", "remount,rw,bind", "/usr"], capture_output=True, text=True)
out["remount_usr_rc"] = r.returncode
try:
    open("/usr/sagestep-escape", "w").write("x")
    out["wrote_usr"] = True
except OSError:
    out["wrote_usr"] = False
libc = ctypes.CDLL(None, use_errno=True)
mine = os.readlink("/proc/self/ns/net")
entered = []
for link in glob.glob("/proc/[0-9]*/ns/net"):
    try:
        if os.readlink(link) == mine:
            continue
        fd = os.open(link, os.O_RDONLY)
    except OSError:
        continue
    if libc.setns(fd, 0x40000000) == 0:  # CLONE_NEWNET
        entered.append(link)
out["foreign_netns_entered"] = entered
out["visible_pids"] = len(glob.glob("/proc/[0-9]*"))
def readable(path):
    try:
        with open(path, "rb") as fh:
            fh.read(1)
        return True
    except OSError:
        return False
out["read_db"] = readable(os.path.join(ws, "sagestep.db"))
out["see_workspace"] = os.path.exists(ws)
out["read_other_job"] = readable(os.path.join(other, "secret.txt")) or os.path.exists(other)
out["read_shadow"] = readable("/etc/shadow")
out["root_entries"] = sorted(os.listdir("/root"))
out["aws_env"] = sorted(k for k in os.environ if k.startswith("AWS_"))
out["secret_in_env"] = any("host-secret" in v for v in os.environ.values())
out["cwd"] = os.getcwd()
open("cwd-write-test", "w").write("ok")
out["home"] = os.environ.get("HOME")
open(os.path.expanduser("~/note"), "w").write("ok")
json.dump(out, open("/opt/ml/processing/output/result.json", "w"))
'''


def _request(name: str, args: list[str], isolated: bool = True) -> dict[str, Any]:
    return {
        "ProcessingJobName": name, "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": SKLEARN,
                             "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/attack.py"],
                             "ContainerArguments": args},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 5}},
        "ProcessingInputs": [{"InputName": "code", "S3Input": {
            "S3Uri": "s3://bkt/code/attack.py", "LocalPath": "/opt/ml/processing/input/code",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "result", "S3Output": {
            "S3Uri": "s3://bkt/result", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob"}}]},
        "NetworkConfig": {"EnableNetworkIsolation": isolated},
    }


def _run_attack(env: Env, name: str, isolated: bool = True) -> dict[str, Any]:
    env.s3.put_object(Bucket="bkt", Key="code/attack.py", Body=ATTACK.encode())
    other = env.svc.runner.workdir("processing-job", "someone-else")
    other.mkdir(parents=True)
    (other / "secret.txt").write_text("other job's data")
    env.sm.create_processing_job(**_request(name, [str(env.runtime.workspace.root), str(other)], isolated))
    env.sm.wait_for_job(JobName=name, Timeout=60)
    desc = env.sm.describe_processing_job(ProcessingJobName=name)
    assert desc["ProcessingJobStatus"] == "Completed", desc.get("FailureReason")
    body = env.s3.get_object(Bucket="bkt", Key="result/result.json")["Body"].read()
    return {"result": json.loads(body), "describe": desc}


@pytest.fixture(scope="module")
def attack(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    os.environ["AWS_SECRET_ACCESS_KEY"] = "host-secret-key"
    os.environ["AWS_SESSION_TOKEN"] = "host-secret-token"
    try:
        env = make_env(tmp_path_factory.mktemp("sec") / "ws", stop_grace_s=2.0)
        return _run_attack(env, "attack-1")
    finally:
        del os.environ["AWS_SECRET_ACCESS_KEY"], os.environ["AWS_SESSION_TOKEN"]


pytestmark = [needs_bwrap, pytest.mark.slow]


def test_job_runs_unprivileged_with_no_capabilities(attack: dict[str, Any]) -> None:
    assert os.getuid() == 0 or pytest.skip("the escape needs root outside; CI runs as root")
    result = attack["result"]
    assert result["uid"] != 0
    assert int(result["cap_eff"], 16) == 0


def test_remount_of_the_read_only_view_fails(attack: dict[str, Any]) -> None:
    result = attack["result"]
    assert result["remount_root_rc"] != 0
    assert result["remount_usr_rc"] != 0
    assert result["wrote_usr"] is False
    assert not Path("/usr/sagestep-escape").exists()


def test_setns_into_the_host_network_fails(attack: dict[str, Any]) -> None:
    result = attack["result"]
    assert result["foreign_netns_entered"] == []
    assert result["visible_pids"] <= 3  # its own PID namespace: bwrap's init, the job, maybe a child


def test_workspace_other_jobs_root_and_shadow_are_invisible(attack: dict[str, Any]) -> None:
    result = attack["result"]
    assert result["read_db"] is False
    assert result["see_workspace"] is False
    assert result["read_other_job"] is False
    assert result["read_shadow"] is False
    # its own HOME: nothing of the host's /root but the Python environment the job runs on
    from sagestep.sagemaker.runtime import host_runtime

    runtime_dirs = {Path(p).relative_to("/root").parts[0] for p in host_runtime().ro_binds
                    if Path(p).is_relative_to("/root")}
    assert set(result["root_entries"]) <= runtime_dirs


def test_host_aws_credentials_never_reach_the_job(attack: dict[str, Any]) -> None:
    result = attack["result"]
    assert result["secret_in_env"] is False
    assert "AWS_SESSION_TOKEN" not in result["aws_env"]
    # network isolation: no endpoint, no credentials at all
    assert "AWS_ACCESS_KEY_ID" not in result["aws_env"]
    assert "AWS_ENDPOINT_URL_S3" not in result["aws_env"]


def test_writable_root_layer_home_and_image_cwd(attack: dict[str, Any]) -> None:
    result = attack["result"]
    assert result["cwd"] == "/"
    assert result["home"] == "/root"
    assert not Path("/cwd-write-test").exists()  # the write went to the job's own layer
    assert attack["describe"]["SagestepLocal"]["Sandbox"] == "bwrap"
    assert "Warnings" not in attack["describe"]["SagestepLocal"]
