from __future__ import annotations

from sagestep.pipeline.botocheck import check_request

BASE = {
    "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
    "RoleArn": "arn:aws:iam::123456789012:role/r",
    "OutputDataConfig": {"S3OutputPath": "s3://b/{{ run.id }}"},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 60},
}


def test_valid_with_the_name_left_to_the_machine() -> None:
    assert check_request("CreateTrainingJob", BASE, ("TrainingJobName",)) == []
    assert any("TrainingJobName" in p for p in check_request("CreateTrainingJob", BASE))


def test_placeholder_stands_in_for_numbers_only_when_whole() -> None:
    ok = {**BASE, "ResourceConfig": {**BASE["ResourceConfig"], "InstanceCount": "{{ params.n }}"}}
    assert check_request("CreateTrainingJob", ok, ("TrainingJobName",)) == []
    bad = {**BASE, "ResourceConfig": {**BASE["ResourceConfig"], "InstanceCount": "2 {{ params.n }}"}}
    assert check_request("CreateTrainingJob", bad, ("TrainingJobName",))


def test_unknown_and_missing_members() -> None:
    problems = check_request("CreateTrainingJob", {**BASE, "Colour": "red"}, ("TrainingJobName",))
    assert any("Colour" in p for p in problems)
    missing = {k: v for k, v in BASE.items() if k != "RoleArn"}
    assert any("RoleArn" in p for p in check_request("CreateTrainingJob", missing, ("TrainingJobName",)))


def test_enums_and_patterns_are_checked_too() -> None:
    bad = {**BASE, "ResourceConfig": {**BASE["ResourceConfig"], "InstanceType": "ml.nope"}}
    problems = check_request("CreateTrainingJob", bad, ("TrainingJobName",))
    assert any("ml.nope" in p and "resourceConfig.instanceType" in p for p in problems), problems
    # placeholders stand in for URIs and names, so templates pass
    templated = {**BASE, "OutputDataConfig": {"S3OutputPath": "{{ trigger.uri }}"}}
    assert check_request("CreateTrainingJob", templated, ("TrainingJobName",)) == []
