"""Models, endpoint configs and endpoints: lifecycle, invoke, blue/green update under load, restore."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from sagestep.local import LocalRuntime, client, runtime
from sagestep.sagemaker.endpoints_api import restore_endpoints
from sagestep.sagemaker.process import alive
from sagestep.serving.routes import RouteTable
from sagestep.workspace import Workspace
from tests.serving.helpers import (
    ROLE,
    XGB_IMAGE,
    breast_cancer,
    create_xgboost_model,
    tarball,
    variant,
    xgboost_model_bytes,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("endpoints")
    create_xgboost_model(path, "small", rounds=3)
    create_xgboost_model(path, "big", rounds=20)
    yield path
    sm = client("sagemaker", home=path)
    for endpoint in sm.list_endpoints()["Endpoints"]:
        sm.delete_endpoint(EndpointName=endpoint["EndpointName"])


def _expected(rounds: int, row: np.ndarray) -> str:
    booster = xgb.Booster()
    booster.load_model(bytearray(xgboost_model_bytes(rounds)))
    return str(float(booster.inplace_predict(row.reshape(1, -1))[0]))


def _row() -> tuple[np.ndarray, str]:
    x, _ = breast_cancer()
    return x[0], ",".join(f"{v:.9g}" for v in x[0])


def _deploy(sm: Any, name: str, config: str, variants: list[dict[str, Any]]) -> dict[str, Any]:
    sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=variants)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config)
    return sm.wait_for_endpoint(EndpointName=name, Timeout=60)  # type: ignore[no-any-return]


def test_create_invoke_update_under_load_delete(home: Path) -> None:
    sm, rt = client("sagemaker", home=home), client("sagemaker-runtime", home=home)
    sm.create_endpoint_config(EndpointConfigName="cfg-small", ProductionVariants=[variant("small")])
    sm.create_endpoint_config(EndpointConfigName="cfg-big",
                              ProductionVariants=[variant("big", "Green")])
    sm.create_endpoint(EndpointName="life", EndpointConfigName="cfg-small")
    assert sm.describe_endpoint(EndpointName="life")["EndpointStatus"] == "Creating"
    described = sm.wait_for_endpoint(EndpointName="life", Timeout=60)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    assert described["ProductionVariants"][0]["VariantName"] == "AllTraffic"
    vector, row = _row()
    answer = rt.invoke_endpoint(EndpointName="life", Body=row, ContentType="text/csv")
    assert answer["Body"].read().decode() == _expected(3, vector)
    assert answer["ContentType"] == "text/csv"
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    old_pids = [r.pid for r in RouteTable(Workspace.resolve(home).db_path).routes("life")]

    errors: list[BaseException] = []
    answers: list[str] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                out = rt.invoke_endpoint(EndpointName="life", Body=row, ContentType="text/csv")
                answers.append(out["Body"].read().decode())
            except BaseException as exc:  # noqa: BLE001 - every failure counts
                errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    sm.update_endpoint(EndpointName="life", EndpointConfigName="cfg-big")
    assert sm.describe_endpoint(EndpointName="life")["EndpointStatus"] == "Updating"
    described = sm.wait_for_endpoint(EndpointName="life", Timeout=60)
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "cfg-big"
    assert set(answers) == {_expected(3, vector), _expected(20, vector)}
    assert len(answers) > 50
    after = rt.invoke_endpoint(EndpointName="life", Body=row, ContentType="text/csv")
    assert after["InvokedProductionVariant"] == "Green"
    assert not any(alive(pid, None) for pid in old_pids)  # the old fleet drained and stopped

    new_pids = [r.pid for r in RouteTable(Workspace.resolve(home).db_path).routes("life")]
    sm.delete_endpoint(EndpointName="life")
    assert not any(alive(pid, None) for pid in new_pids)
    with pytest.raises(ClientError) as info:
        sm.describe_endpoint(EndpointName="life")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find endpoint" in info.value.response["Error"]["Message"]
    with pytest.raises(rt.exceptions.ValidationError, match="Endpoint life of account"):
        rt.invoke_endpoint(EndpointName="life", Body=row, ContentType="text/csv")


def test_invoke_errors_and_formats(home: Path) -> None:
    sm, rt = client("sagemaker", home=home), client("sagemaker-runtime", home=home)
    _deploy(sm, "formats", "cfg-formats", [variant("small")])
    vector, row = _row()
    json_answer = rt.invoke_endpoint(EndpointName="formats", Body=f"{row}\n{row}".encode(),
                                     ContentType="text/csv", Accept="application/json")
    score = float(_expected(3, vector))
    import json

    assert json.loads(json_answer["Body"].read()) == {"predictions": [{"score": score}] * 2}
    with pytest.raises(rt.exceptions.ModelError) as info:
        rt.invoke_endpoint(EndpointName="formats", Body="1,2,3", ContentType="text/csv")
    error = info.value.response
    assert error["OriginalStatusCode"] == 400
    assert "Feature size of csv inference data 3" in error["OriginalMessage"]
    assert error["LogStreamArn"].endswith("log-group:/aws/sagemaker/Endpoints/formats")
    assert error["Error"]["Message"].startswith("Received client error (400) from primary")
    with pytest.raises(ClientError) as info:
        rt.invoke_endpoint(EndpointName="formats", Body=row, ContentType="image/png")
    assert info.value.response["OriginalStatusCode"] == 415
    with pytest.raises(ClientError) as info:
        rt.invoke_endpoint(EndpointName="formats", Body=row, ContentType="text/csv",
                           Accept="image/png")
    assert info.value.response["OriginalStatusCode"] == 406
    with pytest.raises(rt.exceptions.ValidationError, match="Missing required parameter"):
        rt.invoke_endpoint(EndpointName="formats")
    with pytest.raises(rt.exceptions.ValidationError, match="exceeds the InvokeEndpoint limit"):
        rt.invoke_endpoint(EndpointName="formats", Body=b"1" * (6 * 1024 * 1024 + 1),
                           ContentType="text/csv")
    custom = rt.invoke_endpoint(EndpointName="formats", Body=row, ContentType="text/csv",
                                CustomAttributes="trace=1")
    assert custom["CustomAttributes"] == "trace=1"
    logs = runtime(home).sagemaker.logs
    group = "/aws/sagemaker/Endpoints/formats"
    deadline = time.monotonic() + 10
    while not logs.streams(group) or not any(
        "serving on port" in m for m in logs.messages(group, logs.streams(group)[0])
    ):
        assert time.monotonic() < deadline, "the server's output never reached its log stream"
        time.sleep(0.1)
    assert logs.streams(group)[0].startswith("AllTraffic/")


def test_weighted_variants_and_target_variant(home: Path) -> None:
    sm, rt = client("sagemaker", home=home), client("sagemaker-runtime", home=home)
    _deploy(sm, "ab", "cfg-ab", [variant("small", "A", 1.0), variant("big", "B", 1.0)])
    vector, row = _row()
    seen = {rt.invoke_endpoint(EndpointName="ab", Body=row, ContentType="text/csv")[
        "InvokedProductionVariant"] for _ in range(40)}
    assert seen == {"A", "B"}
    targeted = rt.invoke_endpoint(EndpointName="ab", Body=row, ContentType="text/csv",
                                  TargetVariant="B")
    assert targeted["InvokedProductionVariant"] == "B"
    assert targeted["Body"].read().decode() == _expected(20, vector)
    with pytest.raises(rt.exceptions.ValidationError, match="Variant C not found"):
        rt.invoke_endpoint(EndpointName="ab", Body=row, ContentType="text/csv", TargetVariant="C")


def test_requests_rejected_as_aws_does(home: Path) -> None:
    sm = client("sagemaker", home=home)
    codes = []
    for call in (
        lambda: sm.create_endpoint(EndpointName="nocfg", EndpointConfigName="missing"),
        lambda: sm.create_endpoint_config(EndpointConfigName="bad",
                                          ProductionVariants=[variant("no-such-model")]),
        lambda: sm.update_endpoint(EndpointName="missing", EndpointConfigName="cfg-small"),
        lambda: sm.create_model(ModelName="weird", ExecutionRoleArn=ROLE,
                                PrimaryContainer={"Image": "docker.io/library/nginx:latest"}),
        lambda: sm.create_model(ModelName="bad_name!", ExecutionRoleArn=ROLE,
                                PrimaryContainer={"Image": XGB_IMAGE}),
        lambda: sm.describe_model(ModelName="missing"),
    ):
        with pytest.raises(ClientError) as info:
            call()
        codes.append(info.value.response["Error"]["Code"])
    assert codes == ["ValidationException"] * 6


def test_endpoint_fails_with_reason_when_the_model_cannot_load(home: Path) -> None:
    from sagestep.local import client as make

    make("s3", home=home).put_object(Bucket="models", Key="broken/model.tar.gz",
                                     Body=tarball({"xgboost-model": b"not a model"}))
    sm = make("sagemaker", home=home)
    sm.create_model(ModelName="broken", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGB_IMAGE, "ModelDataUrl": "s3://models/broken/model.tar.gz"})
    described = _deploy(sm, "broken", "cfg-broken", [variant("broken")])
    assert described["EndpointStatus"] == "Failed"
    assert "did not pass the ping health check" in described["FailureReason"]
    assert "cannot be loaded" in described["FailureReason"]
    sm.delete_endpoint(EndpointName="broken")


def test_endpoints_come_back_after_a_restart(home: Path) -> None:
    sm, rt = client("sagemaker", home=home), client("sagemaker-runtime", home=home)
    _deploy(sm, "durable", "cfg-durable", [variant("small")])
    _, row = _row()
    table = RouteTable(Workspace.resolve(home).db_path)
    restarted = LocalRuntime(Workspace.resolve(home))
    assert restore_endpoints(restarted) == []  # healthy servers are kept as they are
    os.kill(table.routes("durable")[0].pid, signal.SIGKILL)
    time.sleep(0.2)
    assert restore_endpoints(LocalRuntime(Workspace.resolve(home))) == ["durable"]
    assert sm.describe_endpoint(EndpointName="durable")["EndpointStatus"] == "InService"
    answer = rt.invoke_endpoint(EndpointName="durable", Body=row, ContentType="text/csv")
    assert float(answer["Body"].read()) > 0
