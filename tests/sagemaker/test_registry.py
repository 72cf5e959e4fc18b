"""Model registry: versions, approval and the state-change event."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.sagemaker.conftest import SKLEARN, Env, make_env

SPEC = {"Containers": [{"Image": SKLEARN, "ModelDataUrl": "s3://bkt/models/m/output/model.tar.gz"}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
METRICS = {"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": "s3://bkt/eval/evaluation.json"}}}


def test_versions_approval_and_events(env: Env) -> None:
    seen: list[dict] = []
    env.svc.events.subscribe(seen.append)
    group_arn = env.sm.create_model_package_group(ModelPackageGroupName="churn")["ModelPackageGroupArn"]
    assert group_arn == "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn"
    arns = [env.sm.create_model_package(ModelPackageGroupName="churn", InferenceSpecification=SPEC,
                                        ModelMetrics=METRICS)["ModelPackageArn"] for _ in range(2)]
    assert arns == [f"arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/{v}" for v in (1, 2)]
    d = env.sm.describe_model_package(ModelPackageName=arns[1])
    assert d["ModelPackageVersion"] == 2
    assert d["ModelApprovalStatus"] == "PendingManualApproval"
    assert d["ModelMetrics"] == METRICS
    assert d["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == SPEC["Containers"][0]["ModelDataUrl"]
    env.sm.update_model_package(ModelPackageArn=arns[0], ModelApprovalStatus="Approved", ApprovalDescription="good")
    approved = env.sm.list_model_packages(ModelPackageGroupName="churn", ModelApprovalStatus="Approved",
                                          SortBy="CreationTime", SortOrder="Descending")["ModelPackageSummaryList"]
    assert [p["ModelPackageVersion"] for p in approved] == [1]
    assert env.sm.describe_model_package(ModelPackageName=arns[0])["ApprovalDescription"] == "good"
    assert [e["detail"]["ModelApprovalStatus"] for e in seen] == ["PendingManualApproval", "PendingManualApproval", "Approved"]
    last = seen[-1]
    assert last["source"] == "aws.sagemaker"
    assert last["detail-type"] == "SageMaker Model Package State Change"
    assert last["resources"] == [arns[0]]
    assert last["detail"]["ModelPackageGroupName"] == "churn" and last["detail"]["ModelPackageVersion"] == 1
    # durable: another process (here: a second service) reads the stored events
    again = make_env(env.runtime.workspace.root)
    stored = again.svc.events.since(0, "SageMaker Model Package State Change")
    assert [e["detail"]["ModelApprovalStatus"] for e in stored] == ["PendingManualApproval", "PendingManualApproval", "Approved"]
    assert again.svc.events.since(stored[1]["sequence"]) == stored[2:]
    groups = env.sm.list_model_package_groups()["ModelPackageGroupSummaryList"]
    assert [g["ModelPackageGroupName"] for g in groups] == ["churn"]


def test_registry_errors(env: Env) -> None:
    with pytest.raises(ClientError) as err:
        env.sm.create_model_package(ModelPackageGroupName="nogroup", InferenceSpecification=SPEC)
    assert "nogroup" in err.value.response["Error"]["Message"]
    env.sm.create_model_package_group(ModelPackageGroupName="g1")
    with pytest.raises(ClientError):
        env.sm.create_model_package_group(ModelPackageGroupName="g1")
    with pytest.raises(ClientError) as err:
        env.sm.update_model_package(ModelPackageArn="arn:aws:sagemaker:us-east-1:123456789012:model-package/g1/9",
                                    ModelApprovalStatus="Approved")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as err:
        env.sm.update_model_package(ModelPackageArn="x", ModelApprovalStatus="Accepted")
    assert "enum value set" in err.value.response["Error"]["Message"]


REGISTER = """
import sys, time
from tests.sagemaker.conftest import make_env
from tests.sagemaker.test_registry import SPEC
env = make_env(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # all start together
for _ in range(15):
    env.sm.create_model_package(ModelPackageGroupName="shared", InferenceSpecification=SPEC)
"""


def test_processes_registering_at_once_get_their_own_versions(tmp_path) -> None:
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    env = make_env(tmp_path / "ws")
    env.sm.create_model_package_group(ModelPackageGroupName="shared")
    start = str(time.time() + 4)
    procs = [subprocess.Popen([sys.executable, "-c", REGISTER, str(tmp_path / "ws"), start],
                              cwd=Path(__file__).resolve().parents[2],
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for proc in procs:
        assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
    listed = env.sm.list_model_packages(ModelPackageGroupName="shared", MaxResults=100)
    versions = sorted(int(s["ModelPackageVersion"]) for s in listed["ModelPackageSummaryList"])
    assert versions == list(range(1, 46))
