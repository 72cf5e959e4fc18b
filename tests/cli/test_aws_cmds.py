"""`sagestep package-lambda`, `sagestep deploy` (against moto) and the CI templates."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml

from sagestep.cli.aws import ci_template
from sagestep.cli.main import main
from sagestep.errors import SagestepError
from sagestep.pipeline.compile import CompileOptions, compile_state_machine
from tests.motostack import MotoStack

REPO = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_package_lambda_writes_both_zips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "package-lambda", "--out", str(tmp_path))
    assert code == 0
    assert out.startswith(f"router: {tmp_path}/router.zip ")
    assert "handler sagestep.triggers.notify.handler" in out
    for name in ("router", "notify"):
        assert zipfile.ZipFile(tmp_path / f"{name}.zip").testzip() is None


def test_deploy_updates_the_machine_and_registers_configs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with MotoStack(execute_state_machines=False) as stack:
        for key, value in stack.env().items():
            monkeypatch.setenv(key, value)
        stack.client("dynamodb").create_table(
            TableName="configs",
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
        stack.client("s3").create_bucket(
            Bucket="sagestep-examples",
            CreateBucketConfiguration={"LocationConstraint": stack.region},
        )
        sfn = stack.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="m",
            roleArn="arn:aws:iam::123456789012:role/r",
            definition='{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}',
        )["stateMachineArn"]
        outputs = tmp_path / "stack.json"
        outputs.write_text(
            json.dumps(
                {
                    "config_table": {"value": "configs"},
                    "state_machine_arn": {"value": arn},
                    "helper_function_arn": {
                        "value": "arn:aws:lambda:eu-west-1:123456789012:function:h"
                    },
                }
            )
        )
        config = REPO / "examples" / "xgboost-breast-cancer" / "pipeline.yaml"
        code, out, err = _run(capsys, "deploy", str(config), "--stack", str(outputs))
        assert code == 0, err
        assert out.splitlines() == [
            f"state machine {arn}: updated",
            "registered xgboost-breast-cancer version 1 in configs",
        ]
        expected = compile_state_machine(CompileOptions(helper_function="h"))
        assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == expected
        code, out, _ = _run(capsys, "deploy", "--stack", str(outputs))
        assert out.strip() == f"state machine {arn}: unchanged"


def test_deploy_without_a_stack_says_how_to_get_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("SAGESTEP_AWS_STACK", "SAGESTEP_CONFIG_TABLE", "SAGESTEP_STATE_MACHINE_ARN"):
        monkeypatch.delenv(var, raising=False)
    code, _, err = _run(capsys, "deploy")
    assert code == 1
    assert "terraform output -json > stack.json" in " ".join(err.split())
    assert "Traceback" not in err


def _gitlab(text: str) -> dict[str, object]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!reference", lambda loader, node: loader.construct_sequence(node))
    return dict(yaml.load(text, Loader=Loader))  # noqa: S506 - SafeLoader subclass


def test_gitlab_template_has_the_stages_and_manual_gates() -> None:
    dest, text = ci_template("gitlab")
    assert dest == ".gitlab-ci.yml"
    ci = _gitlab(text)
    assert ci["stages"] == ["test", "package", "plan", "apply", "register", "run", "destroy"]
    assert ci["apply"]["when"] == "manual" and ci["destroy"]["when"] == "manual"  # type: ignore[index]
    assert "sagestep package-lambda --out build/lambda" in text
    assert "terraform apply -input=false plan.tfplan" in text


def test_github_template_has_the_same_jobs_and_an_approval_environment() -> None:
    dest, text = ci_template("github")
    assert dest == ".github/workflows/sagestep.yml"
    jobs = yaml.safe_load(text)["jobs"]
    assert list(jobs) == ["test", "package", "plan", "apply", "register", "run", "destroy"]
    assert jobs["apply"]["environment"] == "dev" and jobs["destroy"]["environment"] == "dev"
    assert "id-token: write" in text  # OIDC, no stored keys


def test_unknown_ci_kind_names_the_choices() -> None:
    with pytest.raises(SagestepError, match="choose one of: gitlab, github"):
        ci_template("jenkins")


def test_export_item_writes_what_the_dynamodb_registry_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sagestep.pipeline.loader import load_config
    from sagestep.stores.registry import DynamoDBConfigRegistry

    config = REPO / "examples" / "xgboost-breast-cancer" / "pipeline.yaml"
    code, out, _ = _run(
        capsys, "export-item", str(config), "--out", str(tmp_path), "--version", "3"
    )
    assert code == 0 and out.startswith(f"wrote {tmp_path}/xgboost-breast-cancer.json")
    item = json.loads((tmp_path / "xgboost-breast-cancer.json").read_text())
    with MotoStack(execute_state_machines=False) as stack:
        db = stack.client("dynamodb")
        db.create_table(
            TableName="configs",
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
        db.put_item(TableName="configs", Item=item)
        read = DynamoDBConfigRegistry("configs", db).get("xgboost-breast-cancer")
    assert read is not None and read["version"] == 3
    assert read["stages"] == load_config(config).item["stages"]


def test_terraform_examples_ship_items_the_registry_reads() -> None:
    for path in (REPO / "terraform" / "examples").glob("*/pipelines/*.json"):
        item = json.loads(path.read_text())
        assert set(item) == {"name", "version", "item", "created"}, path
        assert json.loads(item["item"]["S"])["name"] == item["name"]["S"] == path.stem


def test_the_same_commands_work_with_backend_aws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with MotoStack(execute_state_machines=False) as stack:
        for key, value in stack.env().items():
            monkeypatch.setenv(key, value)
        stack.client("dynamodb").create_table(
            TableName="configs",
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
        stack.client("s3").create_bucket(
            Bucket="sagestep-examples",
            CreateBucketConfiguration={"LocationConstraint": stack.region},
        )
        arn = stack.client("stepfunctions").create_state_machine(
            name="sagestep-dev-pipeline",
            roleArn="arn:aws:iam::123456789012:role/r",
            definition=json.dumps(compile_state_machine()),
        )["stateMachineArn"]
        outputs = tmp_path / "stack.json"
        outputs.write_text(
            json.dumps(
                {
                    "config_table": {"value": "configs"},
                    "state_machine_arn": {"value": arn},
                }
            )
        )
        monkeypatch.setenv("SAGESTEP_AWS_STACK", str(outputs))
        aws = ("--backend", "aws", "--region", stack.region)
        config = REPO / "examples" / "xgboost-breast-cancer" / "pipeline.yaml"
        code, out, err = _run(capsys, "register", str(config), *aws)
        assert code == 0, err
        assert "xgboost-breast-cancer" in out and "1" in out
        started = stack.client("stepfunctions").start_execution(
            stateMachineArn=arn,
            name="manual-1",
            input=json.dumps({"pipeline": "xgboost-breast-cancer"}),
        )
        code, out, err = _run(capsys, "status", *aws)
        assert code == 0, err
        assert "manual-1" in out
        code, out, err = _run(capsys, "history", started["executionArn"], *aws)
        assert code == 0, err
        code, out, err = _run(capsys, "models", "list", *aws)
        assert code == 0, err


@pytest.mark.parametrize("kind", ["gitlab", "github"])
def test_every_sagestep_command_in_the_templates_exists(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    _, text = ci_template(kind)
    text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    # `sagestep` in command position: a script item, a `run:` step, or after `do`/`;`/`&&`.
    command_at = r"(?:^\s*- |run: |; |do |&& )sagestep ([a-z-]+(?: [a-z]+)?)((?: [^;\n]*)?)"
    lines = re.findall(command_at, text, flags=re.M)
    assert lines
    for command, rest in lines:
        words = command.split()
        code, out, _ = _run(capsys, *words, "--help")
        if code != 0 and len(words) > 1:  # "run NAME": the second word is an argument
            words = words[:1]
            code, out, _ = _run(capsys, *words, "--help")
        assert code == 0, f"`sagestep {command}` in the {kind} template is not a command"
        for option in re.findall(r"(--[a-z][a-z-]+)", rest):
            assert option in out, f"`sagestep {' '.join(words)}` has no {option} ({kind} template)"
