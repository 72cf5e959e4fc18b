"""deploy.data_capture and batch_transform.data_capture build botocore-valid DataCaptureConfig."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagestep.errors import SpecError
from sagestep.pipeline.botocheck import check_request
from sagestep.pipeline.loader import load_config
from tests.pipeline.conftest import write

CONFIG = """\
name: captured
defaults: {bucket: b, role_arn: "arn:aws:iam::123456789012:role/r"}
stages:
  training:
    algorithm: xgboost
    hyperparameters: {num_round: 10, objective: "binary:logistic"}
    inputs: {train: "s3://b/train/"}
    content_type: text/csv
  create_model: {}
  deploy:
    endpoint_name: ep
    data_capture: {destination: "s3://b/capture", sampling_percentage: 20}
  batch_transform:
    input: "s3://b/new/"
    data_capture: {destination: "s3://b/batch-capture", generate_inference_id: true}
"""


def test_endpoint_config_carries_data_capture(tmp_path: Path) -> None:
    stages = load_config(write(tmp_path, CONFIG)).item["stages"]
    config = stages["deploy"]["endpoint_config"]
    assert config["DataCaptureConfig"] == {
        "EnableCapture": True, "InitialSamplingPercentage": 20,
        "DestinationS3Uri": "s3://b/capture",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"],
                                     "JsonContentTypes": ["application/json"]}}
    assert check_request("CreateEndpointConfig", {"EndpointConfigName": "x", **config}) == []
    transform = stages["batch_transform"]["request"]
    assert transform["DataCaptureConfig"] == {"DestinationS3Uri": "s3://b/batch-capture",
                                              "GenerateInferenceId": True}
    assert check_request("CreateTransformJob", transform, ("TransformJobName",)) == []


def test_bad_capture_settings_are_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"stages\.deploy\.data_capture\.sampling_percentage"):
        load_config(write(tmp_path, CONFIG.replace("sampling_percentage: 20",
                                                   "sampling_percentage: 120")))
    with pytest.raises(SpecError, match=r"stages\.deploy\.data_capture\.mode"):
        load_config(write(tmp_path, CONFIG.replace("sampling_percentage: 20", "mode: Both")))
