"""Transform jobs: CreateTransformJob records and the job process the runner starts for each.

The job directory holds the staged model (/opt/ml/model, code at /opt/ml/code), the input objects (hard links
into the object store: no copy, and a stable snapshot), and the outputs the engine writes
(/opt/ml/output/transform). At the end every complete ``<key>.out`` is put under
S3OutputPath (relative path to the input prefix kept), also when another object failed.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagestep.errors import ServiceError, StoreError, client_error
from sagestep.sagemaker.confine import confined_dir
from sagestep.sagemaker.jobstate import read_message
from sagestep.sagemaker.runner import Exit, JobContext, JobFailure, Launch
from sagestep.serving.model_source import serving_runtime, stage_model
from sagestep.stores.objectstore import parse_uri, relative_key

if TYPE_CHECKING:
    from sagestep.sagemaker.service import SageMakerService

KIND = "transform-job"
STATUS = "TransformJobStatus"
OUTPUT_DIR = "/opt/ml/output/transform"


class TransformJobs:
    """Create/describe/stop of transform jobs (the service's ``transform``, see sagemaker.dataplane)."""

    def __init__(self, svc: SageMakerService) -> None:
        self._svc = svc

    def create(self, req: dict[str, Any]) -> dict[str, Any]:
        op = "CreateTransformJob"
        self._check(req, op)
        name = req["TransformJobName"]
        now = self._svc.clock.now()
        doc = copy.deepcopy(req)
        doc.pop("Tags", None)
        doc.update({
            "TransformJobArn": self._svc.arns.arn("transform-job", name), STATUS: "InProgress",
            "CreationTime": now, "LastModifiedTime": now,
            "SagestepLocal": {"Sandbox": self._svc.sandbox_mode},
        })
        self._svc.runner.create(TransformJob(self._svc, name), doc, op)
        return {"TransformJobArn": doc["TransformJobArn"]}

    def _check(self, req: dict[str, Any], op: str) -> None:
        def bad(message: str) -> Exception:
            error: Exception = client_error("ValidationException", message, op)
            return error

        if self._svc.records.get("model", req["ModelName"]) is None:
            raise bad(f"Could not find model \"{self._svc.arns.arn('model', req['ModelName'])}\".")
        payload, concurrent = req.get("MaxPayloadInMB"), req.get("MaxConcurrentTransforms")
        if payload is not None and payload > 100:
            raise bad("MaxPayloadInMB must be at most 100.")
        if payload and concurrent and payload * concurrent > 100:
            raise bad(f"MaxConcurrentTransforms ({concurrent}) x MaxPayloadInMB ({payload}) must "
                      "not exceed 100 MB.")
        tin, tout = req["TransformInput"], req["TransformOutput"]
        if tin.get("SplitType", "None") not in ("None", "Line"):
            raise bad(f"SplitType {tin['SplitType']} is not supported locally; use Line or None.")
        source = tin["DataSource"].get("S3DataSource")
        if source is None or source["S3DataType"] != "S3Prefix":
            raise bad("Only S3DataSource with S3DataType S3Prefix is supported locally.")
        processing = req.get("DataProcessing") or {}
        if any(processing.get(k, d) != d for k, d in
               (("InputFilter", "$"), ("OutputFilter", "$"), ("JoinSource", "None"))):
            if tin.get("SplitType") != "Line" or tout.get("AssembleWith") != "Line":
                raise bad("DataProcessing (InputFilter/OutputFilter/JoinSource) requires "
                          "TransformInput.SplitType=Line and TransformOutput.AssembleWith=Line.")
            ctype = (tin.get("ContentType") or "").split(";")[0]
            if ctype == "text/csv" and (tout.get("Accept") or "text/csv") != "text/csv":
                raise bad("For CSV, DataProcessing requires ContentType and Accept text/csv.")

    def job(self, name: str) -> TransformJob:
        """The job definition of ``name`` (recovery re-attaches to it after a restart)."""
        return TransformJob(self._svc, name)

    def describe(self, name: str) -> dict[str, Any]:
        doc = self._svc.records.get(KIND, name)
        if doc is None:
            raise client_error("ValidationException", f"Could not find requested job with name "
                               f"{name}", "DescribeTransformJob")
        if "WaitingFor" in (doc.get("SagestepLocal") or {}):
            self._svc.runner.poll_queue()  # a worker that polls a queued job admits it
        elif doc.get(STATUS) in ("InProgress", "Stopping"):
            self._svc.supervise(KIND, name)  # its watcher may have died: recover it now
        return doc

    def stop(self, name: str) -> None:
        doc = self.describe(name)
        if doc[STATUS] != "InProgress":
            return  # AWS: stopping a finished job is a no-op

        def mark(d: dict[str, Any]) -> None:
            d[STATUS] = "Stopping"
            d["LastModifiedTime"] = self._svc.clock.now()

        self._svc.records.update(KIND, name, mark)
        self._svc.runner.signal_stop(KIND, name)


def input_objects(svc: SageMakerService, uri: str) -> list[tuple[str, str]]:
    """(key, path relative to the prefix) of every input object, in key order."""
    bucket, prefix = parse_uri(uri)
    found = []
    for info in svc.object_store.list(bucket, prefix):
        name = info.key.rsplit("/", 1)[-1]
        if not name or name.startswith(".") or info.key.endswith("/"):
            continue
        found.append((info.key, relative_key(prefix, info.key)))
    return found


class TransformJob:
    """The runner's view of one transform job (see runner.JobDefinition)."""

    kind = KIND
    status_field = STATUS
    log_group = "/aws/sagemaker/TransformJobs"

    def __init__(self, svc: SageMakerService, name: str) -> None:
        self._svc, self.name = svc, name

    def max_runtime(self) -> float | None:
        return None

    def prepare(self, ctx: JobContext) -> Launch:
        doc = ctx.doc()
        box = ctx.sandbox
        model = self._svc.records.get("model", doc["ModelName"])
        if model is None:
            raise JobFailure(f"ClientError: model {doc['ModelName']} was deleted")
        env = dict(doc.get("Environment") or {})
        env["SAGEMAKER_BATCH"] = "true"
        for key, field in (("SAGEMAKER_MAX_PAYLOAD_IN_MB", "MaxPayloadInMB"),
                           ("SAGEMAKER_MAX_CONCURRENT_TRANSFORMS", "MaxConcurrentTransforms")):
            if doc.get(field) is not None:
                env[key] = str(doc[field])
        if doc.get("BatchStrategy"):
            env["SAGEMAKER_BATCH_STRATEGY"] = {"MultiRecord": "MULTI_RECORD"}.get(
                doc["BatchStrategy"], "SINGLE_RECORD")
        try:
            # As on AWS: the model at /opt/ml/model, submitted code at /opt/ml/code.
            spec = stage_model(self._svc, model, box.host("/opt/ml"), env,
                               visible=lambda p: box.inside(self._container(box, p)))
        except ServiceError as exc:
            raise JobFailure(f"ClientError: {exc}") from exc
        inputs = self._stage_inputs(ctx, doc)
        config = self._config(doc, spec, inputs, box)
        box.host("/opt/ml/transform.json").write_text(json.dumps(config))
        try:
            runtime = serving_runtime(self._svc, spec, model, ctx.log,
                                      box.host(spec.code_dir) if spec.code_dir else None)
        except ServiceError as exc:
            raise JobFailure(f"ClientError: {exc}") from exc
        return Launch(runtime.module("sagestep.serving.batch", box.inside("/opt/ml/transform.json")),
                      env=dict(spec.environment), cwd="/opt/ml",
                      network_isolation=bool(model.get("EnableNetworkIsolation")), runtime=runtime)

    @staticmethod
    def _container(box: Any, host: Path) -> str:
        return "/opt/ml/" + host.relative_to(box.workdir).as_posix()

    def _stage_inputs(self, ctx: JobContext, doc: dict[str, Any]) -> list[dict[str, str]]:
        uri = doc["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
        bucket = parse_uri(uri)[0]
        try:
            objects = input_objects(self._svc, uri)
        except StoreError as exc:
            raise JobFailure(f"ClientError: {exc}") from exc
        if not objects:
            raise JobFailure(f"ClientError: no input objects found under {uri}")
        staged = []
        for key, rel in objects:
            target = ctx.sandbox.host(f"/opt/ml/input/data/{rel}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            source = self._svc.object_store.path(bucket, key)
            try:
                os.link(source, target)  # no copy, and later overwrites don't change our view
            except OSError:
                shutil.copyfile(source, target)
            staged.append({"key": key, "path": ctx.sandbox.inside(f"/opt/ml/input/data/{rel}"),
                           "output": f"{rel}.out"})
        ctx.log(f"staged {len(staged)} input object(s) from {uri}")
        return staged

    def _config(self, doc: dict[str, Any], spec: Any, inputs: list[dict[str, str]],
                box: Any) -> dict[str, Any]:
        from dataclasses import asdict

        tin, tout = doc["TransformInput"], doc["TransformOutput"]
        return {
            "spec": asdict(spec), "inputs": inputs,
            "output_dir": box.inside(OUTPUT_DIR), "status_dir": box.inside("/opt/ml/output"),
            "split_type": tin.get("SplitType", "None"),
            "batch_strategy": doc.get("BatchStrategy"),
            "max_payload_mb": doc.get("MaxPayloadInMB"),
            "max_concurrent": doc.get("MaxConcurrentTransforms"),
            "content_type": tin.get("ContentType", ""), "accept": tout.get("Accept", ""),
            "assemble_with": tout.get("AssembleWith", "None"),
            "compression": tin.get("CompressionType", "None"),
            "data_processing": doc.get("DataProcessing") or {},
            "max_retries": (doc.get("ModelClientConfig") or {}).get("InvocationsMaxRetries", 0),
        }

    def started(self, ctx: JobContext) -> None:
        now = ctx.clock.now()
        ctx.update(lambda d: d.update({"TransformStartTime": now, "LastModifiedTime": now}))

    def line(self, ctx: JobContext, line: str) -> None:
        return None

    def finish(self, ctx: JobContext, exit: Exit) -> None:
        doc = ctx.doc()
        capture = doc.get("DataCaptureConfig")
        if capture and capture.get("GenerateInferenceId") and exit.cause == "exit" and exit.code == 0:
            self._inference_ids(ctx, doc)
        uploaded = self._upload(ctx, doc)
        if capture and exit.cause == "exit" and exit.code == 0:
            self._capture(ctx, doc, capture)
        peak = read_message(ctx.sandbox.workdir, ctx.sandbox.host("/opt/ml/output/peak_rss_kb"))
        failure = read_message(ctx.sandbox.workdir, ctx.sandbox.host("/opt/ml/output/failure"))

        def final(d: dict[str, Any]) -> None:
            now = ctx.clock.now()
            d["TransformEndTime"] = d["LastModifiedTime"] = now
            d.setdefault("TransformStartTime", now)
            d["SagestepLocal"].update({"OutputObjects": uploaded,
                                       "PeakMemoryKb": int(peak) if peak else None})
            if exit.cause == "stopped":
                d[STATUS] = "Stopped"
            elif exit.cause == "exit" and exit.code == 0:
                d[STATUS] = "Completed"
            else:
                d[STATUS] = "Failed"
                d["FailureReason"] = (failure or exit.message or
                                      f"AlgorithmError: the transform process exited with code "
                                      f"{exit.code}")[:1024]

        ctx.update(final)
        ctx.sandbox.discard()
        shutil.rmtree(ctx.sandbox.host("/opt/ml/input"), ignore_errors=True)
        shutil.rmtree(ctx.sandbox.host(OUTPUT_DIR), ignore_errors=True)

    def _inference_ids(self, ctx: JobContext, doc: dict[str, Any]) -> None:
        from sagestep.serving.batch_capture import add_inference_ids, stamp

        out_dir = ctx.sandbox.host(OUTPUT_DIR)
        start = stamp(doc.get("TransformStartTime") or ctx.clock.now())
        for path in sorted(out_dir.rglob("*.out")) if out_dir.is_dir() else []:
            add_inference_ids(path, doc["TransformOutput"].get("Accept", ""), start)

    def _capture(self, ctx: JobContext, doc: dict[str, Any], capture: dict[str, Any]) -> None:
        from sagestep.serving.batch_capture import stamp, write_manifests

        source = doc["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
        inputs = [rel for _, rel in input_objects(self._svc, source)]
        output = doc["TransformOutput"]["S3OutputPath"]
        outputs = [f"{rel}.out" for rel in inputs
                   if self._svc.object_store.exists(*_joined(output, f"{rel}.out"))]
        start = stamp(doc.get("TransformStartTime") or ctx.clock.now())
        try:
            written = write_manifests(self._svc.object_store, capture, self.name, start,
                                      (source, inputs), (output, outputs))
        except StoreError as exc:  # as on AWS, capture never fails the job itself
            ctx.log(f"data capture skipped: {exc}")
            return
        ctx.log(f"data capture manifests: {', '.join(written)}")

    def _upload(self, ctx: JobContext, doc: dict[str, Any]) -> int:
        # The model's code ran in the job: its output dir may be a symlink out of the job dir,
        # and a *.out entry a symlink to a host file, which adopting would put in the store.
        out_dir = confined_dir(ctx.sandbox.workdir, ctx.sandbox.host(OUTPUT_DIR))
        bucket, prefix = parse_uri(doc["TransformOutput"]["S3OutputPath"])
        prefix = prefix.rstrip("/")
        count = 0
        if out_dir is None:
            return 0
        for path in sorted(out_dir.rglob("*.out")):
            if path.is_symlink() or not path.is_file():
                continue
            rel = path.relative_to(out_dir).as_posix()
            # Rename into the store (same filesystem): no copy of multi-GB outputs.
            self._svc.object_store.adopt_file(bucket, f"{prefix}/{rel}" if prefix else rel, path)
            count += 1
        return count


def _joined(prefix_uri: str, rel: str) -> tuple[str, str]:
    bucket, prefix = parse_uri(prefix_uri)
    prefix = prefix.rstrip("/")
    return bucket, f"{prefix}/{rel}" if prefix else rel
