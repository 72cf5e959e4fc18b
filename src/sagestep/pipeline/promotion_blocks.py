"""Config blocks of promotion: ordered deploy targets (staging, prod, ...) with guardrails.

Seed 003's deploy pipeline as data: each target is an endpoint with its own instance
type/count and data capture; before a target an approval (auto, or manual with a task token
answered by `sagestep approve`), after it a smoke test; an optional deployment policy
(SageMaker's BlueGreenUpdatePolicy: ALL_AT_ONCE, CANARY, LINEAR) with rollback on alarms.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from sagestep.pipeline.blocks import Block, DataCapture, doc


class Alarms(Block):
    """Rollback thresholds: local metrics of the new fleet; CloudWatch alarms on AWS."""

    error_rate: float | None = doc(
        0.05, "Roll back when this share of the new fleet's requests fail (5XX).", 0.01,
        ge=0, le=1)
    p99_latency_ms: float | None = doc(
        None, "Roll back when the new fleet's p99 latency exceeds this many milliseconds.", 500,
        gt=0)
    min_requests: int = doc(5, "Requests the new fleet must serve before its error rate "
                            "counts (fewer say nothing).", 20, ge=1)
    names: list[str] = doc(list, "Existing CloudWatch alarm names to watch too (AWS).",
                           ["churn-prod-5xx"])


class Deployment(Block):
    """SageMaker deployment guardrails (DeploymentConfig.BlueGreenUpdatePolicy)."""

    strategy: Literal["ALL_AT_ONCE", "CANARY", "LINEAR"] = doc(
        "CANARY", "How traffic moves from the old fleet to the new one.", "LINEAR")
    canary_percent: int = doc(10, "CANARY: share of capacity that takes traffic first "
                              "(at most 50).", 10, ge=1, le=50)
    linear_step_percent: int = doc(34, "LINEAR: share of capacity added per step.", 25,
                                   ge=1, le=100)
    wait_seconds: int = doc(300, "WaitIntervalInSeconds: bake time after each shift.", 60,
                            ge=0, le=3600)
    termination_wait_seconds: int = doc(120, "TerminationWaitInSeconds: final bake before the "
                                        "old fleet stops.", 0, ge=0, le=3600)
    max_execution_seconds: int = doc(1800, "MaximumExecutionTimeoutInSeconds of the whole "
                                     "update.", 3600, ge=600, le=28800)
    alarms: Alarms = doc(Alarms, "What rolls the update back.", {"error_rate": 0.05})


class SmokeTest(Block):
    """Invoke the new endpoint with sample payloads; fail the promotion on a bad answer."""

    payloads: list[str] = doc(list, "Request bodies (one per invocation).",
                              ["5.1,3.5,1.4,0.2"])
    dataset: str | None = doc(None, "Or: an s3:// CSV file whose first lines are the payloads "
                              "(the evaluation data, for example).", "s3://b/test/test.csv")
    max_records: int = doc(5, "Lines read from dataset.", 10, ge=1, le=1000)
    content_type: str = doc("text/csv", "ContentType of the requests.", "application/json")
    accept: str | None = doc(None, "Accept of the requests.", "text/csv")
    max_latency_ms: float = doc(2000, "Fail when one invocation takes longer.", 500, gt=0)
    expected: list[str] | None = doc(None, "Exact expected responses, one per payload.",
                                     ["1"])

    @model_validator(mode="after")
    def _one_source(self) -> SmokeTest:
        if not self.payloads and not self.dataset:
            raise ValueError("smoke_test needs payloads (request bodies) or dataset (s3:// CSV)")
        if self.expected is not None and len(self.expected) != len(self.payloads):
            raise ValueError("expected lists one response per payload "
                             f"({len(self.payloads)} payloads, {len(self.expected)} expected)")
        return self


class TargetApproval(Block):
    """Wait before deploying this target: auto passes, manual waits for `sagestep approve`."""

    mode: Literal["auto", "manual"] = doc("manual", "manual: a task token answered by "
                                          "`sagestep approve RUN` (or reject).", "auto")
    message: str = doc("Promote the model?", "Shown with the request.",
                       "Staging passed its smoke test: promote to prod?")
    timeout_hours: int = doc(168, "Fail when nobody answers in time.", 24, ge=1, le=8760)


class Target(Block):
    """One deploy target (a stage of the promotion: staging, prod)."""

    name: str = doc(..., "Target (stage) name: letters, digits, hyphens.", "staging",
                    pattern=r"^[A-Za-z0-9](-*[A-Za-z0-9])*$", max_length=20)
    endpoint_name: str = doc(..., "The target's endpoint (updated in place).", "churn-staging",
                             pattern=r"^[A-Za-z0-9](-*[A-Za-z0-9])*$", max_length=50)
    instance_type: str = doc("ml.m5.large", "Instance type.", "ml.m5.xlarge")
    instance_count: int = doc(1, "Instances.", 3, ge=1)
    variant_name: str = doc("AllTraffic", "Production variant name.", "AllTraffic")
    data_capture: DataCapture | None = doc(None, "Data capture of this endpoint.",
                                           {"destination": "s3://b/capture"})
    deployment: Deployment | None = doc(None, "Guardrails of updates (none: all at once).",
                                        {"strategy": "CANARY", "canary_percent": 10})
    approval: TargetApproval | None = doc(None, "Wait for approval before deploying this "
                                          "target.", {"mode": "manual"})
    smoke_test: SmokeTest | None = doc(None, "Invoke the endpoint after deploying it.",
                                       {"payloads": ["1,2,3"]})
    wait_seconds: int = doc(30, "Seconds between endpoint status checks.", 10, ge=1, le=3600)


# The generic state machine unrolls this many target slots (pipeline.promote): enough for
# dev, staging, preprod, prod and one more.
MAX_TARGETS = 5


class Promotion(Block):
    """Deploy the run's model to each target in order (staging, then prod)."""

    targets: list[Target] = doc(..., f"The targets, in order (at most {MAX_TARGETS}).",
                                [{"name": "staging", "endpoint_name": "churn-staging"}],
                                min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Promotion:
        if len(self.targets) > MAX_TARGETS:
            raise ValueError(f"{len(self.targets)} targets, but a promotion holds at most "
                             f"{MAX_TARGETS} (the generic state machine's target slots): keep "
                             f"{MAX_TARGETS} here and deploy the rest from a second deploy "
                             "pipeline")
        for key in ("name", "endpoint_name"):
            seen: list[Any] = [getattr(t, key) for t in self.targets]
            dupes = sorted({v for v in seen if seen.count(v) > 1})
            if dupes:
                raise ValueError(f"each target needs its own {key}; repeated: {', '.join(dupes)}")
        return self
