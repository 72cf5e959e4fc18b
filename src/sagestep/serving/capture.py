"""Endpoint data capture: AWS's JSON Lines records under AWS's key layout (reference §1).

    <DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<mmm>-<uuid>.jsonl

Each sampled invocation is written as its own object before the response is returned
(persist, then answer), so a monitoring job that runs after the traffic sees every sampled
record, and a killed process loses none it already answered. AWS batches records into fewer
files and delivers them minutes later; readers glob ``*.jsonl`` either way.

Payloads whose content type is listed in ``CaptureContentTypeHeader`` are stored as text with
encoding ``CSV`` or ``JSON``; anything else (or text that is not UTF-8) as ``BASE64``. Without
a ``CaptureContentTypeHeader`` the SageMaker SDK's defaults apply (``text/csv`` as CSV,
``application/json`` as JSON): the SDK always sends them, so captures look the same whether
an endpoint config was written by hand or by the SDK.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sagestep.stores.objectstore import parse_uri

DEFAULT_CSV = ("text/csv",)
DEFAULT_JSON = ("application/json",)


@dataclass(frozen=True)
class CaptureConfig:
    """The parts of a DataCaptureConfig that decide what is written where."""

    sampling: float
    destination: str
    inputs: bool
    outputs: bool
    csv_types: tuple[str, ...] = DEFAULT_CSV
    json_types: tuple[str, ...] = DEFAULT_JSON

    @classmethod
    def parse(cls, config: dict[str, Any] | None) -> CaptureConfig | None:
        """None unless the config enables capture."""
        if not config or not config.get("EnableCapture", True):
            return None
        modes = {o.get("CaptureMode") for o in config.get("CaptureOptions", [])}
        both = "InputAndOutput" in modes
        header = config.get("CaptureContentTypeHeader")
        return cls(sampling=float(config.get("InitialSamplingPercentage", 100)),
                   destination=str(config["DestinationS3Uri"]).rstrip("/"),
                   inputs=both or "Input" in modes, outputs=both or "Output" in modes,
                   csv_types=_types(header, "CsvContentTypes", DEFAULT_CSV),
                   json_types=_types(header, "JsonContentTypes", DEFAULT_JSON))

    def encoding(self, content_type: str | None) -> str:
        """CSV, JSON or BASE64 for a payload of ``content_type``."""
        media = (content_type or "").split(";")[0].strip().lower()
        if media in self.csv_types:
            return "CSV"
        if media in self.json_types:
            return "JSON"
        return "BASE64"


def _types(header: dict[str, Any] | None, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    if header is None:
        return default
    return tuple(t.lower() for t in header.get(key, []))


def payload(config: CaptureConfig, mode: str, data: bytes, content_type: str | None) -> dict[str, str]:
    """One ``endpointInput``/``endpointOutput`` object."""
    encoding = config.encoding(content_type)
    text = None
    if encoding != "BASE64":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "BASE64"  # declared as text but is not: keep the bytes intact
    if text is None:
        text = base64.b64encode(data).decode("ascii")
    return {"observedContentType": content_type or "", "mode": mode, "data": text,
            "encoding": encoding}


def record(config: CaptureConfig, request: tuple[bytes, str | None], response: tuple[bytes, str | None],
           when: datetime, event_id: str, inference_id: str | None = None,
           custom_attributes: str | None = None) -> dict[str, Any]:
    """One capture record, with only the sides the capture mode asks for."""
    data: dict[str, Any] = {}
    if config.inputs:
        data["endpointInput"] = payload(config, "INPUT", *request)
    if config.outputs:
        data["endpointOutput"] = payload(config, "OUTPUT", *response)
    meta: dict[str, Any] = {"eventId": event_id}
    if inference_id is not None:
        meta["inferenceId"] = inference_id
    if custom_attributes is not None:
        meta["customAttributes"] = custom_attributes
    meta["inferenceTime"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"captureData": data, "eventMetadata": meta, "eventVersion": "0"}


def object_key(prefix: str, endpoint: str, variant: str, when: datetime, event_id: str) -> str:
    """``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<mmm>-<uuid>.jsonl`` (UTC hour)."""
    t = when.astimezone(UTC)
    name = f"{t:%M}-{t:%S}-{t.microsecond // 1000:03d}-{event_id}.jsonl"
    head = f"{prefix}/" if prefix else ""
    return f"{head}{endpoint}/{variant}/{t:%Y/%m/%d/%H}/{name}"


class CaptureWriter:
    """Samples invocations and writes their records to the object store."""

    def __init__(self, store: Any, now: Any, rng: random.Random | None = None) -> None:
        self._store, self._now = store, now
        self._rng = rng or random.Random()

    def capture(self, config: CaptureConfig, endpoint: str, variant: str,
                request: tuple[bytes, str | None], response: tuple[bytes, str | None],
                inference_id: str | None = None, custom_attributes: str | None = None) -> str | None:
        """Write one record if sampled; returns its s3:// URI (None when not sampled)."""
        if config.sampling < 100 and self._rng.random() * 100 >= config.sampling:
            return None
        now = self._now()
        when = now if isinstance(now, datetime) else datetime.fromtimestamp(now, UTC)
        event_id = str(uuid.uuid4())
        body = record(config, request, response, when, event_id, inference_id, custom_attributes)
        bucket, prefix = parse_uri(config.destination)
        key = object_key(prefix.rstrip("/"), endpoint, variant, when, event_id)
        self._store.put_bytes(bucket, key, (json.dumps(body, separators=(",", ":")) + "\n").encode())
        return f"s3://{bucket}/{key}"
