"""Processing jobs: CreateProcessingJob records and the process that runs one (contract §4)."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from sagestep.errors import client_error
from sagestep.sagemaker.confine import (
    PROCESSING_BASE,
    ContainerPathError,
    confined_dir,
    container_path,
)
from sagestep.sagemaker.images import resolve_image
from sagestep.sagemaker.jobstate import read_message
from sagestep.sagemaker.runner import Exit, JobContext, JobFailure, Launch
from sagestep.sagemaker.staging import stage_s3

if TYPE_CHECKING:
    from sagestep.sagemaker.service import SageMakerService

KIND = "processing-job"
STATUS = "ProcessingJobStatus"
PREFIX = PROCESSING_BASE + "/"


class ProcessingJobs:
    """Create/describe/stop of processing jobs."""

    def __init__(self, svc: SageMakerService) -> None:
        self._svc = svc

    def create(self, req: dict[str, Any]) -> dict[str, Any]:
        op = "CreateProcessingJob"
        name = req["ProcessingJobName"]
        self._check(req, op)
        now = self._svc.clock.now()
        doc = copy.deepcopy(req)
        doc.pop("Tags", None)
        doc.update({
            "ProcessingJobArn": self._svc.arns.arn("processing-job", name), STATUS: "InProgress",
            "CreationTime": now, "LastModifiedTime": now,
            "SagestepLocal": {"Sandbox": self._svc.sandbox_mode},
        })
        self._svc.runner.create(ProcessingJob(self._svc, name), doc, op)
        return {"ProcessingJobArn": doc["ProcessingJobArn"]}

    def _check(self, req: dict[str, Any], op: str) -> None:
        app = req["AppSpecification"]
        resolve_image(app["ImageUri"], op)  # an image with no local mapping fails, listing the supported
        if not app.get("ContainerEntrypoint"):
            raise client_error("ValidationException", "AppSpecification.ContainerEntrypoint is required "
                               "locally (the local images have no default entrypoint), e.g. "
                               "[\"python3\", \"/opt/ml/processing/input/code/script.py\"]", op)
        for i, item in enumerate(req.get("ProcessingInputs", []), start=1):
            s3 = item.get("S3Input")
            if s3 is None:
                raise client_error("ValidationException", f"ProcessingInputs[{i}] ({item['InputName']}): only "
                                   "S3Input is supported locally", op)
            if s3.get("S3CompressionType") == "Gzip":
                raise client_error("ValidationException", f"ProcessingInputs[{i}].S3Input: S3CompressionType Gzip "
                                   "is only valid with S3InputMode Pipe, which the local runner does not support", op)
            if s3.get("S3InputMode") == "Pipe":
                raise client_error("ValidationException", f"ProcessingInputs[{i}].S3Input: S3InputMode "
                                   "must be File locally", op)
            _local_path(s3.get("LocalPath"), f"ProcessingInputs[{i}].S3Input.LocalPath", op)
        for i, out in enumerate(req.get("ProcessingOutputConfig", {}).get("Outputs", []), start=1):
            s3 = out.get("S3Output")
            if s3 is None:
                raise client_error("ValidationException", f"ProcessingOutputConfig.Outputs[{i}]: S3Output with "
                                   f"a LocalPath under {PREFIX} is required locally", op)
            _local_path(s3.get("LocalPath"), f"ProcessingOutputConfig.Outputs[{i}].S3Output.LocalPath", op)

    def describe(self, name: str) -> dict[str, Any]:
        doc = self._svc.records.get(KIND, name)
        if doc is None:
            raise client_error("ValidationException", f"Could not find requested job with name {name}",
                               "DescribeProcessingJob")
        if "WaitingFor" in (doc.get("SagestepLocal") or {}):
            self._svc.runner.poll_queue()  # a worker that polls a queued job admits it
        elif doc.get(STATUS) in ("InProgress", "Stopping"):
            self._svc.supervise(KIND, name)  # its watcher may have died: recover it now
        return doc

    def stop(self, name: str) -> None:
        doc = self.describe(name)
        if doc[STATUS] != "InProgress":
            raise client_error("ValidationException", f"The request was rejected because the processing job "
                               f"is in status {doc[STATUS]}.", "StopProcessingJob")

        def mark(d: dict[str, Any]) -> None:
            d[STATUS] = "Stopping"
            d["LastModifiedTime"] = self._svc.clock.now()

        self._svc.records.update(KIND, name, mark)
        self._svc.runner.signal_stop(KIND, name)


class ProcessingJob:
    """The runner's view of one processing job."""

    kind = KIND
    status_field = STATUS
    log_group = "/aws/sagemaker/ProcessingJobs"

    def __init__(self, svc: SageMakerService, name: str) -> None:
        self._svc, self.name = svc, name

    def max_runtime(self) -> float | None:
        doc = self._svc.records.get(KIND, self.name) or {}
        limit = doc.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        return float(limit) if limit else None

    def prepare(self, ctx: JobContext) -> Launch:
        doc = ctx.doc()
        sb = ctx.sandbox
        config = sb.host("/opt/ml/config")
        config.mkdir(parents=True, exist_ok=True)
        echo = {k: v for k, v in doc.items() if k not in ("SagestepLocal", STATUS, "CreationTime",
                                                          "LastModifiedTime")}
        (config / "processingjobconfig.json").write_text(json.dumps(echo))
        (config / "resourceconfig.json").write_text(json.dumps({"current_host": "algo-1", "hosts": ["algo-1"]}))
        sb.host("/opt/ml/output").mkdir(parents=True, exist_ok=True)
        for item in doc.get("ProcessingInputs", []):
            s3 = item["S3Input"]
            count = stage_s3(self._svc.object_store, s3["S3Uri"], s3["S3DataType"], sb.host(s3["LocalPath"]),
                             f"input {item['InputName']}")
            ctx.log(f"Downloaded {count} object(s) for input {item['InputName']} to {s3['LocalPath']}")
        for out in doc.get("ProcessingOutputConfig", {}).get("Outputs", []):
            sb.host(out["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
        app = doc["AppSpecification"]
        from sagestep.sagemaker.training_layout import image_runtime

        runtime = image_runtime(self._svc, ctx, resolve_image(app["ImageUri"], "CreateProcessingJob"))
        argv = runtime.argv(list(app["ContainerEntrypoint"]) + list(app.get("ContainerArguments") or []))
        env = dict(doc.get("Environment", {}))
        env.setdefault("PYTHONUNBUFFERED", "1")
        network = bool(doc.get("NetworkConfig", {}).get("EnableNetworkIsolation"))
        # The images set no WORKDIR: a processing container starts in / (its writable root).
        return Launch(argv, env, "/" if sb.mode == "bwrap" else "/opt/ml", network, runtime)

    def started(self, ctx: JobContext) -> None:
        def mark(d: dict[str, Any]) -> None:
            d["ProcessingStartTime"] = d["LastModifiedTime"] = ctx.clock.now()

        ctx.update(mark)

    def line(self, ctx: JobContext, line: str) -> None:
        return None

    def finish(self, ctx: JobContext, exit: Exit) -> None:
        ok = exit.cause == "exit" and exit.code == 0
        failure = None
        if ok:
            try:
                self._upload(ctx)
            except JobFailure as exc:
                ok, failure = False, str(exc)
        message = read_message(ctx.sandbox.workdir, ctx.sandbox.host("/opt/ml/output/message"))
        ctx.update(lambda d: self._final(d, exit, ok, failure, message, ctx))
        ctx.sandbox.discard()

    def _upload(self, ctx: JobContext) -> None:
        doc = ctx.doc()
        for out in doc.get("ProcessingOutputConfig", {}).get("Outputs", []):
            s3 = out["S3Output"]
            source = confined_dir(ctx.sandbox.workdir, ctx.sandbox.host(s3["LocalPath"]))
            if source is None:  # the job replaced its output dir by a symlink out of the job dir
                raise JobFailure(f"ClientError: output {out['OutputName']}: {s3['LocalPath']} is not a "
                                 "directory inside the container (a symlink out of /opt/ml?)")
            try:
                n = self._svc.object_store.upload_dir(source, s3["S3Uri"])
            except Exception as exc:
                raise JobFailure(f"ClientError: uploading output {out['OutputName']} to {s3['S3Uri']} "
                                 f"failed: {exc}") from exc
            ctx.log(f"Uploaded {n} file(s) of output {out['OutputName']} to {s3['S3Uri']}")

    def _final(self, d: dict[str, Any], exit: Exit, ok: bool, failure: str | None,
               message: str | None, ctx: JobContext) -> None:
        now = ctx.clock.now()
        d["ProcessingEndTime"] = d["LastModifiedTime"] = now
        if message:
            d["ExitMessage"] = message
        if ok:
            d[STATUS] = "Completed"
        elif exit.cause == "stopped":
            d[STATUS] = "Stopped"
        else:
            d[STATUS] = "Failed"
            d["FailureReason"] = (failure or _reason(d, exit))[:1024]


def _local_path(value: object, where: str, op: str) -> None:
    try:
        container_path(value, PROCESSING_BASE, where)
    except ContainerPathError as exc:
        raise client_error("ValidationException", str(exc), op) from exc


def _reason(d: dict[str, Any], exit: Exit) -> str:
    if exit.cause == "max_runtime":
        limit = d["StoppingCondition"]["MaxRuntimeInSeconds"]
        return (f"ClientError: MaxRuntimeExceeded: the job ran longer than "
                f"StoppingCondition.MaxRuntimeInSeconds ({limit} seconds) and was stopped")
    if exit.cause in ("error", "lost"):
        return exit.message
    # AWS's wording for a container that exits non-zero; details are in the job's logs.
    return f"AlgorithmError: See job logs for more information (exit code {exit.code})"
