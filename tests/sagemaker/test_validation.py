"""Requests are validated against botocore's SageMaker model, worded as AWS words it."""

from __future__ import annotations

import copy

import pytest
from botocore.exceptions import ClientError

from sagestep.sagemaker.validation import RequestValidator
from tests.sagemaker.conftest import ROLE, SKLEARN, training_request

V = RequestValidator()

PROCESSING = {
    "ProcessingJobName": "prep-2024-01-01", "RoleArn": ROLE,
    "AppSpecification": {"ImageUri": SKLEARN, "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/p.py"],
                         "ContainerArguments": ["--split", "0.2"]},
    "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    "ProcessingInputs": [{"InputName": "raw", "S3Input": {"S3Uri": "s3://b/raw/", "LocalPath": "/opt/ml/processing/input",
                                                           "S3DataType": "S3Prefix", "S3InputMode": "File",
                                                           "S3DataDistributionType": "FullyReplicated"}}],
    "ProcessingOutputConfig": {"Outputs": [{"OutputName": "train", "S3Output": {
        "S3Uri": "s3://b/out/train", "LocalPath": "/opt/ml/processing/train", "S3UploadMode": "EndOfJob"}}]},
    "Environment": {"STAGE": "dev"}, "Tags": [{"Key": "project", "Value": "churn"}],
}
TUNING = {
    "HyperParameterTuningJobName": "tune-churn-1",
    "HyperParameterTuningJobConfig": {
        "Strategy": "Bayesian", "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {"ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5",
                                                           "ScalingType": "Logarithmic"}],
                            "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "8"}]}},
    "TrainingJobDefinition": {
        "AlgorithmSpecification": {"TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                                   "TrainingInputMode": "File"},
        "RoleArn": ROLE, "StaticHyperParameters": {"num_round": "50"},
        "OutputDataConfig": {"S3OutputPath": "s3://b/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600}},
}
PACKAGE = {
    "ModelPackageGroupName": "churn-models", "ModelApprovalStatus": "PendingManualApproval",
    "InferenceSpecification": {"Containers": [{"Image": SKLEARN, "ModelDataUrl": "s3://b/models/m/output/model.tar.gz"}],
                               "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    "ModelMetrics": {"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": "s3://b/eval.json"}}},
}
GOOD = {
    "CreateTrainingJob": training_request("train-churn-2024-01-01", "s3://b/code/sourcedir.tar.gz"),
    "CreateProcessingJob": PROCESSING,
    "CreateHyperParameterTuningJob": TUNING,
    "CreateModelPackage": PACKAGE,
    "CreateModelPackageGroup": {"ModelPackageGroupName": "churn-models", "ModelPackageGroupDescription": "churn"},
    "UpdateModelPackage": {"ModelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-models/1",
                           "ModelApprovalStatus": "Approved", "ApprovalDescription": "ok"},
    "DescribeTrainingJob": {"TrainingJobName": "train-1"},
    "ListTrainingJobs": {"MaxResults": 10, "SortBy": "CreationTime", "SortOrder": "Descending"},
}


@pytest.mark.parametrize("operation", sorted(GOOD))
def test_good_requests_pass(operation: str) -> None:
    V.validate(operation, copy.deepcopy(GOOD[operation]))


def _message(operation: str, req: dict) -> str:
    with pytest.raises(ClientError) as err:
        V.validate(operation, req)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.operation_name == operation
    return err.value.response["Error"]["Message"]


def test_missing_required_field_is_named() -> None:
    req = copy.deepcopy(GOOD["CreateTrainingJob"])
    del req["RoleArn"]
    del req["AlgorithmSpecification"]["TrainingInputMode"]
    msg = _message("CreateTrainingJob", req)
    assert msg.startswith("2 validation errors detected: ")
    assert "Value null at 'roleArn' failed to satisfy constraint: Member must not be null" in msg
    assert "'algorithmSpecification.trainingInputMode'" in msg


def test_bad_name_pattern_and_length() -> None:
    req = copy.deepcopy(GOOD["CreateTrainingJob"])
    req["TrainingJobName"] = "train_churn"
    msg = _message("CreateTrainingJob", req)
    assert "Value 'train_churn' at 'trainingJobName' failed to satisfy constraint: Member must satisfy " \
           "regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}" in msg
    tuning = copy.deepcopy(TUNING)
    tuning["HyperParameterTuningJobName"] = "t" * 33
    assert "Member must have length less than or equal to 32" in _message("CreateHyperParameterTuningJob", tuning)


def test_bad_enum_and_number_range_and_type() -> None:
    req = copy.deepcopy(PROCESSING)
    req["ProcessingInputs"][0]["S3Input"]["S3DataType"] = "Prefix"
    req["ProcessingResources"]["ClusterConfig"]["VolumeSizeInGB"] = 0
    req["StoppingCondition"]["MaxRuntimeInSeconds"] = "3600"
    msg = _message("CreateProcessingJob", req)
    assert "at 'processingInputs.1.member.s3Input.s3DataType' failed to satisfy constraint: Member must " \
           "satisfy enum value set: [ManifestFile, S3Prefix]" in msg
    assert "'processingResources.clusterConfig.volumeSizeInGB' failed to satisfy constraint: Member must " \
           "have value greater than or equal to 1" in msg
    assert "'stoppingCondition.maxRuntimeInSeconds' failed to satisfy constraint: Member must be an integer" in msg


def test_unknown_field_and_bad_approval_status() -> None:
    req = copy.deepcopy(PACKAGE)
    req["ModelApprovalStatus"] = "Approve"
    req["Colour"] = "blue"
    msg = _message("CreateModelPackage", req)
    assert "Unknown parameter 'colour'" in msg
    assert "enum value set: [Approved, Rejected, PendingManualApproval]" in msg


def test_client_validates_before_acting(env) -> None:
    with pytest.raises(ClientError) as err:
        env.sm.create_training_job(TrainingJobName="x")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert env.sm.list_training_jobs()["TrainingJobSummaries"] == []
