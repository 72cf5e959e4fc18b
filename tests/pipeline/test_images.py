from __future__ import annotations

import pytest

from sagestep.errors import SpecError
from sagestep.pipeline.images import framework_of, image_uri


def test_published_image_uris() -> None:
    assert image_uri("sklearn", "1.2-1", "us-east-1") == (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3")
    assert image_uri("xgboost", "1.7-1", "us-west-2") == (
        "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1")
    assert image_uri("xgboost", None, "eu-west-1").endswith("sagemaker-xgboost:1.7-1")
    assert image_uri("sklearn", "1.0-1", "cn-north-1").startswith(
        "450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/")


def test_round_trip_and_unknowns() -> None:
    assert framework_of(image_uri("sklearn", "0.23-1", "us-east-1")) == ("sklearn", "0.23-1")
    assert framework_of("my/own:image") is None
    with pytest.raises(SpecError, match="known: 0.23-1, 1.0-1, 1.2-1"):
        image_uri("sklearn", "9.9", "us-east-1")
    with pytest.raises(SpecError, match="no sklearn image registry known for region 'mars-1'"):
        image_uri("sklearn", None, "mars-1")
