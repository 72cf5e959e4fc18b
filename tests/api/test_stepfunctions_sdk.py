"""The Step Functions Data Science SDK against the local API, as its samples use it: a
workflow of TrainingStep -> ModelStep -> EndpointConfigStep -> EndpointStep for a SageMaker
SDK SKLearn estimator is created, executed and read back (events, output), then the endpoint it
deployed answers boto3's InvokeEndpoint. Real jobs in the scikit-learn image's environment
(SAGESTEP_PYTHON=image), the engine's own sagemaker:createTrainingJob.sync integration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from sklearn.datasets import load_iris

from sagestep.api.server import ApiServer
from sagestep.local import LocalRuntime
from sagestep.workspace import Workspace
from tests.api.iris_script import SCRIPT
from tests.serving.helpers import ROLE

stepfunctions = pytest.importorskip("stepfunctions", reason="the test extra installs stepfunctions")
pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("SAGESTEP_PYTHON", "image")  # the scikit-learn image's own packages
    runtime = LocalRuntime(Workspace.resolve(tmp_path / "ws"))
    server = ApiServer(runtime)
    endpoint = server.start()
    for name, value in endpoint.env().items():  # what `eval "$(sagestep api env)"` sets
        monkeypatch.setenv(name, value)
    # boto3.client() caches a default session with this workspace's keys, and the SDKs reuse
    # it: start and leave with none, as a fresh process would
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    yield endpoint.env()
    server.stop()
    if "engine" in runtime.__dict__:
        runtime.engine.close()


def test_training_to_endpoint_workflow(env: dict[str, str], tmp_path: Path) -> None:
    from sagemaker.sklearn import SKLearn
    from stepfunctions.inputs import ExecutionInput
    from stepfunctions.steps import (
        Chain,
        EndpointConfigStep,
        EndpointStep,
        ModelStep,
        TrainingStep,
    )
    from stepfunctions.workflow import Workflow

    import sagemaker

    session = sagemaker.Session()
    bucket = session.default_bucket()
    x, y = load_iris(return_X_y=True)
    rows = "\n".join(",".join([str(int(t)), *map(str, r)]) for r, t in zip(x, y, strict=True))
    session.upload_string_as_file_body(rows, bucket, "iris/train/iris.csv")
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text(SCRIPT)
    estimator = SKLearn(entry_point="train.py", source_dir=str(src), role=ROLE,
                        instance_type="ml.m5.large", instance_count=1, framework_version="1.2-1",
                        py_version="py3", sagemaker_session=session)
    names = ExecutionInput(schema={"JobName": str, "ModelName": str, "EndpointName": str})
    training = TrainingStep("Train", estimator=estimator, data={"train": f"s3://{bucket}/iris/train/"},
                            job_name=names["JobName"])
    model = ModelStep("Save model", model=training.get_expected_model(), model_name=names["ModelName"])
    config = EndpointConfigStep("Create config", endpoint_config_name=names["ModelName"],
                                model_name=names["ModelName"], initial_instance_count=1,
                                instance_type="ml.m5.large")
    deploy = EndpointStep("Deploy", endpoint_name=names["EndpointName"],
                          endpoint_config_name=names["ModelName"])
    workflow = Workflow("iris-train-deploy", Chain([training, model, config, deploy]), role=ROLE,
                        execution_input=names)
    arn = workflow.create()
    assert Workflow.attach(arn).definition.to_dict()["StartAt"] == "Train"

    execution = workflow.execute(inputs={"JobName": "iris-1", "ModelName": "iris-model-1",
                                         "EndpointName": "iris-ep"})
    output: Any = execution.get_output(wait=True)
    events = execution.list_events()
    assert execution.describe()["status"] == "SUCCEEDED", [
        e for e in events if e["type"].endswith("Failed")]
    assert output["EndpointArn"].endswith(":endpoint/iris-ep")
    entered = [e["stateEnteredEventDetails"]["name"] for e in events
               if e["type"] == "TaskStateEntered"]
    assert entered == ["Train", "Save model", "Create config", "Deploy"]
    assert [e.status for e in workflow.list_executions()] == ["SUCCEEDED"]

    sm = boto3.client("sagemaker")
    assert sm.describe_training_job(TrainingJobName="iris-1")["TrainingJobStatus"] == "Completed"
    sm.get_waiter("endpoint_in_service").wait(EndpointName="iris-ep",
                                             WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    try:
        reply = boto3.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="iris-ep", ContentType="text/csv", Body="5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3")
        assert reply["Body"].read().decode().replace(" ", "") in ("[0,2]", "[0.0,2.0]")
    finally:
        sm.delete_endpoint(EndpointName="iris-ep")
    workflow.delete()
