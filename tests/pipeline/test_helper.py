"""The helper Lambda of the generic state machine (pure; owned by spec-compile)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagestep.pipeline.helper import GateError, RenderError, StageFailed, attempt_name, handler
from sagestep.pipeline.item import MODEL_DATA


def state(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "pipeline": "demo", "config_version": 3,
        "run": {"id": "abcd1234", "execution_name": "demo-20260101-abcd1234"},
        "names": {"training": "demo-train-abcd1234", "tuning": "t" * 29, "model": "demo-model-x",
                  "endpoint_config": "demo-epc-x", "evaluation": "demo-eval-x"},
        "stages": {
            "training": {"run": True, "request": {"RoleArn": "r"}},
            "tuning": {"run": True, "request": {"X": 1}},
            "evaluation": {"run": True, "request": {"ProcessingInputs": [
                {"InputName": "model", "S3Input": {"S3Uri": MODEL_DATA}}]}},
            "create_model": {"run": True, "request": {"PrimaryContainer": {
                "Image": "img", "ModelDataUrl": MODEL_DATA}}},
            "deploy": {"run": True, "endpoint_config": {"ProductionVariants": []}},
            "register": {"run": True, "request": {"CustomerMetadataProperties": {"team": "ml"},
                "InferenceSpecification": {"Containers": [{"ModelDataUrl": MODEL_DATA}]}}},
            "gate": {"run": True, "source": "evaluation", "metric": "regression_metrics.mse.value",
                     "threshold": 5.0, "comparison": "less_than_or_equal"},
        },
        "results": {"training": {"ModelArtifacts": {"S3ModelArtifacts": "s3://b/train/model.tar.gz"},
                                 "FinalMetricDataList": [{"MetricName": "validation:error",
                                                          "Value": 0.04}]}},
    }
    base.update(over)
    return base


def render(stage: str, attempt: int = 0, st: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = handler({"action": "render", "stage": stage, "attempt": attempt,
                                   "state": st or state()})
    return out


def test_job_name_is_unique_per_attempt_and_within_limits() -> None:
    assert render("training")["TrainingJobName"] == "demo-train-abcd1234-0"
    assert render("training", 2)["TrainingJobName"] == "demo-train-abcd1234-2"
    tuning = render("tuning", 10)["HyperParameterTuningJobName"]
    assert len(tuning) == 32 and tuning.endswith("-10")
    assert attempt_name("a" * 70, 3, 63) == "a" * 61 + "-3"


def test_model_artifact_comes_from_training_or_tunings_best_job() -> None:
    ev = render("evaluation")
    assert ev["ProcessingInputs"][0]["S3Input"]["S3Uri"] == "s3://b/train/model.tar.gz"
    st = state()
    st["results"]["best_training"] = {"ModelArtifacts": {"S3ModelArtifacts": "s3://b/best.tar.gz"}}
    model = render("create_model", 0, st)
    assert model["PrimaryContainer"]["ModelDataUrl"] == "s3://b/best.tar.gz"
    assert model["ModelName"] == "demo-model-x"


def test_missing_model_is_a_clear_error() -> None:
    with pytest.raises(RenderError, match="neither training nor tuning ran"):
        render("create_model", 0, state(results={}))


def test_leftover_placeholders_are_errors() -> None:
    st = state()
    st["stages"]["training"]["request"]["OutputDataConfig"] = {"S3OutputPath": "s3://{{ oops }}"}
    with pytest.raises(RenderError, match="placeholders without a value: oops"):
        render("training", 0, st)


def test_endpoint_config_and_register_lineage() -> None:
    assert render("deploy")["EndpointConfigName"] == "demo-epc-x"
    props = render("register")["CustomerMetadataProperties"]
    assert props == {"team": "ml", "sagestep:pipeline": "demo", "sagestep:config-version": "3",
                     "sagestep:execution": "demo-20260101-abcd1234", "sagestep:run-id": "abcd1234"}


def test_gate_reads_any_key_path_of_evaluation_json() -> None:
    report = {"regression_metrics": {"mse": {"value": 4.2}}}
    st = state(work={"report": {"Body": json.dumps(report)}})
    verdict = handler({"action": "gate", "state": st})
    assert verdict["passed"] is True and verdict["value"] == 4.2
    assert verdict["summary"] == "gate passed: regression_metrics.mse.value = 4.2, required <= 5"
    report["regression_metrics"]["mse"]["value"] = 7.5
    st["work"]["report"]["Body"] = json.dumps(report)
    assert handler({"action": "gate", "state": st})["passed"] is False


def test_gate_on_training_metrics_and_max_comparison() -> None:
    st = state()
    st["stages"]["gate"] = {"run": True, "source": "training", "metric": "validation:error",
                            "threshold": 0.1, "comparison": "less_than"}
    assert handler({"action": "gate", "state": st})["passed"] is True
    st["stages"]["gate"]["comparison"] = "greater_than_or_equal"
    assert handler({"action": "gate", "state": st})["passed"] is False


def test_gate_errors_say_what_exists() -> None:
    st = state(work={"report": {"Body": json.dumps({"regression_metrics": {"mae": 1}})}})
    with pytest.raises(GateError, match="at regression_metrics the keys are mae"):
        handler({"action": "gate", "state": st})
    st["stages"]["gate"]["source"] = "training"
    st["stages"]["gate"]["metric"] = "auc"
    with pytest.raises(GateError, match="it reported: validation:error"):
        handler({"action": "gate", "state": st})


def test_approval_acknowledges_and_unknown_action_fails() -> None:
    out = handler({"action": "approval", "token": "tok", "execution": "arn"})
    assert out == {"waiting": True, "execution": "arn", "token": "tok"}
    with pytest.raises(ValueError, match="unknown action"):
        handler({"action": "dance"})


def test_lineage_keys_match_the_documented_contract() -> None:
    from sagestep.pipeline.helper import lineage
    from sagestep.pipeline.item import LINEAGE_KEYS

    assert set(lineage(state())) == set(LINEAGE_KEYS.values())


def test_retry_policy_counts_and_backs_off() -> None:
    st = state(error={"Error": "States.TaskFailed", "Cause": "{}"})
    assert handler({"action": "retry", "stage": "training", "state": st})["retry"] is False
    st["stages"]["training"]["retry"] = {"max_attempts": 2, "interval_seconds": 10,
                                         "backoff_rate": 3.0}
    first = handler({"action": "retry", "stage": "training", "state": st})
    assert first == {"retry": True, "count": 1, "wait": 10}
    st["work"] = {"retries": {"training": first}}
    assert handler({"action": "retry", "stage": "training", "state": st}) == {
        "retry": True, "count": 2, "wait": 30}
    st["work"]["retries"]["training"]["count"] = 2
    assert handler({"action": "retry", "stage": "training", "state": st})["retry"] is False
    st["work"]["retries"]["training"]["count"] = 0
    st["error"] = {"Error": "RenderError"}
    assert handler({"action": "retry", "stage": "training", "state": st})["retry"] is False
    # the next loop's names continue after this entry's native attempts
    st["work"]["retries"]["training"]["count"] = 1
    out = handler({"action": "render", "stage": "training", "attempt": 2, "attempts": 5,
                   "state": st})
    assert out["TrainingJobName"] == "demo-train-abcd1234-7"


def test_rendered_requests_carry_the_stack_tag_when_deployed(monkeypatch) -> None:
    from sagestep.pipeline.helper import tag_with_stack

    request = {"TrainingJobName": "t", "Tags": [{"Key": "team", "Value": "ml"},
                                                {"Key": "sagestep:stack", "Value": "spoofed"}]}
    tagged = tag_with_stack(request, "sagestep-dev")
    assert tagged["Tags"] == [{"Key": "team", "Value": "ml"},
                              {"Key": "sagestep:stack", "Value": "sagestep-dev"}]
    assert tag_with_stack(request, "") is request  # locally: unchanged
    monkeypatch.setenv("SAGESTEP_STACK", "sagestep-dev")
    for stage in ("training", "tuning", "evaluation", "create_model", "deploy", "register"):
        assert {"Key": "sagestep:stack", "Value": "sagestep-dev"} in render(stage)["Tags"], stage
    monkeypatch.delenv("SAGESTEP_STACK")
    assert "Tags" not in render("training")


def test_generic_sagemaker_errors_retry_only_when_transient() -> None:
    # On AWS throttling and a ValidationException both arrive as AmazonSageMakerException;
    # the Cause (the service's message with its error code) decides.
    throttled = {"Error": "SageMaker.AmazonSageMakerException",
                 "Cause": "Rate exceeded (Service: AmazonSageMaker; Status Code: 400; "
                          "Error Code: ThrottlingException; Request ID: 1)"}
    st = state(error=throttled)
    first = handler({"action": "retry", "stage": "training", "state": st})
    assert first == {"retry": True, "count": 1, "wait": 5}
    st["work"] = {"retries": {"training": {"count": 4}}}
    assert handler({"action": "retry", "stage": "training", "state": st})["retry"] is False
    invalid = {"Error": "SageMaker.AmazonSageMakerException",
               "Cause": "1 validation error detected: Value 'ml.x' at 'resourceConfig.instanceType' "
                        "failed to satisfy constraint (Service: AmazonSageMaker; Status Code: 400;"
                        " Error Code: ValidationException; Request ID: 2)"}
    assert handler({"action": "retry", "stage": "training",
                    "state": state(error=invalid)})["retry"] is False


def test_job_stages_send_the_generic_sagemaker_error_to_the_retry_decision() -> None:
    from sagestep.pipeline.compile import compile_state_machine

    training = compile_state_machine()["States"]["Training"]
    caught = [c for c in training["Catch"] if c["Next"] == "Training Retry?"]
    assert caught and "SageMaker.AmazonSageMakerException" in caught[0]["ErrorEquals"]


def test_fail_raises_the_stage_error_until_a_later_redrive() -> None:
    failure = {"Stage": "training", "Error": "SageMaker.ValidationException", "Cause": "bad"}
    with pytest.raises(StageFailed) as raised:
        handler({"action": "fail", "failure": failure, "failed_in": 1, "redrive_count": 1})
    assert (type(raised.value).__name__, str(raised.value)) == ("SageMaker.ValidationException",
                                                                  "bad")
    assert handler({"action": "fail", "failure": failure, "failed_in": 1,
                           "redrive_count": 2}) == {"resumed": "training", "redrive_count": 2}


def test_redriven_job_names_carry_the_redrive_count() -> None:
    assert attempt_name("job", 3, 63) == "job-3"
    assert attempt_name("job", 0, 63, redrive=2) == "job-r2-0"
    assert attempt_name("x" * 70, 1, 32, redrive=12) == "x" * 26 + "-r12-1"
