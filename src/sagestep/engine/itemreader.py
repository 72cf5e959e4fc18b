"""Distributed Map ``ItemReader``: the items come from the object store, not the input.

https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
The reader's ``Resource`` (``arn:aws:states:::s3:getObject`` or ``...:s3:listObjectsV2``) is
looked up in the integration table like a Task's, so the engine reads whatever S3 the runtime
hands it (the local object store, or boto3's). ``getObject`` returns the object's text;
``ReaderConfig.InputType`` says how to parse it: JSON (an array), JSONL (one value a line), CSV
(header row or given headers; every value a string, as AWS reads them), PARQUET (a row an
item) or MANIFEST (an S3
inventory manifest: the CSV files it lists, one item per object). Without InputType the
resource lists objects: one item per object, ``{Etag, Key, LastModified, Size, StorageClass}``.
A reader that cannot read fails the state with ``States.ItemReaderFailed``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

from sagestep.asl.states import Map
from sagestep.engine import jsonata_eval, payload
from sagestep.engine.dataflow import Vars, jsonata_env
from sagestep.engine.failure import TaskError
from sagestep.engine.integration import CallContext, Integrations, lookup
from sagestep.engine.payload import Scope
from sagestep.engine.states_error import StatesError, runtime

GET = "arn:aws:states:::s3:getObject"
LIST = "arn:aws:states:::s3:listObjectsV2"
READER_FAILED = "States.ItemReaderFailed"
MAX_ITEMS_LIMIT = 100_000_000
_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


class ReaderFailed(StatesError):
    """``States.ItemReaderFailed`` with AWS's cause."""

    def __init__(self, cause: str) -> None:
        super().__init__(READER_FAILED, cause, prefixed=False)


def read_items(state: Map, table: Integrations, raw_input: Any, ctx: Mapping[str, Any],
               variables: Vars, call: CallContext) -> list[Any]:
    """Every item the reader yields (after ReaderConfig MaxItems)."""
    reader: Mapping[str, Any] = state.item_reader or {}
    config: Mapping[str, Any] = reader.get("ReaderConfig") or {}
    params = _parameters(state, reader, raw_input, ctx, variables)
    max_items = _max_items(state, config, raw_input, ctx, variables)
    resource = str(reader.get("Resource", ""))
    input_type = config.get("InputType")
    if resource == LIST or (input_type is None and resource.endswith(":listObjectsV2")):
        items = _listing(table, resource, params, call)
    elif input_type == "PARQUET":
        items = _parquet(_get_bytes(table, resource, params, call))
    else:
        text = _get_text(table, resource, params, call)
        items = _parse(text, input_type, config, table, call)
    out: list[Any] = []
    for item in items:
        if max_items is not None and len(out) >= max_items:
            break
        out.append(item)
    return out


def _parameters(state: Map, reader: Mapping[str, Any], raw_input: Any,
                ctx: Mapping[str, Any], variables: Vars) -> dict[str, Any]:
    if state.jsonata:
        template = reader.get("Arguments") or {}
        value = jsonata_eval.render(template, jsonata_env(raw_input, ctx, variables), "Arguments")
    else:
        value = payload.render(reader.get("Parameters") or {}, Scope(raw_input, ctx, variables))
    if not isinstance(value, dict):
        raise runtime(f"The ItemReader parameters must be an object, but were: {value!r}")
    return value


def _max_items(state: Map, config: Mapping[str, Any], raw_input: Any, ctx: Mapping[str, Any],
               variables: Vars) -> int | None:
    value = config.get("MaxItems")
    if state.jsonata and isinstance(value, str):
        value = jsonata_eval.render(value, jsonata_env(raw_input, ctx, variables), "MaxItems")
    elif "MaxItemsPath" in config:
        value = payload.resolve_field(config["MaxItemsPath"], Scope(raw_input, ctx, variables),
                                      "MaxItemsPath")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise runtime(f"The MaxItems field must be an integer, but was: {json.dumps(value)}")
    if value < 0:  # AWS's words (recorded: test_map_item_reader_csv_max_items_paths[-1])
        raise ReaderFailed("field MaxItems must be positive")
    # 0 means no limit; AWS reads at most 100,000,000 items (a larger value is that cap).
    return None if value == 0 else min(value, MAX_ITEMS_LIMIT)


def _invoke(table: Integrations, resource: str, params: Any, call: CallContext) -> Any:
    try:
        return lookup(table, resource).invoke(params, call)  # type: ignore[union-attr]
    except TaskError as exc:
        raise ReaderFailed(exc.failure.cause or str(exc.failure.error)) from exc


def _get_bytes(table: Integrations, resource: str, params: Any, call: CallContext) -> bytes:
    result = _invoke(table, resource, params, call)
    body = result.get("Body") if isinstance(result, dict) else result
    if isinstance(body, bytes):
        return body
    return (body if isinstance(body, str) else json.dumps(body)).encode()


def _get_text(table: Integrations, resource: str, params: Any, call: CallContext) -> str:
    return _get_bytes(table, resource, params, call).decode("utf-8", errors="replace")


def _parquet(data: bytes) -> Iterator[Any]:
    """A Parquet object: one item per row, as a JSON object (dates and decimals as text)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a bad file
        raise ReaderFailed(f"Failed to read the Parquet object: {exc}") from exc
    for row in table.to_pylist():
        yield json.loads(json.dumps(row, default=str))


def _listing(table: Integrations, resource: str, params: dict[str, Any],
             call: CallContext) -> Iterator[dict[str, Any]]:
    request = dict(params)
    while True:
        page = _invoke(table, LIST if resource.endswith("listObjectsV2") else resource,
                       request, call)
        for obj in page.get("Contents", []):
            yield {"Etag": obj.get("ETag"), "Key": obj.get("Key"),
                   "LastModified": _epoch(obj.get("LastModified")), "Size": obj.get("Size"),
                   "StorageClass": obj.get("StorageClass", "STANDARD")}
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return
        request["ContinuationToken"] = token


def _epoch(value: Any) -> Any:
    return int(value.timestamp()) if hasattr(value, "timestamp") else value


def _parse(text: str, input_type: Any, config: Mapping[str, Any], table: Integrations,
           call: CallContext) -> Iterator[Any]:
    if input_type in (None, "JSON"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ReaderFailed(f"Failed to parse the JSON object: {exc}") from exc
        if not isinstance(value, list):
            raise ReaderFailed("Attempting to map over non-iterable node.")
        return iter(value)
    if input_type == "JSONL":
        return _jsonl(text)
    if input_type == "CSV":
        return csv_items(text, config)
    if input_type == "MANIFEST":
        return _manifest(text, table, call)
    raise runtime(f"Unsupported ReaderConfig InputType {input_type!r}: "
                  "use JSON, JSONL, CSV, PARQUET or MANIFEST")


def _jsonl(text: str) -> Iterator[Any]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError as exc:
            raise ReaderFailed(f"Failed to parse JSONL line {number}: {exc}") from exc


def csv_items(text: str, config: Mapping[str, Any]) -> Iterator[dict[str, str]]:
    """CSV rows as objects of strings: headers from the first row or ``CSVHeaders``; a row's
    extra fields are dropped and missing ones are empty strings (as AWS reads them)."""
    delimiter = _DELIMITERS.get(str(config.get("CSVDelimiter", "COMMA")), ",")
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    location = config.get("CSVHeaderLocation", "FIRST_ROW")
    if location == "GIVEN":
        headers = config.get("CSVHeaders")
        if not isinstance(headers, list) or not headers:
            raise runtime("CSVHeaderLocation GIVEN needs CSVHeaders, a list of column names")
        headers = [str(h) for h in headers]
    else:
        first = next(rows, None)
        if first is None:
            return
        headers = first
    if len(set(headers)) != len(headers):
        raise ReaderFailed("CSV headers cannot contain duplicates.")
    for row in rows:
        if not row:
            continue
        yield {h: (row[i] if i < len(row) else "") for i, h in enumerate(headers)}


def _manifest(text: str, table: Integrations, call: CallContext) -> Iterator[dict[str, Any]]:
    """An S3 inventory ``manifest.json``: read each (gzipped) CSV file it lists."""
    try:
        manifest = json.loads(text)
        bucket = str(manifest["destinationBucket"]).rsplit(":", 1)[-1]
        schema = [c.strip() for c in str(manifest["fileSchema"]).split(",")]
        files = [f["key"] for f in manifest["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ReaderFailed(f"Not an S3 inventory manifest: {exc}") from exc
    if manifest.get("fileFormat", "CSV") != "CSV":
        raise ReaderFailed("Only CSV S3 inventory files can be read.")
    for key in files:
        result = _invoke(table, GET, {"Bucket": bucket, "Key": key}, call)
        data = result.get("Body") if isinstance(result, dict) else result
        raw = data if isinstance(data, bytes) else str(data).encode()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        for row in csv.reader(io.StringIO(raw.decode())):
            if row:
                yield dict(zip(schema, row, strict=False))
