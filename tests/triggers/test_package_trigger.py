"""An approved model package starts the deploy pipeline once, with exactly that package.

Real local registry and router: the registry emits "SageMaker Model Package State Change" on
UpdateModelPackage, the sweep (the local stand-in for the EventBridge rule) routes it, and the
run's input names the event's package, not the newest or oldest approved one.
"""

from __future__ import annotations

import json

import pytest

from sagestep.backends.local import LocalBackend
from sagestep.backends.package_events import PackageEventSweep
from sagestep.triggers import package_event
from sagestep.triggers.eventpattern import matches, validate
from sagestep.triggers.events import Trigger, parse

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
CONFIG = """
name: deploy-churn
triggers:
  model_package: [{group: churn}]
stages:
  create_model:
    image: "{{ model_package.image }}"
    model_data: "{{ model_package.model_data }}"
  deploy:
    endpoint_name: churn-staging
"""


@pytest.fixture
def backend(tmp_path):
    made = LocalBackend(tmp_path / "ws")
    (tmp_path / "deploy.yaml").write_text(CONFIG)
    made.register(tmp_path / "deploy.yaml")
    yield made
    made.runtime.engine.close()


def _package(sm, n: int, status: str = "PendingManualApproval", group: str = "churn") -> str:
    return str(sm.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus=status,
        InferenceSpecification={"Containers": [{"Image": IMAGE,
                                                "ModelDataUrl": f"s3://b/m{n}/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"])


def test_approval_starts_one_deploy_of_exactly_that_package(backend) -> None:
    sm = backend.runtime.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="churn")
    sm.create_model_package_group(ModelPackageGroupName="other")
    first, second = _package(sm, 1), _package(sm, 2)
    _package(sm, 9, group="other")
    sweep = PackageEventSweep(backend.runtime.sagemaker.events, backend.send_event)
    assert sweep.scan() == []  # registered PendingManualApproval: nothing to deploy

    backend.approve_model(second)
    (run,) = sweep.scan()
    assert not run.duplicate and run.pipeline == "deploy-churn"
    payload = backend.describe_run(run.arn).input
    assert payload["model_package"]["arn"] == second
    assert payload["stages"]["create_model"]["model_data"] == "s3://b/m2/model.tar.gz"
    assert payload["run"]["trigger"]["type"] == "model_package"

    # approving the older version later deploys that one (never "latest" or "oldest")
    backend.approve_model(first)
    (older,) = sweep.scan()
    assert backend.describe_run(older.arn).input["model_package"]["arn"] == first

    backend.approve_model(second)  # already Approved: the registry emits nothing
    assert sweep.scan() == []
    # AWS may deliver one change several times; a fresh sweep re-sends every stored event
    again = PackageEventSweep(backend.runtime.sagemaker.events, backend.send_event).scan()
    # (a running execution with the same name and input answers with itself, as on AWS)
    assert {r.arn for r in again} == {run.arn, older.arn}
    names = {r["name"] for r in backend.runtime.client("stepfunctions").list_executions(
        stateMachineArn=backend.state_machine_arn)["executions"]}
    assert names == {run.name, older.name}


def test_rejection_and_other_groups_start_nothing(backend) -> None:
    sm = backend.runtime.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="other")
    sm.create_model_package_group(ModelPackageGroupName="churn")
    backend.approve_model(_package(sm, 1, group="other"))
    backend.approve_model(_package(sm, 2), "Rejected")
    assert PackageEventSweep(backend.runtime.sagemaker.events, backend.send_event).scan() == []


def _event(arn: str, status: str = "Approved") -> dict:
    return {"version": "0", "id": "e1", "source": "aws.sagemaker",
            "detail-type": "SageMaker Model Package State Change", "time": "2026-03-02T10:00:00Z",
            "resources": [arn],
            "detail": {"ModelPackageGroupName": "churn", "ModelPackageVersion": 7,
                       "ModelPackageArn": arn, "ModelApprovalStatus": status,
                       "CreationTime": "2026-03-01T09:00:00Z",
                       "InferenceSpecification": {"Containers": [
                           {"Image": IMAGE, "ModelDataUrl": "s3://b/m7/model.tar.gz"}]}}}


def test_event_parses_to_an_identity_of_package_and_status() -> None:
    arn = "arn:aws:sagemaker:us-east-1:1:model-package/churn/7"
    (trigger,) = parse(json.dumps(_event(arn)))
    assert isinstance(trigger, Trigger) and trigger.type == "model_package"
    assert trigger.identity == f"package:{arn}:Approved"
    assert trigger.dataset_date == "2026-03-01"  # the package's, so redeliveries name one run
    assert parse(_event(arn, "Rejected"))[0].identity != trigger.identity
    bad = _event(arn)
    del bad["detail"]["ModelPackageArn"]
    with pytest.raises(Exception, match="lacks detail.ModelPackageArn"):
        parse(bad)


def test_the_terraform_rule_pattern_matches_the_event() -> None:
    rule = package_event.rule_pattern(["churn"])
    validate(rule)
    arn = "arn:aws:sagemaker:us-east-1:1:model-package/churn/7"
    assert matches(rule, _event(arn))
    assert not matches(rule, _event(arn, "PendingManualApproval"))


def test_rejecting_a_version_redeploys_the_newest_still_approved(tmp_path) -> None:
    """Rollback by registry (SageMaker Projects templates): Approved -> Rejected redeploys the
    newest version still Approved; with none left nothing starts, and the router says why."""
    backend = LocalBackend(tmp_path / "ws")
    (tmp_path / "deploy.yaml").write_text(
        CONFIG.replace("[{group: churn}]", "[{group: churn, status: [Approved, Rejected]}]"))
    backend.register(tmp_path / "deploy.yaml")
    try:
        sm = backend.runtime.client("sagemaker")
        sm.create_model_package_group(ModelPackageGroupName="churn")
        first, second, third = _package(sm, 1), _package(sm, 2), _package(sm, 3)
        sweep = PackageEventSweep(backend.runtime.sagemaker.events, backend.send_event)
        for arn in (first, second):
            backend.approve_model(arn)
        assert len(sweep.scan()) == 2
        backend.approve_model(third, "Rejected")  # never approved: the newest approved (2) again
        (again,) = sweep.scan()
        assert backend.describe_run(again.arn).input["model_package"]["arn"] == second

        backend.approve_model(second, "Rejected")  # the deployed version is pulled: back to 1
        (rollback,) = sweep.scan()
        payload = backend.describe_run(rollback.arn).input
        assert payload["model_package"]["arn"] == first
        assert payload["stages"]["create_model"]["model_data"] == "s3://b/m1/model.tar.gz"
        assert (payload["run"]["trigger"]["package"], payload["run"]["trigger"]["status"]) == \
            (second, "Rejected")
        # redelivered: the same run
        assert [r.arn for r in PackageEventSweep(
            backend.runtime.sagemaker.events, backend.send_event).scan()][-1] == rollback.arn

        backend.approve_model(first, "Rejected")  # nothing Approved is left
        assert sweep.scan() == []
        result = backend.router.route(json.dumps(_event(first, "Rejected")))
        assert result["started"] == [] and "no Approved version left" in result["ignored"][0]
    finally:
        backend.runtime.engine.close()
