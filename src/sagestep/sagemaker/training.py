"""Training jobs: CreateTrainingJob records and the process that runs one (container contract §2-3)."""

from __future__ import annotations

import copy
from collections import deque
from typing import TYPE_CHECKING, Any

from sagestep.errors import client_error
from sagestep.sagemaker.confine import (
    CONTAINER_BASE,
    ContainerPathError,
    confined_dir,
    container_path,
    path_segment,
)
from sagestep.sagemaker.images import resolve_image
from sagestep.sagemaker.jobstate import read_message, tail, transition
from sagestep.sagemaker.metrics import MetricScraper, bad_regex
from sagestep.sagemaker.runner import Exit, JobContext, Launch
from sagestep.sagemaker.staging import has_files, upload_tarball
from sagestep.sagemaker.training_layout import build_launch

if TYPE_CHECKING:
    from sagestep.sagemaker.service import SageMakerService

KIND = "training-job"
STATUS = "TrainingJobStatus"
DEFAULT_MAX_RUNTIME = 86_400


class TrainingJobs:
    """Create/describe/list/stop of training jobs."""

    def __init__(self, svc: SageMakerService) -> None:
        self._svc = svc

    def create(self, req: dict[str, Any], tuning_job_arn: str | None = None) -> dict[str, Any]:
        op = "CreateTrainingJob"
        name = req["TrainingJobName"]
        self._check(req, op)
        now = self._svc.clock.now()
        doc = copy.deepcopy(req)
        doc.pop("Tags", None)
        doc.setdefault("StoppingCondition", {}).setdefault("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME)
        doc.setdefault("HyperParameters", {})
        doc.setdefault("EnableNetworkIsolation", False)
        doc.setdefault("EnableInterContainerTrafficEncryption", False)
        doc.setdefault("EnableManagedSpotTraining", False)
        doc.update({
            "TrainingJobArn": self._svc.arns.arn("training-job", name),
            STATUS: "InProgress", "SecondaryStatus": "Starting",
            "ModelArtifacts": {"S3ModelArtifacts": ""}, "CreationTime": now,
            "LastModifiedTime": now, "SecondaryStatusTransitions": [],
            "SagestepLocal": {"Sandbox": self._svc.sandbox_mode},
        })
        doc["ModelArtifacts"] = {"S3ModelArtifacts": _model_uri(req)}
        if tuning_job_arn:
            doc["TuningJobArn"] = tuning_job_arn
        transition(doc, "Starting", "Preparing the instances for training", now)
        self._svc.runner.create(TrainingJob(self._svc, name), doc, op)
        return {"TrainingJobArn": doc["TrainingJobArn"]}

    def _check(self, req: dict[str, Any], op: str) -> None:
        algo = req["AlgorithmSpecification"]
        if not algo.get("TrainingImage"):
            raise client_error("ValidationException", "AlgorithmSpecification.AlgorithmName (marketplace "
                               "algorithms) is not supported locally; give TrainingImage", op)
        resolve_image(algo["TrainingImage"], op)
        modes = {algo["TrainingInputMode"]} | {c.get("InputMode") for c in req.get("InputDataConfig", [])}
        if "Pipe" in modes:
            raise client_error("ValidationException", "Pipe input mode is not supported by the local "
                               "runner; use File or FastFile", op)
        problem = bad_regex(algo.get("MetricDefinitions", []))
        if problem:
            raise client_error("ValidationException", problem, op)
        check_container_paths(req, op)
        for ch in req.get("InputDataConfig", []):
            if ch.get("CompressionType") == "Gzip":
                raise client_error("ValidationException", f"channel {ch['ChannelName']}: CompressionType Gzip is "
                                   "used only in Pipe input mode; in File mode leave it unset or None", op)
            if "S3DataSource" not in ch["DataSource"]:
                raise client_error("ValidationException", f"channel {ch['ChannelName']}: only "
                                   "S3DataSource is supported locally", op)

    def describe(self, name: str) -> dict[str, Any]:
        doc = self._svc.records.get(KIND, name)
        if doc is None:
            raise client_error("ValidationException", "Requested resource not found.", "DescribeTrainingJob")
        if "WaitingFor" in (doc.get("SagestepLocal") or {}):
            self._svc.runner.poll_queue()  # a worker that polls a queued job admits it
        elif doc.get(STATUS) in ("InProgress", "Stopping"):
            self._svc.supervise(KIND, name)  # its watcher may have died: recover it now
        return doc

    def stop(self, name: str) -> None:
        op = "StopTrainingJob"
        doc = self.describe(name)
        if doc[STATUS] != "InProgress":
            raise client_error("ValidationException", f"The request was rejected because the training job "
                               f"is in status {doc[STATUS]}.", op)

        def mark(d: dict[str, Any]) -> None:
            d[STATUS] = "Stopping"
            transition(d, "Stopping", "Stopping the training job", self._svc.clock.now())

        self._svc.records.update(KIND, name, mark)
        self._svc.runner.signal_stop(KIND, name)


def state_change_detail(doc: dict[str, Any]) -> dict[str, Any]:
    """The detail of "SageMaker Training Job State Change": Describe-like, times in epoch ms."""
    keep = ("TrainingJobName", "TrainingJobArn", "TrainingJobStatus", "SecondaryStatus", "FailureReason",
            "HyperParameters", "AlgorithmSpecification", "InputDataConfig", "OutputDataConfig",
            "ResourceConfig", "StoppingCondition", "ModelArtifacts", "TuningJobArn")
    detail = {k: doc[k] for k in keep if k in doc}
    for key in ("CreationTime", "TrainingStartTime", "TrainingEndTime", "LastModifiedTime"):
        if key in doc:
            detail[key] = str(int(doc[key] * 1000))
    return detail


def check_container_paths(definition: dict[str, Any], op: str) -> None:
    """ValidationException unless channel names and the checkpoint path stay in /opt/ml."""
    try:
        for i, ch in enumerate(definition.get("InputDataConfig") or [], start=1):
            path_segment(ch.get("ChannelName"), f"InputDataConfig[{i}].ChannelName")
        if definition.get("CheckpointConfig"):
            container_path(definition["CheckpointConfig"].get("LocalPath", "/opt/ml/checkpoints"),
                           CONTAINER_BASE, "CheckpointConfig.LocalPath")
    except ContainerPathError as exc:
        raise client_error("ValidationException", str(exc), op) from exc


def metric_definitions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The user's MetricDefinitions plus, in algorithm mode, the built-in's own (AWS publishes both)."""
    algo = doc.get("AlgorithmSpecification", {})
    defs = list(algo.get("MetricDefinitions", []))
    hps = doc.get("HyperParameters", {})
    script = "sagemaker_program" in hps or "SAGEMAKER_PROGRAM" in doc.get("Environment", {})
    image = algo.get("TrainingImage")
    if image and not script and not algo.get("ContainerEntrypoint"):
        try:
            resolved = resolve_image(image, "CreateTrainingJob")
        except Exception:  # noqa: BLE001 - unmapped images fail at create time
            return defs
        names = {d["Name"] for d in defs}
        defs += [d for d in resolved.builtin_metric_definitions() if d["Name"] not in names]
    return defs


def _model_uri(req: dict[str, Any]) -> str:
    base = req["OutputDataConfig"]["S3OutputPath"].rstrip("/")
    if req["OutputDataConfig"].get("CompressionType") == "NONE":
        # uncompressed artifacts land as files under a prefix (layout unconfirmed, reference §2.7)
        return f"{base}/{req['TrainingJobName']}/output/model/"
    return f"{base}/{req['TrainingJobName']}/output/model.tar.gz"


class TrainingJob:
    """The runner's view of one training job (see runner.JobDefinition)."""

    kind = KIND
    status_field = STATUS
    log_group = "/aws/sagemaker/TrainingJobs"

    def __init__(self, svc: SageMakerService, name: str) -> None:
        self._svc, self.name = svc, name
        self._scraper_: MetricScraper | None = None
        self._recent: deque[str] = deque(maxlen=20)
        self._script_mode = False
        self._command = ""

    @property
    def _scraper(self) -> MetricScraper:
        # Built on first use: the definition exists before its record is stored (runner.create).
        if self._scraper_ is None:
            doc = self._svc.records.get(KIND, self.name) or {}
            self._scraper_ = MetricScraper(metric_definitions(doc))
        return self._scraper_

    def max_runtime(self) -> float | None:
        doc = self._svc.records.get(KIND, self.name) or {}
        return float(doc.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME))

    def prepare(self, ctx: JobContext) -> Launch:
        ctx.update(lambda d: transition(d, "Downloading", "Downloading input data", ctx.clock.now()))
        launch, script_mode = build_launch(self._svc, ctx, ctx.doc())
        self._script_mode, self._command = script_mode, " ".join(launch.argv)
        return launch

    def started(self, ctx: JobContext) -> None:
        def mark(d: dict[str, Any]) -> None:
            now = ctx.clock.now()
            d["TrainingStartTime"] = now
            transition(d, "Training", "Training image download completed. Training in progress.", now)

        ctx.update(mark)

    def line(self, ctx: JobContext, line: str) -> None:
        self._recent.append(line)
        self._scraper.feed(line, ctx.clock.now())

    def finish(self, ctx: JobContext, exit: Exit) -> None:
        doc = ctx.doc()
        ok = exit.cause == "exit" and exit.code == 0
        if ok or exit.cause in ("stopped", "max_runtime"):
            ctx.update(lambda d: transition(d, "Uploading", "Uploading generated training model",
                                            ctx.clock.now()))
            self._upload(ctx, doc)
        final = ctx.update(lambda d: self._final(d, exit, ctx))
        self._svc.events.emit("SageMaker Training Job State Change", [final["TrainingJobArn"]],
                              state_change_detail(final))
        ctx.sandbox.discard()

    def _upload(self, ctx: JobContext, doc: dict[str, Any]) -> None:
        # Each directory is checked to be a real one inside the job dir: the job may have
        # replaced it by a symlink to a host directory.
        root = ctx.sandbox.workdir
        model_uri = doc["ModelArtifacts"]["S3ModelArtifacts"]
        model = confined_dir(root, ctx.sandbox.host("/opt/ml/model"))
        if model is not None and model_uri.endswith("/"):
            self._svc.object_store.upload_dir(model, model_uri)
        elif model is not None:
            upload_tarball(self._svc.object_store, model, model_uri)
        checkpoint = doc.get("CheckpointConfig")
        if checkpoint:
            local = confined_dir(root, ctx.sandbox.host(checkpoint.get("LocalPath", "/opt/ml/checkpoints")))
            if local is not None:
                self._svc.object_store.upload_dir(local, checkpoint["S3Uri"])
        data = confined_dir(root, ctx.sandbox.host("/opt/ml/output/data"))
        if data is not None and has_files(data):
            output_uri = model_uri.rsplit("/model", 1)[0] + "/output.tar.gz"
            upload_tarball(self._svc.object_store, data, output_uri)

    def _final(self, d: dict[str, Any], exit: Exit, ctx: JobContext) -> None:
        now = ctx.clock.now()
        d["TrainingEndTime"] = now
        start = d.get("TrainingStartTime", now)
        d["TrainingTimeInSeconds"] = d["BillableTimeInSeconds"] = max(1, int(round(now - start)))
        d["FinalMetricDataList"] = self._scraper.final()
        if exit.cause == "exit" and exit.code == 0:
            d[STATUS] = "Completed"
            transition(d, "Completed", "Training job completed", now)
        elif exit.cause == "stopped":
            d[STATUS] = "Stopped"
            transition(d, "Stopped", "The training job has stopped.", now)
        elif exit.cause == "max_runtime":
            # AWS lists MaxRuntimeExceeded under the primary status Stopped (API_SecondaryStatusTransition).
            d[STATUS] = "Stopped"
            limit = d["StoppingCondition"]["MaxRuntimeInSeconds"]
            transition(d, "MaxRuntimeExceeded", "The job stopped because it exceeded the maximum "
                       f"allowed runtime of {limit} seconds (StoppingCondition.MaxRuntimeInSeconds).", now)
        else:
            d[STATUS] = "Failed"
            d["FailureReason"] = self._failure_reason(ctx, exit)
            transition(d, "Failed", "Training job failed", now)

    def _failure_reason(self, ctx: JobContext, exit: Exit) -> str:
        if exit.cause in ("error", "lost"):
            return exit.message[:1024]
        written = read_message(ctx.sandbox.workdir, ctx.sandbox.host("/opt/ml/output/failure"))
        if written and written.startswith(("AlgorithmError:", "ClientError:")):
            return written[:1024]
        if written:
            return f"AlgorithmError: {written}"[:1024]
        if self._script_mode:
            # The training toolkit's ExecuteUserScriptError text (reference section 3.4).
            return (f"AlgorithmError: ExecuteUserScriptError:\nExitCode {exit.code}\nErrorMessage "
                    f"\"{tail(list(self._recent))}\"\nCommand \"{self._command}\"")[:1024]
        return (f"AlgorithmError: the training process exited with code {exit.code}. "
                f"Last log lines:\n{tail(list(self._recent))}")[:1024]
