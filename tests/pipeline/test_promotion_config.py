"""promotion: ordered deploy targets normalise into botocore-valid requests per target."""

from __future__ import annotations

import textwrap

import botocore.session
import pytest
from botocore.stub import Stubber

from sagestep.errors import SpecError
from sagestep.pipeline.loader import load_config

BASE = """
name: churn-deploy
triggers:
  model_package: [{group: churn}]
stages:
  create_model:
    image: "{{ model_package.image }}"
    model_data: "{{ model_package.model_data }}"
promotion:
  targets:
    - name: staging
      endpoint_name: churn-staging
      data_capture: {destination: "s3://b/capture/staging", sampling_percentage: 80, mode: Input}
      smoke_test: {payloads: ["1,2,3"], max_latency_ms: 500}
    - name: prod
      endpoint_name: churn-prod
      instance_type: ml.m5.xlarge
      instance_count: 3
      approval: {mode: manual, message: "Staging passed: promote?"}
      deployment: %s
"""


def _load(tmp_path, deployment: str = "{strategy: CANARY, canary_percent: 10, wait_seconds: 60}"):
    path = tmp_path / "deploy.yaml"
    path.write_text(textwrap.dedent(BASE % deployment))
    return load_config(path).item


def _client():
    return botocore.session.get_session().create_client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.mark.parametrize("deployment, routing", [
    ("{strategy: CANARY, canary_percent: 10, wait_seconds: 60}",
     {"Type": "CANARY", "WaitIntervalInSeconds": 60,
      "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}}),
    ("{strategy: LINEAR, linear_step_percent: 25, wait_seconds: 30}",
     {"Type": "LINEAR", "WaitIntervalInSeconds": 30,
      "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25}}),
    ("{strategy: ALL_AT_ONCE, wait_seconds: 0}", {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}),
])
def test_targets_carry_update_requests_that_botocore_accepts(tmp_path, deployment, routing):
    item = _load(tmp_path, deployment)
    staging, prod = item["promotion"]["targets"]
    assert (staging["name"], prod["name"]) == ("staging", "prod")
    assert staging["update"] == {} and "approval" not in staging
    assert staging["endpoint_config"]["DataCaptureConfig"]["InitialSamplingPercentage"] == 80
    assert prod["endpoint_config"]["ProductionVariants"][0]["InitialInstanceCount"] == 3
    assert prod["approval"]["mode"] == "manual"
    policy = prod["update"]["DeploymentConfig"]
    assert policy["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == routing
    assert policy["AutoRollbackConfiguration"] == {"Alarms": [{"AlarmName": "churn-prod-5xx-errors"}]}
    # botocore's own client-side validation of the exact request the machine sends
    client = _client()
    with Stubber(client) as stub:
        request = {"EndpointName": "churn-prod", "EndpointConfigName": "churn-prod-epc-1",
                   **prod["update"]}
        stub.add_response("update_endpoint", {"EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/churn-prod"},
                          request)
        client.update_endpoint(**request)
        config = {"EndpointConfigName": "c", **prod["endpoint_config"]}
        config["ProductionVariants"][0]["ModelName"] = "m"
        stub.add_response("create_endpoint_config", {"EndpointConfigArn": "arn:aws:sagemaker:us-east-1:1:endpoint-config/c"}, config)
        client.create_endpoint_config(**config)


def test_bad_targets_are_reported_plainly(tmp_path):
    with pytest.raises(SpecError, match="canary_percent"):
        _load(tmp_path, "{strategy: CANARY, canary_percent: 80}")
    with pytest.raises(SpecError, match="max_execution_seconds"):
        _load(tmp_path, "{strategy: LINEAR, max_execution_seconds: 60}")
    path = tmp_path / "dup.yaml"
    path.write_text(textwrap.dedent("""
        name: x
        stages: {create_model: {image: i, model_data: "s3://b/m.tar.gz"}}
        promotion:
          targets: [{name: a, endpoint_name: e}, {name: b, endpoint_name: e}]
    """))
    with pytest.raises(SpecError, match="own endpoint_name; repeated: e"):
        load_config(path)
    path.write_text("name: x\nstages: {approval: {mode: auto}}\n"
                    "promotion: {targets: [{name: a, endpoint_name: e}]}\n")
    with pytest.raises(SpecError, match="create_model does not run"):
        load_config(path)


def test_terraform_creates_the_alarms_the_deployment_config_names(tmp_path):
    from pathlib import Path

    item = _load(tmp_path, "{strategy: CANARY, alarms: {error_rate: 0.05, p99_latency_ms: 300}}")
    prod = item["promotion"]["targets"][1]
    named = [a["AlarmName"] for a in prod["update"]["DeploymentConfig"]
             ["AutoRollbackConfiguration"]["Alarms"]]
    tf = (Path(__file__).resolve().parents[2] / "terraform" / "modules" / "sagestep" /
          "alarms.tf").read_text()
    made = [line.split('"')[1].replace("${each.key}", "churn-prod")
            for line in tf.splitlines() if line.strip().startswith("alarm_name")]
    assert sorted(named) == sorted(made) == ["churn-prod-5xx-errors", "churn-prod-p99-latency"]
