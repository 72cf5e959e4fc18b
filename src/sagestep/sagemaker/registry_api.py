"""boto3 ``sagemaker`` methods for the model registry."""

from __future__ import annotations

from typing import Any

from sagestep.sagemaker.api import ApiBase
from sagestep.sagemaker.arns import name_from_arn
from sagestep.sagemaker.listing import filter_sort_page, with_token
from sagestep.sagemaker.records import response
from sagestep.sagemaker.registry import GROUP, PACKAGE, package_summary


class RegistryApi(ApiBase):
    """Model package groups and versioned model packages."""

    def create_model_package_group(self, **params: Any) -> dict[str, Any]:
        req = self._request("CreateModelPackageGroup", params)
        return response(self._svc.registry.create_group(req))

    def describe_model_package_group(self, **params: Any) -> dict[str, Any]:
        op = "DescribeModelPackageGroup"
        req = self._request(op, params)
        return response(self._svc.registry.group(req["ModelPackageGroupName"], op))

    def list_model_package_groups(self, **params: Any) -> dict[str, Any]:
        op = "ListModelPackageGroups"
        req = self._request(op, params)
        page, token = filter_sort_page(self._svc.records.list(GROUP), req, name_key="ModelPackageGroupName",
                                       status_key="ModelPackageGroupStatus", operation=op)
        keys = ("ModelPackageGroupName", "ModelPackageGroupArn", "ModelPackageGroupDescription",
                "CreationTime", "ModelPackageGroupStatus")
        summaries = [{k: d[k] for k in keys if k in d} for d in page]
        return response(with_token({"ModelPackageGroupSummaryList": summaries}, token))

    def create_model_package(self, **params: Any) -> dict[str, Any]:
        req = self._request("CreateModelPackage", params)
        return response(self._svc.registry.create_package(req))

    def describe_model_package(self, **params: Any) -> dict[str, Any]:
        op = "DescribeModelPackage"
        req = self._request(op, params)
        return response(self._svc.registry.package(req["ModelPackageName"], op))

    def update_model_package(self, **params: Any) -> dict[str, Any]:
        req = self._request("UpdateModelPackage", params)
        return response(self._svc.registry.update_package(req))

    def list_model_packages(self, **params: Any) -> dict[str, Any]:
        op = "ListModelPackages"
        req = self._request(op, params)
        docs = self._svc.records.list(PACKAGE)
        if req.get("ModelPackageGroupName"):
            group = name_from_arn(req["ModelPackageGroupName"])
            docs = [d for d in docs if d["ModelPackageGroupName"] == group]
        if req.get("ModelApprovalStatus"):
            docs = [d for d in docs if d.get("ModelApprovalStatus") == req["ModelApprovalStatus"]]
        if req.get("ModelPackageType") == "Unversioned":
            docs = []
        page, token = filter_sort_page(docs, req, name_key="ModelPackageName", status_key=None, operation=op,
                                       sort_keys={"Status": lambda d: d.get("ModelPackageStatus", "")})
        return response(with_token({"ModelPackageSummaryList": [package_summary(d) for d in page]}, token))
