"""model_source: the router runs with the newest Approved package, or says which group has none."""

from __future__ import annotations

import pytest

from sagestep.errors import RouterError
from sagestep.local import LocalRuntime
from sagestep.triggers.model_source import latest_approved
from sagestep.workspace import Workspace

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def _package(sm, n: int, status: str) -> str:
    return sm.create_model_package(
        ModelPackageGroupName="g", ModelApprovalStatus=status,
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://b/m{n}.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"]},
        ModelMetrics={"ModelDataQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": f"s3://b/r{n}/baseline/statistics.json"},
            "Constraints": {"ContentType": "application/json", "S3Uri": f"s3://b/r{n}/baseline/constraints.json"}}},
    )["ModelPackageArn"]


def test_newest_approved_version_wins_and_an_empty_group_is_named(tmp_path) -> None:
    sm = LocalRuntime(Workspace.resolve(tmp_path / "ws")).client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="g")
    with pytest.raises(RouterError, match="group 'g' has no Approved model package yet"):
        latest_approved(sm, "g")
    _package(sm, 1, "Approved")
    second = _package(sm, 2, "Approved")
    _package(sm, 3, "PendingManualApproval")
    found = latest_approved(sm, "g")
    assert found["arn"] == second and found["version"] == 2
    assert found["model_data"] == "s3://b/m2.tar.gz" and found["image"] == IMAGE
    assert found["baseline"] == "s3://b/r2/baseline"
    assert found["constraints"] == "s3://b/r2/baseline/constraints.json"
