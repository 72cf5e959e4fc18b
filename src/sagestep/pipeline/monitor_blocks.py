"""Config blocks of the monitoring stages: baseline, data_quality, model_quality.

Each runs ``python -m sagestep.monitor`` as an ordinary processing job (locally and on AWS),
writing Model Monitor's files (statistics.json, constraints.json, constraint_violations.json).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from sagestep.pipeline.blocks import Block, Job

RETRAIN = ("Pipeline to start when this check finds violations (needs on_violation: fail); "
           "the breaching run is its trigger, and each breach starts it once.")


class Dataset(Block):
    """Data a monitoring job reads: an S3 prefix and its format."""

    source: str = Field(description="S3 URI or prefix (placeholders allowed, e.g. "
                        "{{ stages.preprocessing.outputs.train }}).")
    format: Literal["csv", "json", "parquet", "capture"] = Field(
        "csv", description="capture = endpoint data capture JSON Lines.")
    header: StrictBool = Field(True, description="CSV only: the first line names the columns.")
    start_time: str | None = Field(None, description="capture only: ISO-8601 UTC window start.")
    end_time: str | None = Field(None, description="capture only: ISO-8601 UTC window end.")


class Monitor(Job):
    """Resources and output of a monitoring job."""

    image: str | None = Field(None, description="Image with Python, pandas and scipy "
                              "(default: the SageMaker scikit-learn image).")
    instance_type: str = "ml.m5.large"
    volume_size_gb: int = Field(30, ge=1, le=16384)
    max_runtime: int = Field(3600, ge=1, le=86400, description="MaxRuntimeInSeconds")
    chunk_rows: int = Field(100_000, ge=1000, description="Rows per chunk: bounds memory.")
    environment: dict[str, str] = Field(default_factory=dict)
    output: str | None = Field(None, description="S3 URI of the result files "
                               "(default s3://<bucket>/<pipeline>/{{ run.id }}/<stage>).")


class Baseline(Monitor):
    """baseline: statistics.json + constraints.json of the training data."""

    dataset: Dataset


class DataQuality(Monitor):
    """data_quality: new data against a baseline -> constraint_violations.json."""

    dataset: Dataset
    baseline: str | None = Field(
        None, description="S3 prefix holding constraints.json and statistics.json "
        "(default: this run's baseline stage output).")
    on_violation: Literal["fail", "continue"] = Field(
        "fail", description="fail: the stage fails (notify, retraining rules); continue: "
        "violations are reported and the run goes on.")
    categorical_drift_method: Literal["LInfinity", "ChiSquared"] | None = None
    retrain: str | None = Field(None, description=RETRAIN)


class ModelQuality(Monitor):
    """model_quality: predictions merged with ground truth, metrics against thresholds."""

    predictions: Dataset
    ground_truth: Dataset
    problem_type: Literal["Regression", "BinaryClassification", "MulticlassClassification"]
    inference_attribute: str = Field("0", description="Prediction column (name or index).")
    probability_attribute: str | None = None
    probability_threshold: float = Field(0.5, ge=0, le=1)
    ground_truth_attribute: str = Field("0", description="Label column (name or index).")
    join_column: str | None = Field(None, description="Key present in both (default: row order).")
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="metric -> limit, e.g. {mse: 6.0}: error metrics may "
        "not exceed it, scores may not fall below it.")
    constraints: str | None = Field(None, description="S3 URI of a model-quality constraints.json.")
    on_violation: Literal["fail", "continue"] = "fail"
    retrain: str | None = Field(None, description=RETRAIN)
