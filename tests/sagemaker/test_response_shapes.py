"""Responses of the local client have botocore's output shapes (no unknown keys, right types)."""

from __future__ import annotations

from typing import Any

from sagestep.sagemaker.validation import _check, _service_model
from tests.sagemaker.conftest import ROLE, SKLEARN, Env, training_request

LOCAL_EXTRAS = ("ResponseMetadata", "SagestepLocal")


def _shape_errors(operation: str, response: dict[str, Any]) -> list[str]:
    body = {k: v for k, v in response.items() if k not in LOCAL_EXTRAS}
    errors: list[str] = []
    _check(_service_model("sagemaker").operation_model(operation).output_shape, body, "", errors)
    return errors


def test_every_response_matches_botocore_output_shapes(env: Env) -> None:
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    src = env.put_source("code/s.tar.gz", {"train.py": "import sys\nprint('loss=0.5;')\n"})
    req = training_request("shape-1", src)
    req["AlgorithmSpecification"]["MetricDefinitions"] = [{"Name": "loss", "Regex": "loss=([0-9.]+);"}]
    responses: list[tuple[str, dict[str, Any]]] = [("CreateTrainingJob", env.sm.create_training_job(**req))]
    env.sm.wait_for_job(JobName="shape-1")
    responses += [("DescribeTrainingJob", env.sm.describe_training_job(TrainingJobName="shape-1")),
                  ("ListTrainingJobs", env.sm.list_training_jobs())]
    responses.append(("CreateProcessingJob", env.sm.create_processing_job(
        ProcessingJobName="shape-p", RoleArn=ROLE,
        AppSpecification={"ImageUri": SKLEARN, "ContainerEntrypoint": ["python3", "-c", "print(1)"]},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5}})))
    env.sm.wait_for_job(JobName="shape-p")
    responses += [("DescribeProcessingJob", env.sm.describe_processing_job(ProcessingJobName="shape-p")),
                  ("ListProcessingJobs", env.sm.list_processing_jobs())]
    tuning = {
        "HyperParameterTuningJobName": "shape-t",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Grid", "ResourceLimits": {"MaxParallelTrainingJobs": 2},
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ParameterRanges": {"CategoricalParameterRanges": [{"Name": "a", "Values": ["1", "2"]}]}},
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {**req["AlgorithmSpecification"]}, "RoleArn": ROLE,
            "StaticHyperParameters": req["HyperParameters"], "InputDataConfig": req["InputDataConfig"],
            "OutputDataConfig": req["OutputDataConfig"], "ResourceConfig": req["ResourceConfig"],
            "StoppingCondition": req["StoppingCondition"]}}
    responses.append(("CreateHyperParameterTuningJob", env.sm.create_hyper_parameter_tuning_job(**tuning)))
    env.svc.tuning.wait("shape-t", 60)
    responses += [
        ("DescribeHyperParameterTuningJob", env.sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="shape-t")),
        ("ListHyperParameterTuningJobs", env.sm.list_hyper_parameter_tuning_jobs()),
        ("ListTrainingJobsForHyperParameterTuningJob",
         env.sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName="shape-t"))]
    responses.append(("CreateModelPackageGroup", env.sm.create_model_package_group(ModelPackageGroupName="g")))
    spec = {"Containers": [{"Image": SKLEARN, "ModelDataUrl": "s3://bkt/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
    created = env.sm.create_model_package(ModelPackageGroupName="g", InferenceSpecification=spec)
    responses += [
        ("CreateModelPackage", created),
        ("UpdateModelPackage", env.sm.update_model_package(ModelPackageArn=created["ModelPackageArn"],
                                                           ModelApprovalStatus="Approved")),
        ("DescribeModelPackage", env.sm.describe_model_package(ModelPackageName=created["ModelPackageArn"])),
        ("DescribeModelPackageGroup", env.sm.describe_model_package_group(ModelPackageGroupName="g")),
        ("ListModelPackages", env.sm.list_model_packages(ModelPackageGroupName="g")),
        ("ListModelPackageGroups", env.sm.list_model_package_groups())]
    problems = {op: errs for op, resp in responses if (errs := _shape_errors(op, resp))}
    assert problems == {}
    d = dict(responses)["DescribeHyperParameterTuningJob"]
    assert d["HyperParameterTuningJobStatus"] == "Completed" and "_children" not in d
