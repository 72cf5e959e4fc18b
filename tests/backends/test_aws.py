"""AwsBackend against a moto server on 127.0.0.1 (behind the validating proxy).

The table, bucket and state machines are created here with boto3, shaped as
terraform/modules/sagestep creates them; tests/terraform/test_stack.py does the same through
`terraform apply`.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from sagestep.backends.aws import AwsBackend, AwsSettings
from sagestep.errors import BackendError
from sagestep.pipeline.compile import CompileOptions, compile_state_machine
from tests.motostack import MotoStack

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "xgboost-breast-cancer" / "pipeline.yaml"
TABLE = "sagestep-dev-pipeline-configs"
ROLE = "arn:aws:iam::123456789012:role/sagestep-dev-state-machine"
HELPER = "sagestep-dev-helper"


@pytest.fixture(scope="module")
def stack() -> Any:
    # moto's plain Step Functions records executions (its interpreter runs one execution
    # per reset: test_aws_callbacks.py gives each real run a fresh server).
    with MotoStack(execute_state_machines=False) as moto:
        db = moto.client("dynamodb")
        db.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "name", "KeyType": "HASH"},
                {"AttributeName": "version", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "name", "AttributeType": "S"},
                {"AttributeName": "version", "AttributeType": "N"},
            ],
        )
        moto.client("s3").create_bucket(
            Bucket="sagestep-examples",
            CreateBucketConfiguration={"LocationConstraint": moto.region},
        )
        moto.machine_arn = moto.client("stepfunctions").create_state_machine(
            name="sagestep-dev-pipeline",
            definition=json.dumps(compile_state_machine(CompileOptions(helper_function=HELPER))),
            roleArn=ROLE,
        )["stateMachineArn"]
        yield moto


def _backend(stack: MotoStack, machine: str | None = None) -> AwsBackend:
    settings = AwsSettings(
        table=TABLE,
        state_machine_arn=machine or stack.machine_arn,  # type: ignore[attr-defined]
        region=stack.region,
        endpoint_url=stack.url,
        bucket="sagestep-examples",
        helper_function=HELPER,
    )
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=stack.region
    )
    return AwsBackend(settings, session=session)


def _s3_event(bucket: str, key: str, event_id: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-03-01T10:00:00Z",
        "region": "eu-west-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 5},
            "reason": "PutObject",
        },
    }


def test_settings_come_from_terraform_outputs_and_env(tmp_path: Path) -> None:
    outputs = {
        "config_table": {"value": "t1", "type": "string", "sensitive": False},
        "state_machine_arn": {
            "value": "arn:aws:states:eu-west-1:1:stateMachine:m",
            "type": "string",
        },
        "helper_function_arn": {"value": "arn:aws:lambda:eu-west-1:1:function:h"},
    }
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(outputs))
    settings = AwsSettings.resolve(stack=path, env={"SAGESTEP_CONFIG_TABLE": "t2"}, region="r1")
    assert settings.table == "t2"  # the environment wins over the file
    assert settings.state_machine_arn.endswith(":m")
    assert settings.helper_function == "arn:aws:lambda:eu-west-1:1:function:h"
    assert settings.region == "r1"


def test_missing_settings_say_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="terraform output -json"):
        AwsSettings.resolve(env={})
    bad = tmp_path / "stack.json"
    bad.write_text("not json")
    with pytest.raises(BackendError, match=r"cannot read Terraform outputs from .*stack\.json"):
        AwsSettings.resolve(stack=bad, env={})


def test_register_puts_versions_in_dynamodb_and_uploads_code(stack: MotoStack) -> None:
    backend = _backend(stack)
    first = backend.register(EXAMPLE)
    second = backend.register(EXAMPLE)
    assert (first.name, second.version) == ("xgboost-breast-cancer", first.version + 1)
    rows = stack.client("dynamodb").query(
        TableName=TABLE,
        KeyConditionExpression="#n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": {"S": "xgboost-breast-cancer"}},
    )["Items"]
    assert sorted(int(r["version"]["N"]) for r in rows)[-2:] == [first.version, second.version]
    assert json.loads(rows[0]["item"]["S"])["name"] == "xgboost-breast-cancer"
    assert backend.config("xgboost-breast-cancer")["version"] == second.version
    listed = stack.client("s3").list_objects_v2(Bucket="sagestep-examples")["Contents"]
    code = [o["Key"] for o in listed if o["Key"].endswith(".tar.gz") or o["Key"].endswith(".py")]
    assert code, [o["Key"] for o in listed]
    with pytest.raises(BackendError, match="no pipeline named 'nope' is registered.*registered: xgboost-breast-cancer"):
        backend.config("nope")


def test_register_warns_when_the_config_has_no_real_role(stack: MotoStack) -> None:
    backend = _backend(stack)
    role = "arn:aws:iam::123456789012:role/sagestep-dev-sagemaker"
    backend = AwsBackend(
        AwsSettings(**{**backend.settings.__dict__, "sagemaker_role_arn": role}),
        session=backend.session,
    )
    done = backend.register(EXAMPLE)
    assert any(f"set defaults.role_arn to {role}" in note for note in done.notes)


def test_s3_event_starts_one_execution_with_the_rendered_input(stack: MotoStack) -> None:
    backend = _backend(stack)
    backend.register(EXAMPLE)
    event = _s3_event("sagestep-examples", "xgboost-breast-cancer/input/day 1.csv", "evt-1")
    (ref,) = backend.send_event(event)
    assert ref.pipeline == "xgboost-breast-cancer" and not ref.duplicate
    described = stack.client("stepfunctions").describe_execution(executionArn=ref.arn)
    payload = json.loads(described["input"])
    assert payload["run"]["trigger"]["bucket"] == "sagestep-examples"
    assert payload["run"]["trigger"]["key"] == "xgboost-breast-cancer/input/day 1.csv"
    source = payload["stages"]["preprocessing"]["request"]["ProcessingInputs"][0]
    assert "s3://sagestep-examples/xgboost-breast-cancer/input/day 1.csv" in json.dumps(source)
    (again,) = backend.send_event(event)  # EventBridge delivers at least once
    # StartExecution with the same name and input while the run is open is idempotent on AWS
    # (and in moto): the same execution comes back, no second one starts.
    assert again.arn == ref.arn
    executions = stack.client("stepfunctions").list_executions(stateMachineArn=stack.machine_arn)  # type: ignore[attr-defined]
    assert [e["name"] for e in executions["executions"]].count(ref.name) == 1
    assert backend.describe_run(ref.name).pipeline == "xgboost-breast-cancer"
    assert ref.arn in [r.arn for r in backend.list_runs("xgboost-breast-cancer")]


def test_manual_runs_carry_dataset_date_params_and_object(stack: MotoStack) -> None:
    backend = _backend(stack)
    backend.register(EXAMPLE)
    ref = backend.start_run(
        "xgboost-breast-cancer",
        dataset_date="2024-05-06",
        params={"note": "rerun"},
        object_uri="s3://sagestep-examples/xgboost-breast-cancer/input/old.csv",
    )
    payload = backend.describe_run(ref.arn).input
    assert payload["run"]["dataset_date"] == "2024-05-06"
    assert payload["run"]["params"] == {"note": "rerun"}
    assert payload["run"]["trigger"]["key"] == "xgboost-breast-cancer/input/old.csv"
    assert backend.start_run("xgboost-breast-cancer").arn != ref.arn  # a new run each call


def test_events_for_no_pipeline_start_nothing(stack: MotoStack) -> None:
    backend = _backend(stack)
    assert backend.send_event(_s3_event("sagestep-examples", "elsewhere/x.csv", "evt-2")) == []


def test_models_and_endpoints_use_the_sagemaker_api(stack: MotoStack) -> None:
    backend = _backend(stack)
    sm = stack.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="churn")
    arn = sm.create_model_package(
        ModelPackageGroupName="churn",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://b/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    assert [m["ModelPackageArn"] for m in backend.models("churn")] == [arn]
    assert backend.approve_model(arn)["ModelApprovalStatus"] == "Approved"
    assert backend.endpoints() == []


def test_deploy_definition_updates_only_when_it_changed(stack: MotoStack) -> None:
    sfn = stack.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="deploy-me",
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
        roleArn=ROLE,
    )["stateMachineArn"]
    backend = _backend(stack, arn)
    machine = backend.compiled_definition()
    assert machine == compile_state_machine(CompileOptions(helper_function=HELPER))
    assert backend.deploy_definition(machine) == "updated"
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == machine
    assert backend.deploy_definition(machine) == "unchanged"


def test_deploy_definition_creates_a_missing_machine_with_the_stack_role(stack: MotoStack) -> None:
    missing = "arn:aws:states:eu-west-1:123456789012:stateMachine:sagestep-new"
    backend = _backend(stack, missing)
    with pytest.raises(BackendError, match="no role is known to create it"):
        backend.deploy_definition(backend.compiled_definition())
    backend = AwsBackend(
        AwsSettings(**{**backend.settings.__dict__, "state_machine_role_arn": ROLE}),
        session=backend.session,
    )
    assert backend.deploy_definition(backend.compiled_definition()) == "created"
    described = stack.client("stepfunctions").describe_state_machine(stateMachineArn=missing)
    assert described["roleArn"] == ROLE


def test_tar_of_script_mode_code_holds_the_scripts(stack: MotoStack) -> None:
    s3 = stack.client("s3")
    _backend(stack).register(EXAMPLE)
    archives = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket="sagestep-examples")["Contents"]
        if o["Key"].endswith(".tar.gz")
    ]
    for key in archives:
        body = s3.get_object(Bucket="sagestep-examples", Key=key)["Body"].read()
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            assert all(not n.startswith("/") for n in tar.getnames())


def test_config_versions_on_dynamodb(stack: MotoStack, tmp_path: Path) -> None:
    """list/versions/diff/rollback and draft runs against the DynamoDB registry."""
    import shutil

    from sagestep.backends import versions

    backend = _backend(stack)
    shutil.copytree(EXAMPLE.parent, tmp_path / "uc")
    config = tmp_path / "uc" / "pipeline.yaml"
    first = backend.register(config).version
    config.write_text(config.read_text().replace("num_round: 60", "num_round: 45"))
    # a draft runs the edited file; the table's latest stays what it was
    item = versions.draft(backend, config, "t1")
    ref = backend.start_item(item, object_uri="s3://sagestep-examples/x/data.csv")
    assert backend.describe_run(ref.arn).input["config_version"] == "draft"
    assert backend.config("xgboost-breast-cancer")["version"] == first
    listed = stack.client("s3").list_objects_v2(
        Bucket="sagestep-examples", Prefix="xgboost-breast-cancer/drafts/t1/code/")
    assert listed.get("KeyCount", 0) > 0
    second = backend.register(config).version
    assert second == first + 1
    assert '+          "num_round": "45",' in versions.diff(
        backend, "xgboost-breast-cancer", first, second)
    third = versions.rollback(backend, "xgboost-breast-cancer", first)
    assert third == second + 1
    latest = backend.config("xgboost-breast-cancer")
    assert versions.digest(latest) == versions.digest(backend.config("xgboost-breast-cancer", first))
    assert versions.diff(backend, "xgboost-breast-cancer", first, third) == ""
    pinned = backend.start_item(backend.config("xgboost-breast-cancer", second),
                                object_uri="s3://sagestep-examples/x/data.csv")
    assert backend.describe_run(pinned.arn).input["config_version"] == second
