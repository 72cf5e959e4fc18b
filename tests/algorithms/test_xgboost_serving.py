"""The built-in XGBoost's serving formats, as its container answers them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from sagestep.algorithms.xgboost.serve import load_handler
from sagestep.serving.handler import InvocationError
from tests.serving.helpers import breast_cancer, xgboost_model_bytes


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xgbmodel")
    (path / "xgboost-model").write_bytes(xgboost_model_bytes(5))
    return path


def _expected(model_dir: Path, rows: np.ndarray) -> list[float]:
    booster = xgb.Booster()
    booster.load_model(bytearray((model_dir / "xgboost-model").read_bytes()))
    return [float(v) for v in booster.inplace_predict(rows)]


def _csv(rows: np.ndarray) -> bytes:
    return "\n".join(",".join(f"{v:.9g}" for v in row) for row in rows).encode()


def test_csv_default_answer_is_comma_joined(model_dir: Path) -> None:
    x, _ = breast_cancer()
    reply = load_handler(model_dir, {}).invoke(_csv(x[:3]), "text/csv", None)
    assert reply.content_type == "text/csv"
    assert reply.body.decode() == ",".join(map(str, _expected(model_dir, x[:3])))


def test_batch_answer_is_one_line_per_record(model_dir: Path) -> None:
    x, _ = breast_cancer()
    handler = load_handler(model_dir, {"SAGEMAKER_BATCH": "true"})
    reply = handler.invoke(_csv(x[:3]) + b"\n", "text/csv", "application/json")
    assert reply.body.decode() == "".join(f"{v}\n" for v in _expected(model_dir, x[:3]))
    big = np.repeat(x, 40, axis=0)  # > 16 KB: the pyarrow path
    reply = handler.invoke(_csv(big), "text/csv", None)
    assert reply.body.decode().splitlines() == [str(v) for v in _expected(model_dir, big)]


def test_json_jsonlines_libsvm_and_selectable_output(model_dir: Path) -> None:
    x, _ = breast_cancer()
    scores = _expected(model_dir, x[:2])
    handler = load_handler(model_dir, {})
    as_json = handler.invoke(_csv(x[:2]), "text/csv", "application/json")
    assert json.loads(as_json.body) == {"predictions": [{"score": s} for s in scores]}
    lines = handler.invoke(_csv(x[:2]), "text/csv", "application/jsonlines").body.splitlines()
    assert [json.loads(line) for line in lines] == [{"score": s} for s in scores]
    libsvm = " ".join(f"{i}:{v:.9g}" for i, v in enumerate(x[0]))
    assert handler.invoke(f"1 {libsvm}".encode(), "text/libsvm", None).body.decode() == \
        str(scores[0])
    selected = load_handler(model_dir, {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label,probability"})
    body = json.loads(selected.invoke(_csv(x[:1]), "text/csv", "application/json").body)
    assert body == {"predictions": [{"predicted_label": int(scores[0] > 0.5),
                                     "probability": scores[0]}]}


@pytest.mark.parametrize(("body", "content_type", "accept", "status"), [
    (b"1,2,3", "text/csv", None, 400),
    (b"a,b,c", "text/csv", None, 415),
    (b"1,2", "application/x-parquet", None, 415),
    (b"1,2", "text/csv", "image/png", 406),
])
def test_errors_have_the_containers_status(model_dir: Path, body: bytes, content_type: str,
                                           accept: str | None, status: int) -> None:
    with pytest.raises(InvocationError) as info:
        load_handler(model_dir, {}).invoke(body, content_type, accept)
    assert info.value.status == status


def test_empty_body_is_204_and_one_missing_column_is_padded(model_dir: Path) -> None:
    handler = load_handler(model_dir, {})
    assert handler.invoke(b"", "text/csv", None).status == 204
    x, _ = breast_cancer()
    assert float(handler.invoke(_csv(x[:1, :-1]), "text/csv", None).body) > 0
