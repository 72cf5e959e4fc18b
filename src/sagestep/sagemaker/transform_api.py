"""boto3 ``sagemaker`` methods for batch transform jobs: create/describe/list/stop_transform_job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagestep.sagemaker.api import ApiBase
from sagestep.sagemaker.listing import filter_sort_page, with_token
from sagestep.sagemaker.records import response

if TYPE_CHECKING:
    from sagestep.serving.transform_job import TransformJobs

KIND, STATUS = "transform-job", "TransformJobStatus"


def transform_jobs(svc: Any) -> TransformJobs:
    """The service's transform-job component (built on first use)."""
    from sagestep.serving.transform_job import TransformJobs

    return svc.extension("transform", TransformJobs)  # type: ignore[no-any-return]


class TransformApi(ApiBase):
    """create/describe/list/stop_transform_job."""

    def create_transform_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("CreateTransformJob", params)
        return response(transform_jobs(self._svc).create(req))

    def describe_transform_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("DescribeTransformJob", params)
        return response(transform_jobs(self._svc).describe(req["TransformJobName"]))

    def stop_transform_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("StopTransformJob", params)
        transform_jobs(self._svc).stop(req["TransformJobName"])
        return response({})

    def list_transform_jobs(self, **params: Any) -> dict[str, Any]:
        req = self._request("ListTransformJobs", params)
        page, token = filter_sort_page(self._svc.records.list(KIND), req,
                                       name_key="TransformJobName", status_key=STATUS,
                                       operation="ListTransformJobs")
        keys = ("TransformJobName", "TransformJobArn", "CreationTime", "TransformEndTime",
                "LastModifiedTime", STATUS, "FailureReason")
        summaries = [{k: d[k] for k in keys if k in d} for d in page]
        return response(with_token({"TransformJobSummaries": summaries}, token))
