"""Hyper-parameter tuning over a cheap script-mode training job."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from tests.sagemaker.conftest import ROLE, SKLEARN, Env

SCRIPT = '''
import argparse
p = argparse.ArgumentParser()
p.add_argument("--xval", type=float)
p.add_argument("--depth", type=int)
p.add_argument("--kind", default="a")
a = p.parse_args()
loss = (a.xval - 3) ** 2 + a.depth * 0.01 + (0.5 if a.kind == "b" else 0)
print(f"loss={loss};")
'''


def _request(env: Env, name: str, strategy: str, ranges: dict, max_jobs: int | None = 4) -> dict:
    src = env.put_source("code/tune.tar.gz", {"train.py": SCRIPT})
    env.s3.put_object(Bucket="bkt", Key="data/train/x.csv", Body=b"1\n")
    limits = {"MaxParallelTrainingJobs": 2, **({"MaxNumberOfTrainingJobs": max_jobs} if max_jobs else {})}
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": strategy, "ResourceLimits": limits, "ParameterRanges": ranges, "RandomSeed": 7,
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"}},
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"TrainingImage": SKLEARN, "TrainingInputMode": "File",
                                       "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=([0-9.e+-]+);"}]},
            "RoleArn": ROLE,
            "StaticHyperParameters": {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"{src}"',
                                      **({"depth": "2"} if strategy == "Grid" else {})},
            "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "s3://bkt/data/train/"}}}],
            "OutputDataConfig": {"S3OutputPath": "s3://bkt/tuning"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 300}},
    }


NUMERIC = {"ContinuousParameterRanges": [{"Name": "xval", "MinValue": "0.1", "MaxValue": "10", "ScalingType": "Logarithmic"}],
           "IntegerParameterRanges": [{"Name": "depth", "MinValue": "1", "MaxValue": "5"}]}


@pytest.mark.parametrize("strategy", ["Random", "Bayesian"])
def test_tuning_runs_children_and_reports_best(env: Env, strategy: str) -> None:
    name = f"tune-{strategy.lower()}"
    env.sm.create_hyper_parameter_tuning_job(**_request(env, name, strategy, NUMERIC))
    env.svc.tuning.wait(name, 120)
    d = env.sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert d["TrainingJobStatusCounters"] == {"Completed": 4, "InProgress": 0, "RetryableError": 0,
                                              "NonRetryableError": 0, "Stopped": 0}
    assert d["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 0}
    jobs = env.sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, SortBy="FinalObjectiveMetricValue", SortOrder="Ascending")["TrainingJobSummaries"]
    assert len(jobs) == 4
    assert all(re.fullmatch(rf"{name}-00[1-4]-[0-9a-f]{{8}}", j["TrainingJobName"]) for j in jobs)
    best = d["BestTrainingJob"]
    assert best["TrainingJobName"] == jobs[0]["TrainingJobName"]
    tuned = best["TunedHyperParameters"]
    x, depth = float(tuned["xval"]), int(tuned["depth"])
    assert 0.1 <= x <= 10 and 1 <= depth <= 5
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == pytest.approx((x - 3) ** 2 + depth * 0.01, abs=1e-4)
    child = env.sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert child["HyperParameters"]["_tuning_objective_metric"] == "loss"
    assert child["TuningJobArn"] == d["HyperParameterTuningJobArn"]
    # never more than MaxParallelTrainingJobs at once
    spans = sorted((j["TrainingStartTime"], j["TrainingEndTime"]) for j in jobs)
    for i, (start, _end) in enumerate(spans):
        assert sum(1 for s, e in spans[:i] if e > start) <= 1


def test_grid_covers_every_combination(env: Env) -> None:
    ranges = {"CategoricalParameterRanges": [{"Name": "xval", "Values": ["1", "3"]}, {"Name": "kind", "Values": ["a", "b"]}]}
    env.sm.create_hyper_parameter_tuning_job(**_request(env, "tune-grid", "Grid", ranges, max_jobs=None))
    env.svc.tuning.wait("tune-grid", 120)
    d = env.sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune-grid")
    assert d["HyperParameterTuningJobStatus"] == "Completed"
    jobs = env.sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune-grid")
    combos = sorted((j["TunedHyperParameters"]["xval"], j["TunedHyperParameters"]["kind"]) for j in jobs["TrainingJobSummaries"])
    assert combos == [("1", "a"), ("1", "b"), ("3", "a"), ("3", "b")]
    assert d["BestTrainingJob"]["TunedHyperParameters"] == {"xval": "3", "kind": "a"}


def test_bad_tuning_requests(env: Env) -> None:
    req = _request(env, "tune-bad", "Random", {"ContinuousParameterRanges": [
        {"Name": "xval", "MinValue": "0", "MaxValue": "1", "ScalingType": "Logarithmic"}]})
    with pytest.raises(ClientError) as err:
        env.sm.create_hyper_parameter_tuning_job(**req)
    assert "Logarithmic scaling needs MinValue > 0" in err.value.response["Error"]["Message"]
    req = _request(env, "tune-bad", "Random", NUMERIC)
    req["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]["MetricName"] = "accuracy"
    with pytest.raises(ClientError) as err:
        env.sm.create_hyper_parameter_tuning_job(**req)
    assert "accuracy" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        env.sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="missing")
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"


XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def test_tuning_the_builtin_xgboost_on_its_validation_metric(env: Env) -> None:
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    rows = [",".join(map(str, [t, *x])) for x, t in zip(X, y, strict=True)]
    env.s3.put_object(Bucket="bkt", Key="xgb/train/train.csv", Body="\n".join(rows[:350]).encode())
    env.s3.put_object(Bucket="bkt", Key="xgb/validation/validation.csv", Body="\n".join(rows[350:]).encode())
    channels = [{"ChannelName": ch, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": f"s3://bkt/xgb/{ch}/"}}} for ch in ("train", "validation")]
    env.sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="xgb-tune",
        HyperParameterTuningJobConfig={
            "Strategy": "Bayesian", "RandomSeed": 1,
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
            # two jobs only: each imports xgboost (~1 s); the search itself is tested above
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {"ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5"}],
                                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "6"}]}},
        TrainingJobDefinition={
            "AlgorithmSpecification": {"TrainingImage": XGBOOST, "TrainingInputMode": "File"},
            "RoleArn": ROLE, "StaticHyperParameters": {"num_round": "20", "objective": "reg:squarederror"},
            "InputDataConfig": channels, "OutputDataConfig": {"S3OutputPath": "s3://bkt/xgb/models"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 300}})
    env.svc.tuning.wait("xgb-tune", 180)
    d = env.sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="xgb-tune")
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert d["ObjectiveStatusCounters"]["Succeeded"] == 2
    best = d["BestTrainingJob"]
    rmse = best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert 30 < rmse < 90  # diabetes target spans 25..346
    child = env.sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert child["ModelArtifacts"]["S3ModelArtifacts"].endswith(f"/{best['TrainingJobName']}/output/model.tar.gz")
    names = {m["MetricName"] for m in child["FinalMetricDataList"]}
    assert {"validation:rmse", "train:rmse"} <= names


def test_stopping_a_tuning_job_stops_its_children(env: Env) -> None:
    req = _request(env, "tune-stop", "Random", NUMERIC)
    src = env.put_source("code/sleep.tar.gz", {"train.py": "import time\ntime.sleep(60)\n"})
    req["TrainingJobDefinition"]["StaticHyperParameters"]["sagemaker_submit_directory"] = f'"{src}"'
    env.sm.create_hyper_parameter_tuning_job(**req)
    import time

    deadline = time.monotonic() + 20
    while env.sm.describe_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="tune-stop")["TrainingJobStatusCounters"]["InProgress"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    env.sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune-stop")
    env.svc.tuning.wait("tune-stop", 30)
    d = env.sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune-stop")
    assert d["HyperParameterTuningJobStatus"] == "Stopped"
    assert d["TrainingJobStatusCounters"]["Stopped"] == 2 and d["TrainingJobStatusCounters"]["InProgress"] == 0


def test_target_objective_value_ends_tuning_early_and_warm_start_is_refused(env: Env) -> None:
    ranges = {"CategoricalParameterRanges": [{"Name": "xval", "Values": ["3", "1", "2", "4"]}]}
    req = _request(env, "tune-target", "Grid", ranges, max_jobs=None)
    req["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxParallelTrainingJobs"] = 1
    req["HyperParameterTuningJobConfig"]["TuningJobCompletionCriteria"] = {"TargetObjectiveMetricValue": 0.5}
    env.sm.create_hyper_parameter_tuning_job(**req)
    env.svc.tuning.wait("tune-target", 60)
    d = env.sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune-target")
    assert d["HyperParameterTuningJobStatus"] == "Completed"
    assert d["TrainingJobStatusCounters"]["Completed"] == 1
    assert d["BestTrainingJob"]["TunedHyperParameters"] == {"xval": "3"}
    warm = _request(env, "tune-warm", "Random", NUMERIC)
    warm["WarmStartConfig"] = {"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "tune-target"}],
                               "WarmStartType": "IdenticalDataAndAlgorithm"}
    with pytest.raises(ClientError) as err:
        env.sm.create_hyper_parameter_tuning_job(**warm)
    assert "WarmStartConfig" in err.value.response["Error"]["Message"]


def test_children_beyond_the_local_slots_wait_instead_of_failing(tmp_path) -> None:
    """One slot, two in parallel: the second child queues; MaxNumberOfTrainingJobs buys 4 runs."""
    from tests.sagemaker.conftest import make_env

    env = make_env(tmp_path / "ws", max_running_jobs=1)
    env.sm.create_hyper_parameter_tuning_job(**_request(env, "tune-slots", "Random", NUMERIC))
    env.svc.tuning.wait("tune-slots", 180)
    d = env.sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune-slots")
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert d["TrainingJobStatusCounters"]["Completed"] == 4  # none refused, none wasted
    jobs = env.sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="tune-slots")["TrainingJobSummaries"]
    spans = sorted((j["TrainingStartTime"], j["TrainingEndTime"]) for j in jobs)
    assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False))
