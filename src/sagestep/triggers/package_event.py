"""An approved model package starts the deploy pipeline (seed 003's approval -> deploy chain).

Event: EventBridge "SageMaker Model Package State Change" (source ``aws.sagemaker``), whose
``detail`` mirrors DescribeModelPackage. On AWS a rule of the Terraform module sends it to
the router; locally the registry stores it in its event log and the server's sweep sends it
through the same router. A config subscribes with ``triggers.model_package: [{group, status}]``.

An Approved event's run deploys exactly the package the event names (``model_package.arn``),
never "the latest approved" looked up later: seed 003 looks it up with SortOrder Ascending and
deploys the oldest. A config that also subscribes ``Rejected`` gets the SageMaker Projects
templates' rollback by registry: rejecting a version starts a run with the newest version still
Approved (none left: nothing starts, and the router says why). AWS may deliver one change several times, so the trigger's identity is the package ARN
and its new status: a redelivery (or a second approval of an approved package) renders the same
execution name and Step Functions' ExecutionAlreadyExists makes it a duplicate.

Standard library only: this module ships inside the router Lambda.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DETAIL_TYPE = "SageMaker Model Package State Change"
SOURCE = "aws.sagemaker"
STATUSES = ("Approved", "Rejected", "PendingManualApproval")


def identity(detail: Mapping[str, Any]) -> str | None:
    """``package:<arn>:<status>``, or None when the event names no package or status."""
    arn, status = detail.get("ModelPackageArn"), detail.get("ModelApprovalStatus")
    if not arn or not status:
        return None
    return f"package:{arn}:{status}"


def pattern(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The EventBridge pattern (on the event's ``detail``) of one model_package trigger."""
    statuses = spec.get("status") or ["Approved"]
    if isinstance(statuses, str):
        statuses = [statuses]
    return {"ModelPackageGroupName": [spec["group"]], "ModelApprovalStatus": list(statuses)}


def rule_pattern(groups: list[str] | None = None) -> dict[str, Any]:
    """The whole-event pattern the Terraform rule uses (groups: None = every group). Rejected
    events go to the router too: configs that subscribe them roll back; others ignore them."""
    detail: dict[str, Any] = {"ModelApprovalStatus": ["Approved", "Rejected"]}
    if groups:
        detail["ModelPackageGroupName"] = list(groups)
    return {"source": [SOURCE], "detail-type": [DETAIL_TYPE], "detail": detail}
