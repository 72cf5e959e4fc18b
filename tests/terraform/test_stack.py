"""terraform apply of examples/dev against a moto server, a run through the AWS backend,
and terraform destroy leaving nothing behind.

The provider's endpoints point at the validating proxy in front of moto (tests/motostack.py),
through an override file next to the example; nothing else of the example changes except two
module arguments that only trade fixed provider waits for speed (see _OVERRIDE).
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import boto3
import pytest

from sagestep.backends.aws import AwsBackend, AwsSettings
from sagestep.backends.lambda_zip import build_all
from sagestep.pipeline.compile import CompileOptions, compile_state_machine
from sagestep.triggers import eventpattern
from tests.motostack import MotoStack
from tests.terraform import tf

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.slow,
    pytest.mark.skipif(tf.missing() is not None, reason=tf.missing() or ""),
]
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "xgboost-breast-cancer" / "pipeline.yaml"
SERVICES = ("dynamodb", "events", "iam", "kms", "lambda", "logs", "s3", "sns", "sqs", "sfn", "sts")

_OVERRIDE = """provider "aws" {{
  region                      = "{region}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  max_retries                 = 1
  endpoints {{
{endpoints}
  }}
}}

# The provider polls the S3 lifecycle configuration and SQS queue attributes until they
# read back the same several times, 10 s apart (about 55 s and 25 s, against AWS too); the
# rest of the stack is the same with or without them.
module "sagestep" {{
  noncurrent_version_expiration_days = null
  lambda_dead_letter_queue           = false
}}
"""


def _inventory(stack: MotoStack) -> dict[str, list[str]]:
    """Everything of the kinds the module creates that exists in moto now."""
    c = stack.client
    keys = c("kms").list_keys()["Keys"]
    # AWS-managed keys (alias/aws/*) appear on first use of a service and are not the stack's.
    managed = {
        a.get("TargetKeyId")
        for a in c("kms").list_aliases()["Aliases"]
        if a["AliasName"].startswith("alias/aws/")
    }
    metadata = [c("kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in keys]
    live_keys = [
        f"{m['KeyId']} ({m.get('Description')})"
        for m in metadata
        if m["KeyState"] != "PendingDeletion" and m["KeyId"] not in managed
    ]
    return {
        "tables": c("dynamodb").list_tables()["TableNames"],
        "buckets": [b["Name"] for b in c("s3").list_buckets()["Buckets"]],
        "state machines": [
            m["name"] for m in c("stepfunctions").list_state_machines()["stateMachines"]
        ],
        "functions": [f["FunctionName"] for f in c("lambda").list_functions()["Functions"]],
        "roles": [r["RoleName"] for r in c("iam").list_roles()["Roles"]],
        "topics": [t["TopicArn"] for t in c("sns").list_topics()["Topics"]],
        "rules": [r["Name"] for r in c("events").list_rules()["Rules"]],
        "log groups": [g["logGroupName"] for g in c("logs").describe_log_groups()["logGroups"]],
        "queues": c("sqs").list_queues().get("QueueUrls", []),
        "aliases": [
            a["AliasName"]
            for a in c("kms").list_aliases()["Aliases"]
            if not a["AliasName"].startswith("alias/aws/")
        ],
        "live keys": live_keys,
    }


def _resources(states: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for state in states.values():
        if "Resource" in state:
            found.add(state["Resource"])
        for branch in state.get("Branches", []):
            found |= _resources(branch["States"])
        if "ItemProcessor" in state:
            found |= _resources(state["ItemProcessor"]["States"])
    return found


def required_actions(definition: dict[str, Any]) -> set[str]:
    """IAM actions the state machine's role needs for the Task resources of ``definition``."""
    actions: set[str] = set()
    for resource in _resources(definition["States"]):
        service_action = resource.split(":::", 1)[1].removeprefix("aws-sdk:")
        service, _, action = service_action.partition(":")
        action, _, pattern = action.partition(".")
        api = action[0].upper() + action[1:]
        actions.add(
            f"{'lambda' if service == 'lambda' else service}:"
            f"{'InvokeFunction' if service == 'lambda' else api}"
        )
        if pattern == "sync":  # .sync also describes and stops the job
            job = api.removeprefix("Create")
            actions |= {
                f"sagemaker:Describe{job}",
                f"sagemaker:Stop{job}",
                "events:PutRule",
                "events:PutTargets",
                "events:DescribeRule",
            }
    return actions


def _granted(iam: Any, role: str) -> set[str]:
    granted: set[str] = set()
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        for statement in document["Statement"]:
            listed = statement["Action"]
            granted |= {listed} if isinstance(listed, str) else set(listed)
    return granted


def _statements(iam: Any, role: str) -> list[dict[str, Any]]:
    found = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        for statement in document["Statement"]:
            actions = statement["Action"]
            found.append({**statement, "Action": [actions] if isinstance(actions, str) else actions})
    return found


def _check_scoping(iam: Any, lambdas: Any) -> None:
    """Issue 8: grants on the key, SageMaker resources and data are scoped, not account-wide."""
    job_roles = ["sagestep-dev-sagemaker", "sagestep-dev-job-xgboost-breast-cancer"]
    for role in job_roles:
        for statement in _statements(iam, role):
            if "kms:CreateGrant" in statement["Action"]:
                assert statement["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
                assert statement["Action"] == ["kms:CreateGrant"]
    tagged = {"sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob",
              "sagemaker:CreateTransformJob", "sagemaker:CreateHyperParameterTuningJob",
              "sagemaker:CreateModel", "sagemaker:CreateEndpointConfig",
              "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
              "sagemaker:DescribeProcessingJob", "sagemaker:AddTags"}
    for statement in _statements(iam, "sagestep-dev-state-machine"):
        if tagged & set(statement["Action"]):
            condition = json.dumps(statement.get("Condition", {}))
            assert '"sagestep-dev"' in condition and "Tag/sagestep:stack" in condition, statement
    s3_resources = [r for s in _statements(iam, "sagestep-dev-job-xgboost-breast-cancer")
                    if any(a.startswith("s3:") for a in s["Action"])
                    for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
    assert s3_resources and all("/xgboost-breast-cancer" in r or r.endswith(":::sagestep-examples")
                                or "artefacts" in r for r in s3_resources), s3_resources
    assert not any(r.endswith("/*") and r.count("/") == 1 for r in s3_resources), s3_resources
    helper = lambdas.get_function(FunctionName="sagestep-dev-helper")["Configuration"]
    assert helper["Environment"]["Variables"]["SAGESTEP_STACK"] == "sagestep-dev"


def _converge(args: list[str], root: Path) -> None:
    """Run terraform apply/destroy; once more if the first try fails.

    A second run continues from the state the first left (Terraform is convergent); it
    absorbs a rare transient error of the moto server under a loaded CI machine.
    """
    try:
        tf.run(args, root)
    except AssertionError as first:
        warnings.warn(f"retrying after: {str(first)[-800:]}", stacklevel=2)
        tf.run(args, root)


def _backend(stack: MotoStack, outputs: Path) -> AwsBackend:
    settings = AwsSettings.resolve(
        stack=outputs, region=stack.region, env={"SAGESTEP_AWS_ENDPOINT_URL": stack.url}
    )
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=stack.region
    )
    return AwsBackend(settings, session=session)


def _object_created(bucket: str, key: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-03-01T10:00:00Z",
        "region": "eu-west-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 120},
            "reason": "PutObject",
        },
    }


def test_dev_example_applies_runs_and_destroys_against_moto(tmp_path: Path) -> None:
    started = time.monotonic()
    tree = tf.copy_tree(tmp_path)
    root = tree / "examples" / "dev"
    build = tmp_path / "build"
    definition = compile_state_machine(CompileOptions(helper_function="sagestep-dev-helper"))
    (build / "lambda").mkdir(parents=True)
    (build / "state-machine.json").write_text(json.dumps(definition))
    zips = {z.name: z for z in build_all(build / "lambda")}
    variables = [
        "-var",
        f"state_machine_definition_file={build / 'state-machine.json'}",
        "-var",
        f"lambda_dir={build / 'lambda'}",
    ]
    with MotoStack(execute_state_machines=False) as stack:
        before = _inventory(stack)
        endpoints = "\n".join(f'    {s} = "{stack.url}"' for s in SERVICES)
        (root / "moto_override.tf").write_text(
            _OVERRIDE.format(region=stack.region, endpoints=endpoints)
        )
        tf.init(root)
        _converge(["apply", "-auto-approve", "-no-color", "-parallelism=20", *variables], root)
        assert "AWSStepFunctions.ValidateStateMachineDefinition" in stack.calls
        outputs = tmp_path / "stack.json"
        outputs.write_text(tf.run(["output", "-json"], root).stdout)

        # The deployed stack is the module's: one definition, the router's zip and settings.
        sfn = stack.client("stepfunctions")
        arn = json.loads(outputs.read_text())["state_machine_arn"]["value"]
        assert (
            json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == definition
        )
        router = stack.client("lambda").get_function(FunctionName="sagestep-dev-router")
        assert router["Configuration"]["Handler"] == "sagestep.triggers.router.handler"
        assert router["Configuration"]["CodeSize"] == zips["router"].size
        env = router["Configuration"]["Environment"]["Variables"]
        assert env["SAGESTEP_STATE_MACHINE_ARN"] == arn
        # Least privilege that still works: the role grants every action the machine calls.
        needed = required_actions(definition)
        assert "sagemaker:CreateTrainingJob" in needed and "s3:GetObject" in needed
        granted = _granted(stack.client("iam"), "sagestep-dev-state-machine")
        assert not needed - granted, f"the state machine role lacks {sorted(needed - granted)}"
        extra = {a for a in granted - needed if a.startswith("sagemaker:")}
        assert extra <= {"sagemaker:AddTags", "sagemaker:ListTags"}, f"unused grants: {extra}"
        _check_scoping(stack.client("iam"), stack.client("lambda"))

        # The trigger rule Terraform wrote matches uploads under the prefix with the suffix
        # only (EventBridge semantics, checked by sagestep's matcher: moto has no wildcard).
        events = stack.client("events")
        rule = json.loads(events.describe_rule(Name="sagestep-dev-s3-churn")["EventPattern"])
        artefacts = json.loads(outputs.read_text())["artefact_bucket"]["value"]
        for key, expected in (
            ("incoming/churn/2024/a.csv", True),
            ("incoming/churn/a.json", False),
            ("other/incoming/churn/a.csv", False),
        ):
            assert eventpattern.matches(rule, _object_created(artefacts, key)) is expected, key
        targets = events.list_targets_by_rule(Rule="sagestep-dev-s3-churn")["Targets"]
        assert [t["Arn"] for t in targets] == [router["Configuration"]["FunctionArn"]]
        assert "Input" not in targets[0] and "InputTransformer" not in targets[0]

        status_rule = json.loads(
            events.describe_rule(Name="sagestep-dev-execution-status")["EventPattern"]
        )

        def status_event(status: str) -> dict[str, Any]:
            detail = {"stateMachineArn": arn, "status": status}
            return {
                "source": "aws.states",
                "detail-type": "Step Functions Execution Status Change",
                "detail": detail,
            }

        assert eventpattern.matches(status_rule, status_event("TIMED_OUT"))
        assert not eventpattern.matches(status_rule, status_event("RUNNING"))

        # Registry approvals reach the router (the deploy pipeline's model_package trigger).
        package_rule = json.loads(
            events.describe_rule(Name="sagestep-dev-model-package-approved")["EventPattern"]
        )

        def package_event(status: str) -> dict[str, Any]:
            return {
                "source": "aws.sagemaker",
                "detail-type": "SageMaker Model Package State Change",
                "detail": {"ModelPackageGroupName": "churn", "ModelApprovalStatus": status},
            }

        assert eventpattern.matches(package_rule, package_event("Approved"))
        assert not eventpattern.matches(package_rule, package_event("PendingManualApproval"))
        targets = events.list_targets_by_rule(Rule="sagestep-dev-model-package-approved")
        assert [t["Arn"] for t in targets["Targets"]] == [router["Configuration"]["FunctionArn"]]

        # Register a config, hand the router an S3 upload, find the run in Step Functions.
        backend = _backend(stack, outputs)
        assert backend.deploy_definition(backend.compiled_definition()) == "unchanged"
        bucket = backend.settings.bucket or ""
        stack.client("s3").create_bucket(
            Bucket="sagestep-examples",
            CreateBucketConfiguration={"LocationConstraint": stack.region},
        )
        # examples/dev loads pipelines/xgboost-breast-cancer.json as version 1 (Terraform);
        # registering the same config through the backend adds version 2.
        assert backend.config("xgboost-breast-cancer", 1)["version"] == 1
        registered = backend.register(EXAMPLE)
        assert registered.version == 2
        key = "xgboost-breast-cancer/input/2024-03-01.csv"
        (run,) = backend.send_event(_object_created("sagestep-examples", key))
        described = sfn.describe_execution(executionArn=run.arn)
        assert described["stateMachineArn"] == arn
        payload = json.loads(described["input"])
        assert payload["pipeline"] == "xgboost-breast-cancer" and payload["config_version"] == 2
        assert payload["run"]["trigger"]["uri"] == f"s3://sagestep-examples/{key}"
        assert bucket.startswith("sagestep-dev-artefacts-")

        _converge(
            [
                "destroy",
                "-auto-approve",
                "-no-color",
                "-parallelism=20",
                "-refresh=false",
                *variables,
            ],
            root,
        )
        after = _inventory(stack)
        created_by_test = {"buckets": ["sagestep-examples"]}
        for kind, names in after.items():
            left = sorted(set(names) - set(before[kind]) - set(created_by_test.get(kind, [])))
            assert not left, f"terraform destroy left {kind}: {left}"
    assert time.monotonic() - started < 240
