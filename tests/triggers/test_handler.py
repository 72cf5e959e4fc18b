"""The Lambda entry point against a moto server: DynamoDB configs, Step Functions starts."""

import json

import pytest

from sagestep.errors import RouterError
from sagestep.triggers import router


def test_handler_reads_its_configuration_at_call_time(monkeypatch):
    monkeypatch.delenv("SAGESTEP_CONFIG_TABLE", raising=False)
    with pytest.raises(RouterError, match="SAGESTEP_CONFIG_TABLE"):
        router.handle({"pipeline": "x"}, None)


def test_handler_on_moto(monkeypatch):
    moto = pytest.importorskip("moto")
    boto3 = pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        router._clients.clear()
        ddb = boto3.resource("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="configs",
            KeySchema=[{"AttributeName": "name", "KeyType": "HASH"},
                       {"AttributeName": "version", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"},
                                  {"AttributeName": "version", "AttributeType": "N"}],
            BillingMode="PAY_PER_REQUEST",
        )
        # Written by the registry's own DynamoDB writer, so reader and writer agree on layout.
        from sagestep.stores.registry import DynamoDBConfigRegistry

        registry = DynamoDBConfigRegistry("configs", boto3.client("dynamodb", region_name="us-east-1"))
        for version in (1, 2):
            assert registry.put({"name": "churn", "stages": {"v": version}}) == version
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="sagestep", roleArn="arn:aws:iam::123456789012:role/sfn",
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        )["stateMachineArn"]
        monkeypatch.setenv("SAGESTEP_CONFIG_TABLE", "configs")
        monkeypatch.setenv("SAGESTEP_STATE_MACHINE_ARN", arn)

        class Ctx:
            aws_request_id = "abc"

        first = router.handler({"pipeline": "churn"}, Ctx())
        again = router.handler({"pipeline": "churn"}, Ctx())
        described = sfn.describe_execution(executionArn=first["started"][0]["executionArn"])
        assert json.loads(described["input"])["stages"] == {"v": 2}  # the latest version
        assert len(sfn.list_executions(stateMachineArn=arn)["executions"]) == 1
        router._clients.clear()
    assert first["started"][0]["duplicate"] is False
    assert again["started"][0]["executionArn"] == first["started"][0]["executionArn"]
    listed = first["started"][0]["executionArn"]
    assert listed.startswith(arn.replace(":stateMachine:", ":execution:"))
