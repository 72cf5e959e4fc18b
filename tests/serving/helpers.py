"""Shared helpers of the serving/endpoint/transform tests: data, models, staged artefacts."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

XGB_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ROLE = "arn:aws:iam::123456789012:role/sagemaker"


def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's breast cancer data (569 x 30, binary label)."""
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    return x.astype(np.float32), y.astype(np.float32)


def csv_rows(x: np.ndarray, y: np.ndarray | None = None) -> str:
    """CSV without header; label first when given (the built-in XGBoost layout)."""
    data = x if y is None else np.column_stack([y, x])
    out = io.StringIO()
    np.savetxt(out, data, delimiter=",", fmt="%.6g")
    return out.getvalue()


def tarball(files: dict[str, bytes]) -> bytes:
    """A model.tar.gz / sourcedir.tar.gz with ``files`` at its root."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def xgboost_model_bytes(rounds: int = 10) -> bytes:
    """A binary:logistic booster on breast cancer, saved as the built-in saves it."""
    import xgboost as xgb

    x, y = breast_cancer()
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3},
                        xgb.DMatrix(x, label=y), rounds)
    return bytes(booster.save_raw("ubj"))


def create_xgboost_model(home: Path, name: str, rounds: int = 10) -> Any:
    """Upload a built-in XGBoost model.tar.gz and CreateModel it; returns the sagemaker client."""
    from sagestep.local import client

    s3 = client("s3", home=home)
    s3.put_object(Bucket="models", Key=f"{name}/model.tar.gz",
                  Body=tarball({"xgboost-model": xgboost_model_bytes(rounds)}))
    sm = client("sagemaker", home=home)
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGB_IMAGE, "ModelDataUrl": f"s3://models/{name}/model.tar.gz"})
    return sm


def variant(model: str, name: str = "AllTraffic", weight: float = 1.0) -> dict[str, Any]:
    return {"VariantName": name, "ModelName": model, "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large", "InitialVariantWeight": weight}
