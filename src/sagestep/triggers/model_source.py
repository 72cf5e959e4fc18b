"""The model a run uses: the latest Approved package of a model package group.

Seed 001 reads the latest approved package when its inference pipeline is *built* and fails
obscurely on the first run, before any model is approved. Here the router looks it up when a
run *starts*: the newest Approved version (highest ModelPackageVersion, never the oldest),
or a RouterError that names the group and says how to get an approved model.

Standard library only (a boto3-shaped ``sagemaker`` client is passed in): this module ships
inside the router Lambda.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from sagestep.errors import RouterError


class NothingToStart(RouterError):
    """An event that, looked at closely, asks for no run: the router reports it, no error."""


def latest_approved(sagemaker: Any, group: str) -> dict[str, Any]:
    """``model_package`` values of the newest Approved package in ``group``."""
    summaries: list[Mapping[str, Any]] = []
    request: dict[str, Any] = {"ModelPackageGroupName": group, "ModelApprovalStatus": "Approved",
                               "MaxResults": 100}
    while True:
        try:
            page = sagemaker.list_model_packages(**request)
        except Exception as exc:  # botocore's ClientError or a local one: report the group
            raise RouterError(f"model_source: listing model package group {group!r} failed: "
                              f"{exc}") from exc
        summaries += page.get("ModelPackageSummaryList") or []
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    if not summaries:
        raise RouterError(
            f"model_source: model package group {group!r} has no Approved model package yet; "
            "run the training pipeline and approve its package (sagestep models approve ARN) "
            "before this pipeline runs")
    newest = max(summaries, key=lambda s: int(s.get("ModelPackageVersion") or 0))
    arn = str(newest["ModelPackageArn"])
    package = sagemaker.describe_model_package(ModelPackageName=arn)
    return describe(package)


def after_rejection(sagemaker: Any, detail: Mapping[str, Any]) -> dict[str, Any]:
    """What replaces a rejected package: the newest version of its group still Approved (the
    SageMaker Projects templates' "Approved -> Rejected: redeploy the latest approved").
    NothingToStart when none is left, since there is nothing to roll back to."""
    group, rejected = str(detail.get("ModelPackageGroupName", "")), detail.get("ModelPackageArn")
    try:
        return latest_approved(sagemaker, group)
    except RouterError as exc:
        if "no Approved model package" not in str(exc):
            raise
        raise NothingToStart(
            f"{rejected} was rejected and group {group!r} has no Approved version left to "
            "redeploy: nothing deployed (endpoints keep their model; approve a version to "
            "deploy it)") from exc


def describe(package: Mapping[str, Any]) -> dict[str, Any]:
    """The placeholder values (``{{ model_package.<x> }}``) of one DescribeModelPackage."""
    containers = (package.get("InferenceSpecification") or {}).get("Containers") or [{}]
    quality = (package.get("ModelMetrics") or {}).get("ModelDataQuality") or {}
    statistics = str((quality.get("Statistics") or {}).get("S3Uri") or "")
    constraints = str((quality.get("Constraints") or {}).get("S3Uri") or "")
    return {
        "arn": str(package.get("ModelPackageArn", "")),
        "group": str(package.get("ModelPackageGroupName", "")),
        "version": package.get("ModelPackageVersion"),
        "model_data": str(containers[0].get("ModelDataUrl") or ""),
        "image": str(containers[0].get("Image") or ""),
        "statistics": statistics,
        "constraints": constraints,
        "baseline": posixpath.dirname(constraints) if constraints else "",
    }
