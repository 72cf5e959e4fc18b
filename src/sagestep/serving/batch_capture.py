"""Batch transform data capture (CreateTransformJob.DataCaptureConfig, reference §1.4).

Under ``DestinationS3Uri`` the job writes an ``input/`` and an ``output/`` manifest under
``yyyy/mm/dd/hh/`` of the job's start (UTC): a JSON array whose first element is
``{"prefix": "s3://.../"}`` followed by the object names relative to it. With
``GenerateInferenceId`` every output line gets the inference id and the job start time: two
trailing CSV columns, or the keys ``SageMakerInferenceId`` / ``SageMakerInferenceTime`` of a
JSON line.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sagestep.stores.objectstore import parse_uri


def stamp(start: float | datetime) -> datetime:
    """The job start as an aware UTC datetime."""
    return start if isinstance(start, datetime) else datetime.fromtimestamp(start, UTC)


def manifest(prefix: str, names: list[str]) -> bytes:
    """A manifest file's bytes: the prefix object, then the relative names."""
    head = prefix if prefix.endswith("/") else prefix + "/"
    return (json.dumps([{"prefix": head}, *names]) + "\n").encode()


def write_manifests(store: Any, config: dict[str, Any], job: str, start: datetime,
                    inputs: tuple[str, list[str]], outputs: tuple[str, list[str]]) -> list[str]:
    """Put the input and output manifests; returns their s3:// URIs."""
    bucket, prefix = parse_uri(str(config["DestinationS3Uri"]))
    prefix = prefix.rstrip("/")
    hour = start.astimezone(UTC).strftime("%Y/%m/%d/%H")
    written = []
    for side, (uri, names) in (("input", inputs), ("output", outputs)):
        key = f"{prefix}/{side}/{hour}/{job}-{uuid.uuid4()}.jsonl".lstrip("/")
        store.put_bytes(bucket, key, manifest(uri, names))
        written.append(f"s3://{bucket}/{key}")
    return written


def add_inference_ids(path: Path, accept: str, start: datetime) -> None:
    """Append an inference id and the job start time to every line of one output file."""
    when = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    is_json = "json" in (accept or "").lower()
    tmp = path.with_name(path.name + ".ids")
    with path.open(encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as dst:
        for line in src:
            text = line.rstrip("\n")
            if not text:
                dst.write(line)
                continue
            inference_id = str(uuid.uuid4())
            if is_json:
                value = json.loads(text)
                if isinstance(value, dict):
                    value.update({"SageMakerInferenceId": inference_id,
                                  "SageMakerInferenceTime": when})
                    text = json.dumps(value)
            else:
                text = f"{text},{inference_id},{when}"
            dst.write(text + "\n")
    tmp.replace(path)
