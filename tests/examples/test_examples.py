"""Each bundled example, end to end on the local backend (real jobs, real endpoint)."""

import io
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from rich.console import Console

from sagestep.backends.local import LocalBackend
from sagestep.cli.examples import run_example

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.slow
FOLLOW_LIMIT = "240"  # seconds: a run that never ends fails the test instead of hanging


@pytest.fixture
def backend(tmp_path):
    made = LocalBackend(tmp_path / "ws")
    yield made
    for endpoint in made.endpoints():  # endpoint servers are processes: stop them
        made.sagemaker.delete_endpoint(EndpointName=endpoint["EndpointName"])
    made.runtime.engine.close()


def run(backend, name, keep=False):
    console = Console(file=io.StringIO(), width=200)
    info = run_example(backend, EXAMPLES / name, console, timeout=float(FOLLOW_LIMIT), keep=keep)
    return info, console.file.getvalue()


def statuses(backend, info):
    return {s.stage: s.status for s in backend.stages(info.arn)}


def test_xgboost_breast_cancer_through_the_readme_command(tmp_path, capsys):
    """`sagestep example run xgboost-breast-cancer`: the README's first command."""
    from sagestep.cli.main import main

    home = tmp_path / "ws"
    try:
        main(["example", "run", "xgboost-breast-cancer", "--home", str(home), "--timeout", FOLLOW_LIMIT])
    except SystemExit as exc:
        assert exc.code in (0, None)
    out = capsys.readouterr().out
    backend = LocalBackend(home)
    try:
        lines = out.splitlines()
        assert lines[0] == "registered xgboost-breast-cancer version 1"
        assert [line.split()[:2] for line in lines if "SUCCEEDED" in line][:5] == [
            ["preprocessing", "SUCCEEDED"], ["training", "SUCCEEDED"], ["gate", "SUCCEEDED"],
            ["create_model", "SUCCEEDED"], ["deploy", "SUCCEEDED"]]
        assert lines[-4] == "prediction from endpoint xgboost-breast-cancer:"
        probabilities = [float(p) for p in lines[-3].strip().split(",")]  # built-in XGBoost CSV
        assert len(probabilities) == 5 and all(0.0 <= p <= 1.0 for p in probabilities)
        # the example stops the endpoint it started (no background server left behind)
        assert lines[-2].startswith("deleted endpoint xgboost-breast-cancer ")
        assert lines[-1].endswith(" SUCCEEDED")
        assert backend.endpoints() == []
        (first,) = backend.list_runs("xgboost-breast-cancer")
        assert first.output["results"]["gate"]["passed"] is True
        # --keep leaves it serving and says how much memory it holds and how to stop it
        kept, out = run(backend, "xgboost-breast-cancer", keep=True)
        assert kept.status == "SUCCEEDED"
        assert ("endpoint xgboost-breast-cancer is running in the background (" in out
                and " MB); " in out and "sagestep endpoints delete xgboost-breast-cancer" in out)
        (endpoint,) = backend.endpoints()
        assert endpoint["EndpointStatus"] == "InService"
        capsys.readouterr()
        main(["endpoints", "list", "--home", str(home)])
        # the endpoints table first, then one row per server process (pid, generation)
        row, *servers = [line for line in capsys.readouterr().out.splitlines()
                         if "xgboost-breast-cancer" in line]
        assert len(servers) == 1, servers  # exactly one live server generation
        memory = [cell.strip() for cell in row.split("│")][3]
        assert memory.endswith(" MB") and 20 < int(memory.split()[0]) < 4000, row
        # seed 004: another upload retrains and UPDATES the same endpoint in place
        again, _ = run(backend, "xgboost-breast-cancer", keep=True)
        assert again.status == "SUCCEEDED" and again.name != first.name
        calls = [e["taskScheduledEventDetails"]["resource"].rsplit(":", 1)[-1]
                 for e in backend.history(again.arn) if e["type"] == "TaskScheduled"]
        assert "updateEndpoint" in calls and "createEndpoint" not in calls
        assert [e["EndpointName"] for e in backend.endpoints()] == ["xgboost-breast-cancer"]
        # `sagestep endpoints delete`: the endpoint goes and its server stops answering
        main(["endpoints", "delete", "xgboost-breast-cancer", "--home", str(home)])
        assert backend.endpoints() == []
        with pytest.raises(ClientError):
            backend.invoke("xgboost-breast-cancer", b"1,2,3")
    finally:
        for endpoint in backend.endpoints():
            backend.sagemaker.delete_endpoint(EndpointName=endpoint["EndpointName"])
        backend.runtime.engine.close()


def test_diabetes_regression_evaluates_gates_registers_and_batch_scores(backend):
    info, out = run(backend, "diabetes-regression")
    assert info.status == "SUCCEEDED", out
    assert statuses(backend, info) == {
        "preprocessing": "SUCCEEDED", "training": "SUCCEEDED", "evaluation": "SUCCEEDED",
        "gate": "SUCCEEDED", "register": "SUCCEEDED", "create_model": "SUCCEEDED",
        "batch_transform": "SUCCEEDED"}
    (package,) = backend.models("diabetes-regression")
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    approved = backend.approve_model(package["ModelPackageArn"])
    assert approved["ModelApprovalStatus"] == "Approved"
    store = backend.runtime.object_store
    output = info.output["results"]["batch_transform"]["TransformOutput"]["S3OutputPath"]
    bucket, _, prefix = output[5:].partition("/")
    (scored,) = [o for o in store.list(bucket, prefix) if o.key.endswith(".out")]
    values = [float(v) for v in store.get_bytes(bucket, scored.key).decode().split()]
    assert len(values) > 50 and all(0 < v < 400 for v in values)


def test_census_seed002_input_yaml_runs_as_it_is(backend):
    info, out = run(backend, "census-seed002")
    assert info.status == "SUCCEEDED", out
    assert out.startswith("registered census-seed002 version 1")  # its own name, not 'demo'
    assert info.pipeline == "census-seed002"
    assert statuses(backend, info) == {
        "preprocessing": "SUCCEEDED", "training": "SUCCEEDED", "evaluation": "SUCCEEDED",
        "create_model": "SUCCEEDED", "batch_transform": "SUCCEEDED"}
    store = backend.runtime.object_store
    report = store.get_bytes("mlops-bucket", "demo/evaluation/output/evaluation.json")
    assert b'"roc_auc"' in report
    name = info.name
    assert any(o.key.startswith(f"demo/batch-output/{name}/") for o in store.list("mlops-bucket"))


def _by_hand(readme: Path) -> list[str]:
    """The indented commands of a README's "By hand" section."""
    lines = readme.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("By hand"))
    block = []
    for line in lines[start + 1:]:
        if line.startswith("    "):
            block.append(line.strip())
        elif block:
            break
    return block


@pytest.mark.parametrize("name", ["xgboost-breast-cancer", "diabetes-regression"])
def test_readme_by_hand_steps_run_as_written(name, tmp_path):
    """A user copies the example folder and types the README's commands, data step included."""
    import shutil
    import subprocess

    from tests.cli.test_init import shim

    commands = _by_hand(EXAMPLES / name / "README.md")
    assert commands[0] == "python data.py ."
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder)
    env = shim(tmp_path)
    env["PATH"] = f"{Path(__import__('sys').executable).parent}:{env['PATH']}"  # python = ours
    done = subprocess.run(["bash", "-c", " && ".join(commands)], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"{name}-" in done.stdout and " SUCCEEDED" in done.stdout
