"""boto3 ``sagemaker`` methods for hyper-parameter tuning jobs."""

from __future__ import annotations

from typing import Any

from sagestep.sagemaker.api import ApiBase
from sagestep.sagemaker.listing import filter_sort_page, with_token
from sagestep.sagemaker.records import response
from sagestep.sagemaker.training_api import public


def _objective(s: dict[str, Any]) -> float:
    metric = s.get("FinalHyperParameterTuningJobObjectiveMetric")
    return float(metric["Value"]) if metric else float("-inf")


class TuningApi(ApiBase):
    """create/describe/list/stop_hyper_parameter_tuning_job(s), list_training_jobs_for_..."""

    def create_hyper_parameter_tuning_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("CreateHyperParameterTuningJob", params)
        return response(self._svc.tuning.create(req))

    def describe_hyper_parameter_tuning_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("DescribeHyperParameterTuningJob", params)
        return response(public(self._svc.tuning.describe(req["HyperParameterTuningJobName"])))

    def stop_hyper_parameter_tuning_job(self, **params: Any) -> dict[str, Any]:
        req = self._request("StopHyperParameterTuningJob", params)
        self._svc.tuning.stop(req["HyperParameterTuningJobName"])
        return response({})

    def list_hyper_parameter_tuning_jobs(self, **params: Any) -> dict[str, Any]:
        req = self._request("ListHyperParameterTuningJobs", params)
        docs = self._svc.records.list("tuning-job")
        page, token = filter_sort_page(docs, req, name_key="HyperParameterTuningJobName",
                                       status_key="HyperParameterTuningJobStatus",
                                       operation="ListHyperParameterTuningJobs")
        keys = ("HyperParameterTuningJobName", "HyperParameterTuningJobArn", "HyperParameterTuningJobStatus",
                "CreationTime", "HyperParameterTuningEndTime", "LastModifiedTime",
                "TrainingJobStatusCounters", "ObjectiveStatusCounters")
        summaries = [{k: d[k] for k in keys if k in d} for d in page]
        for s, d in zip(summaries, page, strict=True):
            s["Strategy"] = d["HyperParameterTuningJobConfig"]["Strategy"]
            s["ResourceLimits"] = d["HyperParameterTuningJobConfig"]["ResourceLimits"]
        return response(with_token({"HyperParameterTuningJobSummaries": summaries}, token))

    def list_training_jobs_for_hyper_parameter_tuning_job(self, **params: Any) -> dict[str, Any]:
        op = "ListTrainingJobsForHyperParameterTuningJob"
        req = self._request(op, params)
        children = self._svc.tuning.children(req["HyperParameterTuningJobName"])
        page, token = filter_sort_page(
            children, req, name_key="TrainingJobName", status_key="TrainingJobStatus", operation=op,
            sort_keys={"FinalObjectiveMetricValue": _objective})
        return response(with_token({"TrainingJobSummaries": page}, token))
