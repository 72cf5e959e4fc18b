"""Config blocks of the monitoring stages: baseline, data_quality, model_quality.

Each runs ``python -m sagestep.monitor`` as an ordinary processing job (locally and on AWS),
writing Model Monitor's files (statistics.json, constraints.json, constraint_violations.json).
"""

from __future__ import annotations

from typing import Literal

from pydantic import StrictBool

from sagestep.pipeline.blocks import Block, Job, doc

RETRAIN = ("Pipeline to start when this check finds violations (needs on_violation: fail); "
           "the breaching run is its trigger, and each breach starts it once.")
ON_VIOLATION = ("fail: the stage fails the run (notification, retrain); continue: the "
                "violations are reported and the run goes on.")


class Dataset(Block):
    """Data a monitoring job reads: an S3 prefix and its format."""

    source: str = doc(..., "S3 URI or prefix (placeholders allowed).",
                      "{{ stages.preprocessing.outputs.train }}")
    format: Literal["csv", "json", "parquet", "capture"] = doc(
        "csv", "csv, json (JSON Lines), parquet, or capture (endpoint data capture).", "capture")
    header: StrictBool = doc(True, "CSV only: the first line names the columns.", False)
    start_time: str | None = doc(None, "capture only: window start, ISO-8601 UTC or an offset "
                                 "before end_time.", "-PT1H")
    end_time: str | None = doc(None, "capture only: window end, ISO-8601 UTC.",
                               "{{ run.time }}")


class Monitor(Job):
    """Resources and output of a monitoring job."""

    image: str | None = doc(None, "Image with Python, pandas and scipy (default: the SageMaker "
                            "scikit-learn image).",
                            "683313688378.dkr.ecr.us-east-1.amazonaws.com/"
                            "sagemaker-scikit-learn:1.2-1-cpu-py3")
    instance_type: str = doc("ml.m5.large", "Instance type of the job.", "ml.m5.xlarge")
    volume_size_gb: int = doc(30, "Disk of the job in GB.", 50, ge=1, le=16384)
    max_runtime: int = doc(3600, "MaxRuntimeInSeconds of the job.", 1800, ge=1, le=86400)
    chunk_rows: int = doc(100_000, "Rows read per chunk: bounds the job's memory.", 50_000,
                          ge=1000)
    environment: dict[str, str] = doc(dict, "Extra settings (Model Monitor's environment "
                                      "variable names).", {"categorical_drift_method": "LInfinity"})
    output: str | None = doc(None, "S3 URI of the result files (default "
                             "s3://<bucket>/<pipeline>/{{ run.id }}/<stage>).",
                             "s3://my-bucket/monitoring/{{ run.id }}/data-quality")


class Baseline(Monitor):
    """baseline: statistics.json + constraints.json of the training data."""

    dataset: Dataset = doc(..., "The baseline data (usually the training split).",
                           {"source": "{{ stages.preprocessing.outputs.train }}", "header": False})


class DataQuality(Monitor):
    """data_quality: new data against a baseline -> constraint_violations.json."""

    dataset: Dataset = doc(..., "The data to check.",
                           {"source": "s3://my-bucket/capture/churn/AllTraffic/",
                            "format": "capture"})
    baseline: str | None = doc(None, "S3 prefix holding constraints.json and statistics.json "
                               "(default: this run's baseline stage output).",
                               "{{ model_package.baseline }}")
    on_violation: Literal["fail", "continue"] = doc("fail", ON_VIOLATION, "continue")
    categorical_drift_method: Literal["LInfinity", "ChiSquared"] | None = doc(
        None, "Override of the constraints' categorical drift method.", "LInfinity")
    retrain: str | None = doc(None, RETRAIN, "churn-training")


class ModelQuality(Monitor):
    """model_quality: predictions merged with ground truth, metrics against thresholds."""

    predictions: Dataset = doc(..., "The model's predictions (batch output or capture).",
                               {"source": "s3://my-bucket/churn/predictions/", "header": False})
    ground_truth: Dataset = doc(..., "The labels, in the same row order or with a join column "
                                "(capture: groundTruthData records).",
                                {"source": "s3://my-bucket/churn/labels/", "header": False})
    problem_type: Literal["Regression", "BinaryClassification", "MulticlassClassification"] = \
        doc(..., "Which metrics to compute.", "Regression")
    inference_attribute: str = doc("0", "Prediction column (name or 0-based index).", "score")
    probability_attribute: str | None = doc(None, "Probability column (binary AUC).", "1")
    probability_threshold: float = doc(0.5, "Probability at or above which a row is class 1.",
                                       0.5, ge=0, le=1)
    ground_truth_attribute: str = doc("0", "Label column (name or 0-based index).", "label")
    join_column: str | None = doc(None, "Key present on both sides (default: row order).", "id")
    thresholds: dict[str, float] = doc(
        dict, "metric -> limit: error metrics may not exceed it, scores may not fall below it.",
        {"mse": 6.0})
    constraints: str | None = doc(None, "S3 URI of a model-quality constraints.json.",
                                  "s3://my-bucket/churn/model-quality/constraints.json")
    on_violation: Literal["fail", "continue"] = doc("fail", ON_VIOLATION, "fail")
    retrain: str | None = doc(None, RETRAIN, "churn-training")
