"""boto3 ``sagemaker`` methods for batch transform jobs: create/describe/list/stop_transform_job.

The jobs run in the service's data plane (``svc.transform``: :class:`sagestep.serving.
transform_job.TransformJobs`, handed in by ``sagestep.local``).
"""

from __future__ import annotations

from typing import Any

from sagestep.sagemaker.api import ApiBase
from sagestep.sagemaker.listing import filter_sort_page, with_token
from sagestep.sagemaker.records import response

KIND, STATUS = "transform-job", "TransformJobStatus"


class TransformApi(ApiBase):
    """create/describe/list/stop_transform_job."""

    def create_transform_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("CreateTransformJob", params)
        return response(self._svc.transform.create(req))

    def describe_transform_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("DescribeTransformJob", params)
        return response(self._svc.transform.describe(req["TransformJobName"]))

    def stop_transform_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("StopTransformJob", params)
        self._svc.transform.stop(req["TransformJobName"])
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
