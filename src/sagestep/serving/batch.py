"""The batch transform engine: stream input objects through the model in mini-batches.

Runs as the transform job's process (``python -m sagestep.serving.batch <config.json>``)
with the model loaded once in-process through the same handler a model server uses, and
the environment a transform container gets (``SAGEMAKER_BATCH=true``, ...).

Memory is bounded whatever the input size: files are read in blocks, a mini-batch holds
at most MaxPayloadInMB of whole records (SplitType Line; a record never spans two batches
or two files), at most MaxConcurrentTransforms batches are in flight, and results are
written in input order as they complete. AssembleWith Line ends every response with a
newline. Each input object yields ``<name>.out``, published only when the whole object
succeeded. [ref: sagemaker-containers.md section 7]
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sagestep.serving.datafilter import DataProcessing
from sagestep.serving.handler import Handler, InvocationError, ServingSpec, load_handler

READ_BLOCK = 4 * 1024 * 1024
_STARTED = time.monotonic()


class TransformError(Exception):
    """One input object cannot be transformed (the job's FailureReason)."""


@dataclass(frozen=True)
class Settings:
    """The transform job's parameters as the engine uses them."""

    split_type: str = "None"
    batch_strategy: str = "MultiRecord"
    max_payload: int = 6 * 1024 * 1024
    max_concurrent: int = 1
    content_type: str = ""
    accept: str = ""
    assemble_line: bool = False
    gzip: bool = False
    max_retries: int = 0

    @classmethod
    def from_config(cls, config: dict[str, Any], advice: dict[str, Any] | None) -> Settings:
        """Request values first, then the model server's /execution-parameters, then defaults."""
        advice = advice or {}
        mb = config.get("max_payload_mb")
        if mb is None:
            mb = advice.get("MaxPayloadInMB", 6)
        strategy = config.get("batch_strategy") or {
            "MULTI_RECORD": "MultiRecord", "SINGLE_RECORD": "SingleRecord"
        }.get(str(advice.get("BatchStrategy")), "SingleRecord")
        concurrent = config.get("max_concurrent") or advice.get("MaxConcurrentTransforms") or 1
        return cls(
            split_type=config.get("split_type") or "None",
            batch_strategy=strategy,
            max_payload=(int(mb) or 6) * 1024 * 1024,
            max_concurrent=max(1, int(concurrent)),
            content_type=config.get("content_type", ""),
            accept=config.get("accept", ""),
            assemble_line=config.get("assemble_with", "None") == "Line",
            gzip=config.get("compression", "None") == "Gzip",
            max_retries=int(config.get("max_retries", 0)),
        )


def _open(path: Path, settings: Settings) -> IO[bytes]:
    if settings.gzip:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def payloads(stream: IO[bytes], settings: Settings) -> Iterator[bytes]:
    """The request bodies of one object: whole, per record, or records packed by size."""
    if settings.split_type == "None":
        data = stream.read(settings.max_payload + 1)
        if len(data) > settings.max_payload:
            raise TransformError(
                f"the object is larger than MaxPayloadInMB ({settings.max_payload >> 20} MB) and "
                "SplitType is None; set SplitType Line or raise MaxPayloadInMB"
            )
        if data:
            yield data
        return
    if settings.batch_strategy == "SingleRecord":
        for line in stream:
            if line.strip():
                _check_record(line, settings)
                yield line
        return
    yield from _packed(stream, settings)


def _check_record(record: bytes, settings: Settings) -> None:
    if len(record) > settings.max_payload:
        raise TransformError(
            f"a record of {len(record)} bytes exceeds MaxPayloadInMB "
            f"({settings.max_payload >> 20} MB)"
        )


def _packed(stream: IO[bytes], settings: Settings) -> Iterator[bytes]:
    limit = settings.max_payload
    pending = b""
    while True:
        block = stream.read(READ_BLOCK)
        pending = pending + block if pending else block
        while len(pending) > limit or (not block and pending):
            if not block and len(pending) <= limit:
                cut = len(pending)
            else:
                cut = pending.rfind(b"\n", 0, limit) + 1
                if cut == 0:
                    _check_record(pending[: pending.find(b"\n") + 1 or len(pending)], settings)
            chunk, pending = pending[:cut], pending[cut:]
            # trailing empty lines are skipped; a record of spaces, tabs or a CR is data
            if len(chunk) > 64 or chunk.strip(b"\n"):
                yield chunk
        if not block:
            return


class Transformer:
    """One job's engine: a handler, its settings, its DataProcessing."""

    def __init__(self, handler: Handler, settings: Settings, processing: DataProcessing) -> None:
        self.handler = handler
        self.settings = settings
        self.processing = processing
        self.pool = ThreadPoolExecutor(settings.max_concurrent)

    def run_file(self, source: Path, target: Path) -> int:
        """Transform ``source`` into ``target`` (via a partial file); returns the batch count."""
        partial = target.with_name(target.name + ".partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        inflight: deque[Future[bytes]] = deque()
        count = 0
        with _open(source, self.settings) as stream, partial.open("wb") as out:
            for body in payloads(stream, self.settings):
                inflight.append(self.pool.submit(self.transform, body))
                count += 1
                if len(inflight) >= self.settings.max_concurrent:
                    out.write(inflight.popleft().result())
            while inflight:
                out.write(inflight.popleft().result())
        partial.replace(target)
        return count

    def transform(self, body: bytes) -> bytes:
        """One mini-batch through DataProcessing, the model and assembly."""
        records: list[Any] = []
        if self.processing.active:
            lines = [line for line in body.split(b"\n") if line.strip()]
            records = [self.processing.parse_record(line) for line in lines]
            body = b"\n".join(self.processing.model_input(r) for r in records) + b"\n"
        answer = self._invoke(body)
        if records:
            outputs = [line for line in answer.split(b"\n") if line.strip()]
            if len(outputs) != len(records):
                raise TransformError(
                    f"the model returned {len(outputs)} lines for {len(records)} records; "
                    "JoinSource/OutputFilter need one output line per input record"
                )
            answer = b"\n".join(self.processing.result(r, o) for r, o in zip(records, outputs,
                                                                             strict=True))
        if self.settings.assemble_line and not answer.endswith(b"\n"):
            answer += b"\n"
        return answer

    def _invoke(self, body: bytes) -> bytes:
        for attempt in range(self.settings.max_retries + 1):
            try:
                reply = self.handler.invoke(body, self.settings.content_type or None,
                                            self.settings.accept or None)
            except InvocationError as exc:
                if exc.status < 500 or attempt == self.settings.max_retries:
                    raise TransformError(
                        f"the model answered {exc.status} to a mini-batch: {exc.message[:500]}"
                    ) from exc
                continue
            return reply.body
        raise AssertionError("unreachable")


def run(config: dict[str, Any]) -> None:
    """Transform every input of ``config``; raises TransformError naming the failing object."""
    spec = ServingSpec(**config["spec"])
    os.environ.update(spec.environment)
    handler = load_handler(spec)
    print(f"model loaded {time.monotonic() - _STARTED:.2f}s after start", flush=True)
    settings = Settings.from_config(config, handler.execution_parameters())
    processing = DataProcessing.build(config.get("data_processing") or {},
                                      settings.content_type or "text/csv")
    engine = Transformer(handler, settings, processing)
    output_dir = Path(config["output_dir"])
    failures = []
    for item in config["inputs"]:
        try:
            batches = engine.run_file(Path(item["path"]), output_dir / item["output"])
            print(f"transformed {item['key']}: {batches} mini-batches", flush=True)
        except (TransformError, OSError, ValueError) as exc:
            print(f"failed {item['key']}: {exc}", file=sys.stderr, flush=True)
            failures.append(f"{item['key']}: {exc}")
    if failures:
        raise TransformError("; ".join(failures))


def main(argv: list[str] | None = None) -> int:
    """Entry point; writes the failure file and peak memory next to the outputs."""
    args = sys.argv[1:] if argv is None else argv
    config = json.loads(Path(args[0]).read_text())
    status_dir = Path(config["status_dir"])
    code = 0
    try:
        run(config)
    except Exception as exc:  # the job's FailureReason, never a bare traceback
        status_dir.mkdir(parents=True, exist_ok=True)
        (status_dir / "failure").write_text(f"ClientError: {exc}"[:1024])
        print(f"ClientError: {exc}", file=sys.stderr, flush=True)
        code = 1
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (status_dir / "peak_rss_kb").write_text(str(peak_kb))
    return code


if __name__ == "__main__":
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Every output is closed and renamed by now; skip interpreter teardown (XGBoost/Arrow
    # thread pools and module finalisers take a second or more) like a container's exit.
    os._exit(exit_code)
