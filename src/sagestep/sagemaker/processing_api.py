"""boto3 ``sagemaker`` methods for processing jobs."""

from __future__ import annotations

from typing import Any

from sagestep.sagemaker.api import ApiBase
from sagestep.sagemaker.listing import filter_sort_page, with_token
from sagestep.sagemaker.records import response


class ProcessingApi(ApiBase):
    """create/describe/list/stop_processing_job."""

    def create_processing_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("CreateProcessingJob", params)
        return response(self._svc.processing.create(req))

    def describe_processing_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("DescribeProcessingJob", params)
        return response(self._svc.processing.describe(req["ProcessingJobName"]))

    def stop_processing_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("StopProcessingJob", params)
        self._svc.processing.stop(req["ProcessingJobName"])
        return response({})

    def list_processing_jobs(self, **params: Any) -> dict[str, Any]:
        req = self._request("ListProcessingJobs", params)
        docs = self._svc.records.list("processing-job")
        page, token = filter_sort_page(docs, req, name_key="ProcessingJobName",
                                       status_key="ProcessingJobStatus", operation="ListProcessingJobs")
        keys = ("ProcessingJobName", "ProcessingJobArn", "CreationTime", "ProcessingEndTime",
                "LastModifiedTime", "ProcessingJobStatus", "FailureReason", "ExitMessage")
        summaries = [{k: d[k] for k in keys if k in d} for d in page]
        return response(with_token({"ProcessingJobSummaries": summaries}, token))
