"""SageMaker, SageMaker Runtime, Step Functions and STS over HTTP with boto3 (real jobs)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from tests.api.conftest import make_client
from tests.sagemaker.conftest import Env, training_request
from tests.sagemaker.test_training import TRAIN, _stage_iris
from tests.serving.helpers import (
    ROLE,
    XGB_IMAGE,
    breast_cancer,
    tarball,
    variant,
    xgboost_model_bytes,
)

pytestmark = pytest.mark.slow


def test_sts_caller_identity(api) -> None:
    ident = make_client(api[1], "sts").get_caller_identity()
    assert ident["Account"] == "123456789012" and ident["UserId"] == api[1].access_key


def test_sts_errors_use_sts_codes(api) -> None:
    import dataclasses

    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import ClientError

    ep = api[1]
    cases = [(dataclasses.replace(ep, secret_key="wrong"), {}, "SignatureDoesNotMatch"),
             (dataclasses.replace(ep, access_key="AKIDOTHER"), {}, "InvalidClientTokenId"),
             (ep, {"config": Config(signature_version=UNSIGNED, retries={"max_attempts": 1})}, "MissingAuthenticationToken")]
    for endpoint, kw, expected in cases:
        with pytest.raises(ClientError) as exc:
            make_client(endpoint, "sts", **kw).get_caller_identity()
        assert exc.value.response["Error"]["Code"] == expected
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_training_job_over_the_wire(api) -> None:
    rt, ep = api
    s3, sm = make_client(ep, "s3"), make_client(ep, "sagemaker")
    s3.create_bucket(Bucket="bkt")
    env = Env(rt, s3, sm)
    _stage_iris(env)
    req = training_request("wire-iris", env.put_source("code/sourcedir.tar.gz", {"train.py": TRAIN}))
    sm.create_training_job(**req)
    sm.get_waiter("training_job_completed_or_stopped").wait(
        TrainingJobName="wire-iris", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    desc = sm.describe_training_job(TrainingJobName="wire-iris")
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    assert "SagestepLocal" not in desc  # only members of the AWS model reach the wire
    assert desc["TrainingStartTime"] <= desc["TrainingEndTime"]
    assert desc["ModelArtifacts"]["S3ModelArtifacts"] == "s3://bkt/models/wire-iris/output/model.tar.gz"
    names = [j["TrainingJobName"] for j in sm.list_training_jobs()["TrainingJobSummaries"]]
    assert "wire-iris" in names
    with pytest.raises(ClientError) as exc:
        sm.create_training_job(**req)
    assert exc.value.response["Error"]["Code"] == "ResourceInUse"
    with pytest.raises(ClientError) as exc:
        sm.describe_training_job(TrainingJobName="absent")
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_endpoint_invoke_with_sagemaker_headers(api) -> None:
    _, ep = api
    s3, sm, smr = make_client(ep, "s3"), make_client(ep, "sagemaker"), make_client(ep, "sagemaker-runtime")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="xgb/model.tar.gz", Body=tarball({"xgboost-model": xgboost_model_bytes(3)}))
    sm.create_model(ModelName="wire-xgb", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGB_IMAGE, "ModelDataUrl": "s3://models/xgb/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName="wire-cfg", ProductionVariants=[variant("wire-xgb")])
    sm.create_endpoint(EndpointName="wire-ep", EndpointConfigName="wire-cfg")
    try:
        sm.get_waiter("endpoint_in_service").wait(EndpointName="wire-ep", WaiterConfig={"Delay": 1, "MaxAttempts": 90})
        x, _ = breast_cancer()
        row = ",".join(f"{v:.9g}" for v in x[0])
        got = smr.invoke_endpoint(EndpointName="wire-ep", Body=row, ContentType="text/csv",
                                  Accept="text/csv", CustomAttributes="trace=1")
        booster = xgb.Booster()
        booster.load_model(bytearray(xgboost_model_bytes(3)))
        want = float(booster.inplace_predict(np.asarray(x[0]).reshape(1, -1))[0])
        assert float(got["Body"].read().decode()) == pytest.approx(want)
        assert got["ContentType"] == "text/csv" and got["InvokedProductionVariant"] == "AllTraffic"
        with pytest.raises(ClientError) as exc:
            smr.invoke_endpoint(EndpointName="absent", Body=row, ContentType="text/csv")
        assert exc.value.response["Error"]["Code"] == "ValidationError"
    finally:
        sm.delete_endpoint(EndpointName="wire-ep")


def test_step_functions_execution_and_history(api) -> None:
    _, ep = api
    sfn = make_client(ep, "stepfunctions")
    definition = {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "Seconds": 0, "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"got.$": "$.value"}, "End": True}}}
    arn = sfn.create_state_machine(name="wire-machine", definition=json.dumps(definition),
                                   roleArn="arn:aws:iam::123456789012:role/x")["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, name="run-1", input=json.dumps({"value": 7}))["executionArn"]
    deadline = time.monotonic() + 30
    while (desc := sfn.describe_execution(executionArn=run))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert desc["status"] == "SUCCEEDED" and json.loads(desc["output"]) == {"got": 7}
    assert desc["startDate"] <= desc["stopDate"]
    events = sfn.get_execution_history(executionArn=run)["events"]
    assert [e["type"] for e in events][0] == "ExecutionStarted"
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert all(e["timestamp"].tzinfo is not None for e in events)
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn=arn, name="run-1", input="{}")
    assert exc.value.response["Error"]["Code"] in ("ExecutionAlreadyExists",)
    with pytest.raises(ClientError) as exc:
        sfn.describe_execution(executionArn=run + "-absent")
    assert exc.value.response["Error"]["Code"] == "ExecutionDoesNotExist"


def test_raw_json_request_missing_a_required_member_is_a_validation_error(api) -> None:
    import httpx
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    _, ep = api
    req = AWSRequest("POST", ep.url + "/", data=b"{}", headers={
        "X-Amz-Target": "AWSStepFunctions.StartExecution", "Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials(ep.access_key, ep.secret_key), "states", ep.region).add_auth(req)
    got = httpx.post(ep.url + "/", content=b"{}", headers=dict(req.headers.items()))
    assert got.status_code == 400
    assert got.headers["x-amzn-ErrorType"] == "ValidationException"
    assert "stateMachineArn" in got.json()["message"]
    unknown = AWSRequest("POST", ep.url + "/", data=b"{}", headers={
        "X-Amz-Target": "AWSStepFunctions.NoSuchThing", "Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials(ep.access_key, ep.secret_key), "states", ep.region).add_auth(unknown)
    got = httpx.post(ep.url + "/", content=b"{}", headers=dict(unknown.headers.items()))
    assert got.json()["__type"] == "UnknownOperationException"
