"""Hyper-parameter tuning jobs: a controller thread launching child training jobs.

Children are ordinary training jobs named ``<tuning-name>-<NNN>-<8 hex>`` with
``_tuning_objective_metric`` plus the tuned values merged into the static hyperparameters;
the objective is the child's final value of the metric (FinalMetricDataList).
"""

from __future__ import annotations

import copy
import os
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from sagestep.errors import client_error
from sagestep.sagemaker.process import alive, proc_start
from sagestep.sagemaker.training import check_container_paths, metric_definitions
from sagestep.sagemaker.tuning_objective import objective_value
from sagestep.sagemaker.tuning_summary import counters, summary
from sagestep.stores.sqlite import transaction

if TYPE_CHECKING:
    from sagestep.sagemaker.service import SageMakerService

KIND = "tuning-job"
STATUS = "HyperParameterTuningJobStatus"
_POLL_S = 0.05
_CHILD_FIELDS = ("AlgorithmSpecification", "RoleArn", "InputDataConfig", "VpcConfig", "OutputDataConfig",
                 "ResourceConfig", "StoppingCondition", "EnableNetworkIsolation",
                 "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining",
                 "CheckpointConfig", "RetryStrategy", "Environment")


class TuningJobs:
    """Create/describe/list/stop of tuning jobs and their controllers."""

    def __init__(self, svc: SageMakerService) -> None:
        self._svc = svc
        self._threads: dict[str, threading.Thread] = {}

    def create(self, req: dict[str, Any]) -> dict[str, Any]:
        op = "CreateHyperParameterTuningJob"
        name = req["HyperParameterTuningJobName"]
        self._check(req, op)
        now = self._svc.clock.now()
        doc = copy.deepcopy(req)
        doc.pop("Tags", None)
        if "TrainingJobDefinitions" in doc:
            doc["TrainingJobDefinition"] = doc.pop("TrainingJobDefinitions")[0]
        doc.update({
            "HyperParameterTuningJobArn": self._svc.arns.arn("hyper-parameter-tuning-job", name),
            STATUS: "InProgress", "CreationTime": now, "LastModifiedTime": now,
            "TrainingJobStatusCounters": counters([])[0], "ObjectiveStatusCounters": counters([])[1],
            "_children": [],
        })
        self._svc.records.insert(KIND, name, doc, op)
        self._start(name)
        return {"HyperParameterTuningJobArn": doc["HyperParameterTuningJobArn"]}

    def _check(self, req: dict[str, Any], op: str) -> None:
        cfg = req["HyperParameterTuningJobConfig"]
        defs = req.get("TrainingJobDefinitions") or ([req["TrainingJobDefinition"]]
                                                     if req.get("TrainingJobDefinition") else [])
        if len(defs) != 1:
            raise client_error("ValidationException", "exactly one training job definition is supported "
                               "locally (TrainingJobDefinition, or TrainingJobDefinitions with one item)", op)
        check_container_paths(defs[0], op)
        for field in ("WarmStartConfig", "Autotune"):
            if req.get(field):
                raise client_error("ValidationException", f"{field} is not supported by the local tuner; "
                                   "remove it to tune locally", op)
        if cfg["Strategy"] not in ("Bayesian", "Random", "Grid"):
            raise client_error("ValidationException", f"Strategy {cfg['Strategy']} is not supported locally; "
                               "use Bayesian, Random or Grid", op)
        ranges = cfg.get("ParameterRanges") or defs[0].get("HyperParameterRanges") or {}
        cfg["ParameterRanges"] = ranges
        if cfg["Strategy"] == "Grid" and (ranges.get("IntegerParameterRanges") or
                                          ranges.get("ContinuousParameterRanges")):
            raise client_error("ValidationException", "Grid search supports only CategoricalParameterRanges", op)
        from sagestep.sagemaker.search import range_problem  # optuna: imported when tuning is used

        problem = range_problem(ranges)
        if problem:
            raise client_error("ValidationException", problem, op)
        objective = cfg.get("HyperParameterTuningJobObjective") or defs[0].get("TuningObjective")
        if not objective:
            raise client_error("ValidationException", "HyperParameterTuningJobObjective is required", op)
        cfg["HyperParameterTuningJobObjective"] = objective
        names = {m["Name"] for m in metric_definitions(
            {"AlgorithmSpecification": defs[0]["AlgorithmSpecification"],
             "HyperParameters": defs[0].get("StaticHyperParameters", {}),
             "Environment": defs[0].get("Environment", {})})}
        if objective["MetricName"] not in names:
            raise client_error("ValidationException", f"The objective metric {objective['MetricName']} is not "
                               f"defined in AlgorithmSpecification.MetricDefinitions ({sorted(names)})", op)
        if cfg["Strategy"] != "Grid" and not cfg["ResourceLimits"].get("MaxNumberOfTrainingJobs"):
            raise client_error("ValidationException", "ResourceLimits.MaxNumberOfTrainingJobs is required "
                               "for the Bayesian and Random strategies", op)

    def describe(self, name: str) -> dict[str, Any]:
        doc = self._svc.records.get(KIND, name)
        if doc is None:
            raise client_error("ResourceNotFound", f"Amazon SageMaker can't find a tuning job with name {name}",
                               "DescribeHyperParameterTuningJob")
        return doc

    def stop(self, name: str) -> None:
        doc = self.describe(name)
        if doc[STATUS] != "InProgress":
            raise client_error("ValidationException", f"The tuning job {name} is in status {doc[STATUS]} "
                               "and cannot be stopped.", "StopHyperParameterTuningJob")
        self._svc.records.update(KIND, name, lambda d: d.update({STATUS: "Stopping",
                                                                 "LastModifiedTime": self._svc.clock.now()}))

    def children(self, name: str) -> list[dict[str, Any]]:
        """HyperParameterTrainingJobSummary of every child, in launch order."""
        doc = self.describe(name)
        out = []
        for child in doc["_children"]:
            rec = self._svc.records.get("training-job", child["name"])
            if rec is not None:
                out.append(summary(rec, name, child["tuned"], doc["HyperParameterTuningJobConfig"]))
        return out

    def wait(self, name: str, timeout: float | None = None) -> None:
        thread = self._threads.get(name)
        if thread is not None:
            thread.join(timeout)

    def resume(self) -> None:
        """Restart controllers whose worker died (children are re-attached by recovery)."""
        for doc in self._svc.records.list(KIND):
            if doc[STATUS] in ("InProgress", "Stopping"):
                owner = self._owner(doc["HyperParameterTuningJobName"])
                if owner is None or not (owner[0] == os.getpid() or alive(*owner)):
                    self._start(doc["HyperParameterTuningJobName"])

    def _owner(self, name: str) -> tuple[int, str] | None:
        with self._svc.records.connection() as conn:
            row = conn.execute("SELECT owner_pid, owner_start FROM sm_runs WHERE kind=? AND name=?",
                               (KIND, name)).fetchone()
        return None if row is None else (row[0], row[1] or "")

    def _start(self, name: str) -> None:
        with self._svc.records.connection() as conn, transaction(conn):
            conn.execute("INSERT OR REPLACE INTO sm_runs (kind, name, owner_pid, owner_start) VALUES (?,?,?,?)",
                         (KIND, name, os.getpid(), proc_start(os.getpid())))
        thread = threading.Thread(target=_Controller(self._svc, name).run, name=f"tuning:{name}", daemon=True)
        self._threads[name] = thread
        thread.start()


class _Controller:
    """Launches children up to the parallel limit, tells the search their objectives."""

    def __init__(self, svc: SageMakerService, name: str) -> None:
        self._svc, self._name = svc, name
        doc = svc.records.get(KIND, name) or {}
        self._cfg = doc["HyperParameterTuningJobConfig"]
        self._definition = doc["TrainingJobDefinition"]
        from sagestep.sagemaker.search import GridSearch, make_search

        self._search = make_search(self._cfg)
        limits = self._cfg["ResourceLimits"]
        grid = self._search.size if isinstance(self._search, GridSearch) else None
        self._max_jobs = min(x for x in (limits.get("MaxNumberOfTrainingJobs"), grid) if x)
        # Children beyond the machine's slots wait in the local job queue; none is refused,
        # so none of MaxNumberOfTrainingJobs is spent on a child that never ran.
        self._parallel = max(1, limits["MaxParallelTrainingJobs"])
        self._deadline = time.monotonic() + limits.get("MaxRuntimeInSeconds", 15_768_000)
        self._handles: dict[str, Any] = {}
        self._last: Any = None

    def run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 - the tuning job must not hang InProgress
            reason = f"InternalServerError: {type(exc).__name__}: {exc}"
            self._svc.records.update(KIND, self._name, lambda d: d.update(
                {STATUS: "Failed", "FailureReason": reason,
                 "HyperParameterTuningEndTime": self._svc.clock.now()}))

    def _loop(self) -> None:
        done: set[str] = set()
        while True:
            doc = self._svc.records.get(KIND, self._name) or {}
            children = doc["_children"]
            running = [c for c in children if not self._terminal(c["name"], done)]
            self._refresh()
            doc = self._svc.records.get(KIND, self._name) or {}
            stopping = doc[STATUS] == "Stopping" or time.monotonic() > self._deadline
            if self._target_reached(doc) and not stopping:
                if not running:
                    break
            elif stopping:
                for c in running:
                    self._stop_child(c["name"])
            elif not running and len(children) >= self._max_jobs:
                break
            else:
                for _ in range(min(self._parallel - len(running), self._max_jobs - len(children))):
                    self._launch(len(doc["_children"]) + 1)
                    doc = self._svc.records.get(KIND, self._name) or {}
            if stopping and not running:
                break
            time.sleep(_POLL_S)
        self._complete()

    def _target_reached(self, doc: dict[str, Any]) -> bool:
        """TuningJobCompletionCriteria.TargetObjectiveMetricValue met by the best job so far."""
        target = self._cfg.get("TuningJobCompletionCriteria", {}).get("TargetObjectiveMetricValue")
        best = doc.get("BestTrainingJob")
        if target is None or best is None:
            return False
        value = best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        maximize = self._cfg["HyperParameterTuningJobObjective"]["Type"] == "Maximize"
        return bool(value >= target if maximize else value <= target)

    def _terminal(self, child: str, done: set[str]) -> bool:
        if child in done:
            return True
        rec = self._svc.records.get("training-job", child)
        if rec is None or rec["TrainingJobStatus"] not in ("Completed", "Failed", "Stopped"):
            return False
        done.add(child)
        value = objective_value(rec, self._cfg["HyperParameterTuningJobObjective"]["MetricName"])
        if child in self._handles:
            self._search.tell(self._handles.pop(child), value if rec["TrainingJobStatus"] == "Completed" else None)
        return True

    def _launch(self, number: int) -> None:
        proposal = self._search.propose()
        child = f"{self._name}-{number:03d}-{uuid.uuid4().hex[:8]}"
        d = self._definition
        req: dict[str, Any] = {k: copy.deepcopy(d[k]) for k in _CHILD_FIELDS if k in d}
        req["TrainingJobName"] = child
        hps = dict(d.get("StaticHyperParameters", {}))
        hps.update(proposal.values)
        hps["_tuning_objective_metric"] = self._cfg["HyperParameterTuningJobObjective"]["MetricName"]
        req["HyperParameters"] = hps
        self._handles[child] = proposal.handle
        self._svc.records.update(KIND, self._name, lambda doc: doc["_children"].append(
            {"name": child, "tuned": proposal.values}))
        try:
            self._svc.validator.validate("CreateTrainingJob", req)
            arn = (self._svc.records.get(KIND, self._name) or {})["HyperParameterTuningJobArn"]
            self._svc.training.create(req, tuning_job_arn=arn)
        except Exception as exc:  # noqa: BLE001 - recorded as a failed child, as AWS would
            self._record_failed_child(req, str(exc))

    def _record_failed_child(self, req: dict[str, Any], reason: str) -> None:
        now = self._svc.clock.now()
        doc = dict(req, TrainingJobArn=self._svc.arns.arn("training-job", req["TrainingJobName"]),
                   TrainingJobStatus="Failed", SecondaryStatus="Failed", FailureReason=reason[:1024],
                   CreationTime=now, LastModifiedTime=now, ModelArtifacts={"S3ModelArtifacts": ""})
        self._svc.records.insert("training-job", req["TrainingJobName"], doc, "CreateTrainingJob")

    def _stop_child(self, child: str) -> None:
        rec = self._svc.records.get("training-job", child)
        if rec is not None and rec["TrainingJobStatus"] == "InProgress":
            self._svc.training.stop(child)

    def _refresh(self) -> None:
        summaries = self._summaries()
        jobs, objectives = counters(summaries)
        best = _best(summaries, self._cfg["HyperParameterTuningJobObjective"]["Type"])
        if (jobs, objectives, best) == self._last:
            return  # nothing changed: skip the write (the controller polls every 50 ms)
        self._last = (jobs, objectives, best)

        def mark(d: dict[str, Any]) -> None:
            d["TrainingJobStatusCounters"], d["ObjectiveStatusCounters"] = jobs, objectives
            if best is not None:
                d["BestTrainingJob"] = best
            d["LastModifiedTime"] = self._svc.clock.now()

        self._svc.records.update(KIND, self._name, mark)

    def _summaries(self) -> list[dict[str, Any]]:
        doc = self._svc.records.get(KIND, self._name) or {}
        out = []
        for c in doc["_children"]:
            rec = self._svc.records.get("training-job", c["name"])
            if rec is not None:
                out.append(summary(rec, self._name, c["tuned"], self._cfg))
        return out

    def _complete(self) -> None:
        self._refresh()
        summaries = self._summaries()
        succeeded = any(s.get("ObjectiveStatus") == "Succeeded" for s in summaries)

        def mark(d: dict[str, Any]) -> None:
            now = self._svc.clock.now()
            d["HyperParameterTuningEndTime"] = d["LastModifiedTime"] = now
            if d[STATUS] == "Stopping":
                d[STATUS] = "Stopped"
            elif succeeded:
                d[STATUS] = "Completed"
            else:
                d[STATUS] = "Failed"
                d["FailureReason"] = ("No training job succeeded with a value for the objective metric "
                                      f"{self._cfg['HyperParameterTuningJobObjective']['MetricName']}")

        self._svc.records.update(KIND, self._name, mark)


def _best(summaries: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    scored = [s for s in summaries if s.get("ObjectiveStatus") == "Succeeded"]
    if not scored:
        return None
    key = lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]  # noqa: E731
    return max(scored, key=key) if kind == "Maximize" else min(scored, key=key)
