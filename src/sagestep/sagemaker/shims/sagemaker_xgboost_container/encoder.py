"""Request payload -> xgboost.DMatrix, as the XGBoost image's ``encoder`` module does it.

Script-mode inference code calls ``decode(body, content_type)`` (or one of the
``*_to_dmatrix`` functions) in its ``input_fn``; ``json_to_jsonlines`` reshapes a JSON
response. Supported: text/csv, text/libsvm, text/x-libsvm.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import xgboost as xgb

CSV = "text/csv"
LIBSVM = "text/libsvm"
X_LIBSVM = "text/x-libsvm"
X_RECORDIO_PROTOBUF = "application/x-recordio-protobuf"


def _text(payload: str | bytes | bytearray) -> str:
    return payload.decode("utf-8") if isinstance(payload, bytes | bytearray) else payload


def _delimiter(first_line: str) -> str:
    try:
        found = csv.Sniffer().sniff(first_line[:512]).delimiter
    except csv.Error:
        return ","
    return "," if found.isalnum() else found


def csv_to_dmatrix(input: str | bytes, dtype: Any = None) -> xgb.DMatrix:  # noqa: A002 - AWS's name
    """CSV rows (no label, no header) -> DMatrix; empty fields become NaN."""
    text = _text(input).strip("\n")
    delimiter = _delimiter(text.split("\n", 1)[0])
    rows = [["nan" if cell == "" else cell for cell in line.split(delimiter)]
            for line in text.split("\n")]
    return xgb.DMatrix(np.array(rows).astype(dtype if dtype is not None else float))


def libsvm_to_dmatrix(string_like: str | bytes) -> xgb.DMatrix:
    """LIBSVM rows (``[label] idx:value ...``, label optional) -> dense DMatrix."""
    rows: list[dict[int, float]] = []
    for line in _text(string_like).strip().split("\n"):
        row: dict[int, float] = {}
        for token in line.split():
            if ":" in token:
                key, cell = token.split(":", 1)
                row[int(key)] = float(cell)
        rows.append(row)
    if not any(rows):
        return xgb.DMatrix(np.empty((0, 0)))
    low = min(i for row in rows for i in row)
    offset = 1 if low >= 1 else 0  # LIBSVM indices are usually 1-based
    width = max(i for row in rows for i in row) - offset + 1
    data = np.zeros((len(rows), width))
    for r, cells in enumerate(rows):
        for index, value in cells.items():
            data[r, index - offset] = value
    return xgb.DMatrix(data)


def recordio_protobuf_to_dmatrix(string_like: bytes) -> xgb.DMatrix:
    """Not available locally: sagestep does not ship the RecordIO-protobuf reader."""
    raise UnsupportedFormatError(X_RECORDIO_PROTOBUF)


def json_to_jsonlines(json_data: dict[str, Any] | str) -> bytes:
    """``{"predictions": [a, b]}`` -> ``a\\nb\\n`` as JSON Lines bytes (one key only)."""
    body = json_data if isinstance(json_data, dict) else json.loads(json_data)
    if len(body) != 1:
        raise ValueError("JSON response is not compatible for conversion to jsonlines.")
    out = io.BytesIO()
    for entries in body.values():
        for entry in entries:
            out.write((json.dumps(entry) + "\n").encode("utf-8"))
    return out.getvalue()


class UnsupportedFormatError(Exception):
    """The content type has no decoder (the serving stack answers 415)."""

    def __init__(self, content_type: str) -> None:
        super().__init__(f"Content type {content_type} is not supported by this framework.")
        self.content_type = content_type
        self.status_code = 415


_DECODERS: dict[str, Callable[[Any], xgb.DMatrix]] = {CSV: csv_to_dmatrix, LIBSVM: libsvm_to_dmatrix, X_LIBSVM: libsvm_to_dmatrix,
             X_RECORDIO_PROTOBUF: recordio_protobuf_to_dmatrix}


def decode(obj: Any, content_type: str) -> xgb.DMatrix:
    """Decode a request body of ``content_type`` (parameters after ``;`` ignored) to a DMatrix."""
    media = content_type.split(";", 1)[0].strip().lower()
    decoder = _DECODERS.get(media)
    if decoder is None:
        raise UnsupportedFormatError(media)
    return decoder(obj)
