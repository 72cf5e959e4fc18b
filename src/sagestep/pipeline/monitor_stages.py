"""Compiled states of the monitoring stages (baseline, data_quality, model_quality).

Each is an ordinary processing-job stage. The job always completes and uploads its files
(statistics.json, constraint_violations.json); its exit message says whether it found
violations ("CompletedWithViolations: ..."), and a Choice after the job reads that message:
with ``on_violation: fail`` the stage then fails with ``Sagestep.MonitoringViolations`` and
the cause ``<stage>: <summary>``, which the failure notification carries and the router's
retraining rule matches. Failing in the machine, not in the job, keeps the report files of
a breaching run (a failed processing job uploads no outputs).
"""

from __future__ import annotations

from sagestep.asl.rules import ChoiceRule
from sagestep.asl.states import Choice, Pass, State
from sagestep.pipeline.generic import TITLES, Policy, job_stage, string_is

BREACH_ERROR = "Sagestep.MonitoringViolations"


def monitor_stage(stage: str, policy: Policy, nxt: str) -> list[State]:
    """A monitoring job stage, then its verdict for the data_quality/model_quality checks."""
    if stage == "baseline":
        return job_stage(stage, "createProcessingJob", policy, nxt)
    title = TITLES[stage]
    verdict = f"{title} Verdict?"
    breach = f"{title} Breach"
    found = ChoiceRule(variable=f"$.results.{stage}.ExitMessage",
                       operator="StringMatches", operand="CompletedWithViolations*", next=breach)
    present = ChoiceRule(variable=f"$.results.{stage}.ExitMessage", operator="IsPresent",
                         operand=True)
    return [
        *job_stage(stage, "createProcessingJob", policy, nxt, then=verdict),
        # IsPresent first: a request passed through raw may run a job that writes no message.
        Choice(name=verdict, choices=(
            ChoiceRule(and_=(string_is(f"$.stages.{stage}.on_violation", "fail"), present),
                       next=f"{title} Violations?"),), default=nxt),
        Choice(name=f"{title} Violations?", choices=(
            found,), default=nxt),
        Pass(name=breach, parameters={
            "Error": BREACH_ERROR,
            "Cause.$": f"States.Format('{stage}: {{}}', $.results.{stage}.ExitMessage)"},
            result_path="$.error", next=f"{title} Failed"),
    ]
