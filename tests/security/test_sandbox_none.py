"""Without a sandbox every job says so, and network isolation is refused unless opted out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sagestep.sagemaker.sandbox import UNSANDBOXED_WARNING
from tests.sagemaker.conftest import make_env
from tests.security.test_sandbox import _request

SCRIPT = "print('ran')\n"

pytestmark = pytest.mark.slow


def _create(tmp_path: Path, name: str, **kwargs: object) -> dict:
    env = make_env(tmp_path / "ws", sandbox="none", stop_grace_s=2.0, **kwargs)
    env.s3.put_object(Bucket="bkt", Key="code/attack.py", Body=SCRIPT.encode())
    env.sm.create_processing_job(**_request(name, ["unused"]))
    env.sm.wait_for_job(JobName=name, Timeout=60)
    desc = env.sm.describe_processing_job(ProcessingJobName=name)
    stream = desc["SagestepLocal"]["LogStream"]
    log = env.svc.get_log_events("/aws/sagemaker/ProcessingJobs", stream)["events"]
    return {"describe": desc, "log": [e["message"] for e in log]}


def test_network_isolation_without_sandbox_fails_with_a_reason(tmp_path: Path) -> None:
    run = _create(tmp_path, "iso-1", allow_unisolated=False)
    desc = run["describe"]
    assert desc["ProcessingJobStatus"] == "Failed"
    assert "EnableNetworkIsolation" in desc["FailureReason"]
    assert "SAGESTEP_ALLOW_UNISOLATED=1" in desc["FailureReason"]


def test_opt_out_runs_but_every_place_says_it_is_unsandboxed(tmp_path: Path) -> None:
    run = _create(tmp_path, "iso-2", allow_unisolated=True)
    desc = run["describe"]
    assert desc["ProcessingJobStatus"] == "Completed", desc.get("FailureReason")
    assert desc["SagestepLocal"]["Sandbox"] == "none"
    assert UNSANDBOXED_WARNING in desc["SagestepLocal"]["Warnings"]
    assert UNSANDBOXED_WARNING in run["log"]
    assert any("EnableNetworkIsolation is NOT enforced" in line for line in run["log"])


def test_cli_side_warning_on_stderr(tmp_path: Path) -> None:
    code = f"from sagestep.local import runtime; runtime({str(tmp_path / 'ws')!r}).sagemaker"
    env = {**os.environ, "SAGESTEP_SANDBOX": "none"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert UNSANDBOXED_WARNING in proc.stderr
