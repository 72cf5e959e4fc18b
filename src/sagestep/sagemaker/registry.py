"""Model registry: model package groups and versioned model packages (reference §6).

Versions are numbered 1, 2, ... per group; every creation and approval-status change
emits "SageMaker Model Package State Change" (detail mirrors DescribeModelPackage).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from sagestep.errors import client_error
from sagestep.sagemaker.arns import name_from_arn
from sagestep.sagemaker.records import to_boto

if TYPE_CHECKING:
    from sagestep.sagemaker.service import SageMakerService

GROUP = "model-package-group"
PACKAGE = "model-package"
EVENT = "SageMaker Model Package State Change"
_VERSION_TRIES = 20
_UPDATABLE = ("ModelApprovalStatus", "ApprovalDescription", "CustomerMetadataProperties",
              "AdditionalInferenceSpecifications", "InferenceSpecification", "ModelCard",
              "SourceUri", "ModelLifeCycle")


class ModelRegistry:
    """Groups, versioned packages, approval status and the change event."""

    def __init__(self, svc: SageMakerService) -> None:
        self._svc = svc

    def create_group(self, req: dict[str, Any]) -> dict[str, Any]:
        name = req["ModelPackageGroupName"]
        now = self._svc.clock.now()
        doc = {"ModelPackageGroupName": name, "ModelPackageGroupArn": self._svc.arns.model_package_group(name),
               "CreationTime": now, "ModelPackageGroupStatus": "Completed",
               "CreatedBy": {}}
        if req.get("ModelPackageGroupDescription"):
            doc["ModelPackageGroupDescription"] = req["ModelPackageGroupDescription"]
        try:
            self._svc.records.insert(GROUP, name, doc, "CreateModelPackageGroup")
        except Exception as exc:
            raise client_error("ValidationException", f"Model Package Group already exists: "
                               f"{doc['ModelPackageGroupArn']}", "CreateModelPackageGroup") from exc
        return {"ModelPackageGroupArn": doc["ModelPackageGroupArn"]}

    def group(self, name_or_arn: str, operation: str) -> dict[str, Any]:
        name = name_from_arn(name_or_arn)
        doc = self._svc.records.get(GROUP, name)
        if doc is None:
            raise client_error("ValidationException", f"ModelPackageGroup {name} does not exist.", operation)
        return doc

    def create_package(self, req: dict[str, Any]) -> dict[str, Any]:
        op = "CreateModelPackage"
        if not req.get("ModelPackageGroupName"):
            raise client_error("ValidationException", "Unversioned model packages (ModelPackageName) are "
                               "not supported locally; give ModelPackageGroupName", op)
        group = self.group(req["ModelPackageGroupName"], op)["ModelPackageGroupName"]
        now = self._svc.clock.now()
        doc = copy.deepcopy(req)
        doc.pop("Tags", None)
        doc.pop("ClientToken", None)
        doc["ModelPackageGroupName"] = group
        doc.setdefault("ModelApprovalStatus", "PendingManualApproval")
        doc.update({"ModelPackageStatus": "Completed", "CreationTime": now, "LastModifiedTime": now,
                    "CertifyForMarketplace": req.get("CertifyForMarketplace", False),
                    "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []}})
        # Runs registering into one group at once (from several processes) each get their own
        # version: the insert is keyed by group/version, so a taken number is taken again + 1.
        for _ in range(_VERSION_TRIES):
            with self._svc.records.connection():
                version = 1 + sum(1 for p in self._svc.records.list(PACKAGE)
                                  if p["ModelPackageGroupName"] == group)
                doc["ModelPackageVersion"] = version
                doc["ModelPackageName"] = group
                doc["ModelPackageArn"] = self._svc.arns.model_package(group, version)
                try:
                    self._svc.records.insert(PACKAGE, f"{group}/{version}", doc, op)
                    break
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "ResourceInUse":
                        raise
        else:
            raise client_error("ThrottlingException", f"model package group {group} is busy: "
                               "another process kept taking the next version; try again", op)
        self._emit(doc)
        return {"ModelPackageArn": doc["ModelPackageArn"]}

    def package(self, name_or_arn: str, operation: str) -> dict[str, Any]:
        key = name_or_arn.split(":model-package/", 1)[1] if ":model-package/" in name_or_arn else name_or_arn
        doc = self._svc.records.get(PACKAGE, key)
        if doc is None:
            raise client_error("ValidationException", f"ModelPackage {name_or_arn} does not exist.", operation)
        return doc

    def update_package(self, req: dict[str, Any]) -> dict[str, Any]:
        op = "UpdateModelPackage"
        doc = self.package(req["ModelPackageArn"], op)
        key = f"{doc['ModelPackageGroupName']}/{doc['ModelPackageVersion']}"
        before = doc.get("ModelApprovalStatus")

        def apply(d: dict[str, Any]) -> None:
            for field in _UPDATABLE:
                if field in req:
                    d[field] = copy.deepcopy(req[field])
            d["LastModifiedTime"] = self._svc.clock.now()

        new = self._svc.records.update(PACKAGE, key, apply)
        if new.get("ModelApprovalStatus") != before:
            self._emit(new)
        return {"ModelPackageArn": new["ModelPackageArn"]}

    def _emit(self, doc: dict[str, Any]) -> None:
        detail = {k: v for k, v in to_boto(doc).items()}
        for key in ("CreationTime", "LastModifiedTime"):
            if key in detail:
                detail[key] = detail[key].strftime("%Y-%m-%dT%H:%M:%SZ")
        self._svc.events.emit(EVENT, [doc["ModelPackageArn"]], detail)


def package_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """ModelPackageSummary of ListModelPackages."""
    keys = ("ModelPackageName", "ModelPackageGroupName", "ModelPackageVersion", "ModelPackageArn",
            "ModelPackageDescription", "CreationTime", "ModelPackageStatus", "ModelApprovalStatus")
    return {k: doc[k] for k in keys if k in doc}
