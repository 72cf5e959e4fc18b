"""Read a dataset directory in chunks: CSV, JSON Lines, Parquet or captured endpoint traffic.

The format is Model Monitor's ``dataset_format`` JSON (reference §2.1)::

    {"csv": {"header": true, "output_columns_position": "START"}}
    {"json": {"lines": true}}
    {"parquet": {}}
    {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}

Headerless CSV and captured records name columns ``_c0, _c1, ...`` (Spark's names); captured
rows put the output (prediction) columns first, the position Model Monitor assumes.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sagestep.errors import MonitorError

CHUNK_ROWS = 100_000
FORMATS = ("csv", "json", "parquet", "sagemakerCaptureJson")


def parse_format(text: str | None) -> dict[str, Any]:
    """Parse ``dataset_format``; the default is CSV with a header."""
    if not text:
        return {"csv": {"header": True}}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MonitorError(f"dataset_format is not JSON ({exc}): {text!r}; use e.g. "
                           '{"csv": {"header": true}}') from exc
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in FORMATS:
        raise MonitorError(f"dataset_format {text!r} must be an object with one key of: "
                           f"{', '.join(FORMATS)}")
    return value


def data_files(source: Path) -> list[Path]:
    """Every non-hidden file under ``source`` (a file or a directory), in name order."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise MonitorError(f"dataset source {source} does not exist; the processing input must "
                           "be mounted there (check the stage's input S3 URI)")
    files = [p for p in sorted(source.rglob("*")) if p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(source).parts)]
    if not files:
        raise MonitorError(f"Job inputs had no data: no file under {source} (check the S3 prefix "
                           "and, for captured traffic, the time window)")
    return files


def read_chunks(source: Path, fmt: dict[str, Any], chunk_rows: int = CHUNK_ROWS,
                window: tuple[datetime | None, datetime | None] = (None, None),
                ) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of at most ``chunk_rows`` rows with string column names."""
    kind, options = next(iter(fmt.items()))
    options = options or {}
    if kind == "sagemakerCaptureJson":  # one record per small file: fill chunks across files
        names = options.get("captureIndexNames") or ["endpointInput", "endpointOutput"]
        yield from _capture(data_files(source), names, chunk_rows, window)
        return
    for path in data_files(source):
        if kind == "csv":
            yield from _csv(path, bool(options.get("header", True)), chunk_rows)
        elif kind == "json":
            yield from _json(path, chunk_rows)
        else:
            yield from _parquet(path, chunk_rows)


def _csv(path: Path, header: bool, chunk_rows: int) -> Iterator[pd.DataFrame]:
    try:
        reader = pd.read_csv(path, header=0 if header else None, chunksize=chunk_rows)
        for chunk in reader:
            if not header:
                chunk.columns = [f"_c{i}" for i in range(chunk.shape[1])]
            chunk.columns = [str(c) for c in chunk.columns]
            yield chunk
    except pd.errors.EmptyDataError:
        return
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise MonitorError(f"{path}: not readable as CSV ({exc}); check dataset_format") from exc


def _json(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    try:
        for chunk in pd.read_json(path, lines=True, chunksize=chunk_rows):
            chunk.columns = [str(c) for c in chunk.columns]
            yield chunk
    except ValueError as exc:
        raise MonitorError(f"{path}: not readable as JSON Lines ({exc}); check "
                           "dataset_format") from exc


def _parquet(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            yield batch.to_pandas()
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise MonitorError(f"{path}: not readable as Parquet ({exc})") from exc


def _capture(paths: list[Path], names: list[str], chunk_rows: int,
             window: tuple[datetime | None, datetime | None]) -> Iterator[pd.DataFrame]:
    rows: list[list[Any]] = []
    for path in paths:
        for number, record in enumerate(capture_records(path), start=1):
            if not in_window(record, window):
                continue
            try:
                parts = [decode_rows(record["captureData"][n]) for n in reversed(names)
                         if n in record.get("captureData", {})]
            except (KeyError, ValueError) as exc:
                raise MonitorError(f"{path}:{number}: captured record cannot be decoded "
                                   f"({exc})") from exc
            for joined in zip(*parts, strict=False):
                rows.append([v for part in joined for v in part])
            if len(rows) >= chunk_rows:
                yield _frame(rows)
                rows = []
    if rows:
        yield _frame(rows)


def _frame(rows: list[list[Any]]) -> pd.DataFrame:
    width = max(len(r) for r in rows)
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in rows])
    frame.columns = [f"_c{i}" for i in range(width)]
    return frame


def capture_records(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of one capture (or ground-truth) JSON Lines file."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise MonitorError(f"{path}:{number}: not a JSON Lines record ({exc})") from exc


def in_window(record: dict[str, Any], window: tuple[datetime | None, datetime | None]) -> bool:
    """Whether the record's inferenceTime falls in [start, end)."""
    start, end = window
    if start is None and end is None:
        return True
    stamp = record.get("eventMetadata", {}).get("inferenceTime")
    if not stamp:
        return False
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (start is None or when >= start) and (end is None or when < end)


def decode_rows(item: dict[str, Any]) -> list[list[Any]]:
    """The rows of one captured payload: CSV lines, a JSON document, or base64 of either."""
    data, encoding = item["data"], str(item.get("encoding", "")).upper()
    if encoding == "BASE64":
        data = base64.b64decode(data).decode("utf-8")
        encoding = "JSON" if data.lstrip()[:1] in ("{", "[") else "CSV"
    if encoding == "JSON":
        return _json_rows(json.loads(data))
    return [row for row in csv.reader(io.StringIO(data)) if row]


def _json_rows(value: Any) -> list[list[Any]]:
    if isinstance(value, dict):
        for key in ("instances", "predictions", "features"):
            if key in value:
                found = value[key]
                if key == "predictions" and isinstance(found, list) and \
                        not any(isinstance(v, list | dict) for v in found):
                    return [[v] for v in found]  # one score per input row
                return _json_rows(found)
        return [list(value.values())]
    if isinstance(value, list):
        if value and all(isinstance(v, list) for v in value):
            return [list(v) for v in value]
        if value and all(isinstance(v, dict) for v in value):
            return [r for v in value for r in _json_rows(v)]
        return [value]
    return [[value]]
