"""models and endpoints commands: output shape, over a stand-in backend."""

from datetime import UTC, datetime

import pytest

from sagestep.cli import options
from sagestep.cli.main import main

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/diabetes-regression/1"
WHEN = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


class Backend:
    kind = "local"

    def __init__(self):
        self.status = "PendingManualApproval"
        self.invoked = []
        self.deleted = []

    def models(self, group=None):
        return [{"ModelPackageArn": ARN, "ModelPackageGroupName": "diabetes-regression",
                 "ModelPackageVersion": 1, "ModelApprovalStatus": self.status,
                 "CreationTime": WHEN}]

    def model(self, name):
        return {"ModelPackageArn": ARN, "ModelApprovalStatus": self.status,
                "ResponseMetadata": {"HTTPStatusCode": 200},
                "CustomerMetadataProperties": {"sagestep:pipeline": "diabetes-regression"}}

    def approve_model(self, name, status="Approved"):
        self.status = status
        return self.model(name)

    def endpoints(self):
        return [{"EndpointName": "churn", "EndpointStatus": "InService", "CreationTime": WHEN,
                 "LastModifiedTime": WHEN}]

    def endpoint_servers(self):
        return [{"EndpointName": "churn", "VariantName": "AllTraffic", "Generation": 3,
                 "Pid": 4242, "MemoryMB": 187, "Routed": True, "Running": True}]

    def delete_endpoint(self, endpoint):
        self.deleted.append(endpoint)

    def invoke(self, endpoint, body, content_type):
        self.invoked.append((endpoint, body, content_type))
        return b"0.93\n0.12\n"


@pytest.fixture
def cli(monkeypatch, capsys):
    backend = Backend()
    monkeypatch.setattr(options, "factory", lambda **_: backend)

    def run(*args):
        try:
            main(list(args))
        except SystemExit as exc:
            assert exc.code in (0, None)
        return capsys.readouterr().out

    run.backend = backend
    return run


def test_models_list_describe_approve(cli):
    out = cli("models", "list")
    row = [line for line in out.splitlines() if ARN in line][0]
    assert "diabetes-regression" in row and "PendingManualApproval" in row and "2024-05-01 10:00:00" in row
    described = cli("models", "describe", ARN)
    assert '"sagestep:pipeline": "diabetes-regression"' in described and "ResponseMetadata" not in described
    assert cli("models", "approve", ARN) == f"{ARN} Approved\n"
    assert cli("models", "approve", ARN, "--status", "Rejected") == f"{ARN} Rejected\n"


def test_endpoints_list_and_invoke(cli, tmp_path):
    listed = cli("endpoints", "list")
    assert "│ churn    │ InService │" in listed
    # each model server process: variant, generation, pid and memory
    assert "│ churn    │ AllTraffic │ 3          │ 4242 │ 187 MB │ serving │" in listed
    assert cli("endpoints", "invoke", "churn", "--body", "1,2,3") == "0.93\n0.12\n"
    rows = tmp_path / "rows.csv"
    rows.write_text("4,5,6\n")
    cli("endpoints", "invoke", "churn", "--file", str(rows), "--content-type", "text/csv")
    assert cli.backend.invoked == [("churn", b"1,2,3", "text/csv"), ("churn", b"4,5,6\n", "text/csv")]


def test_endpoints_delete(cli):
    assert cli("endpoints", "delete", "churn") == "deleted endpoint churn\n"
    assert cli.backend.deleted == ["churn"]
