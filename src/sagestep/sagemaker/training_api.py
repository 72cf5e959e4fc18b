"""boto3 ``sagemaker`` methods for training jobs."""

from __future__ import annotations

from typing import Any

from sagestep.sagemaker.api import ApiBase
from sagestep.sagemaker.listing import filter_sort_page, with_token
from sagestep.sagemaker.records import response


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document without sagestep's private keys (those starting with '_')."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


class TrainingApi(ApiBase):
    """create/describe/list/stop_training_job."""

    def create_training_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("CreateTrainingJob", params)
        return response(self._svc.training.create(req))

    def describe_training_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("DescribeTrainingJob", params)
        return response(public(self._svc.training.describe(req["TrainingJobName"])))

    def stop_training_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("StopTrainingJob", params)
        self._svc.training.stop(req["TrainingJobName"])
        return response({})

    def list_training_jobs(self, **params: Any) -> dict[str, Any]:
        req = self._request("ListTrainingJobs", params)
        docs = self._svc.records.list("training-job")
        page, token = filter_sort_page(docs, req, name_key="TrainingJobName", status_key="TrainingJobStatus",
                                       operation="ListTrainingJobs")
        keys = ("TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingEndTime",
                "LastModifiedTime", "TrainingJobStatus", "SecondaryStatus")
        summaries = [{k: d[k] for k in keys if k in d} for d in page]
        return response(with_token({"TrainingJobSummaries": summaries}, token))
