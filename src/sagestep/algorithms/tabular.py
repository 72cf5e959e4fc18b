"""Numeric request payloads (CSV, LIBSVM) to arrays, fast for one row and for megabytes.

One row is the hot path of a real-time endpoint: a plain ``split`` beats every parser. Big
payloads (batch transform mini-batches) go through pyarrow's multi-threaded CSV reader.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

# Above this size pyarrow's reader wins over Python's split.
_SMALL = 16 * 1024


def parse_csv(body: bytes) -> np.ndarray:
    """A float32 matrix from CSV bytes without header; empty fields are missing (NaN)."""
    text = body.strip()
    if not text:
        raise ValueError("no rows")
    if len(text) <= _SMALL:
        try:
            if b"\n" not in text:  # one row: the real-time hot path
                return np.array(text.split(b","), dtype=np.float32).reshape(1, -1)
            rows = [line.split(b",") for line in text.split(b"\n")]
            return np.array(rows, dtype=np.float32)
        except ValueError:
            return _parse_csv_slow(text)
    return _parse_csv_arrow(text)


def _parse_csv_slow(text: bytes) -> np.ndarray:
    rows = []
    for number, line in enumerate(text.decode("utf-8").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            rows.append([float(cell) if cell.strip() else np.nan for cell in line.split(",")])
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from exc
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"rows have different numbers of columns: {sorted(widths)}")
    return np.array(rows, dtype=np.float32)


def _parse_csv_arrow(text: bytes) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            io.BytesIO(text),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            convert_options=pacsv.ConvertOptions(
                column_types={}, strings_can_be_null=True, quoted_strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid as exc:
        raise ValueError(str(exc)) from exc
    columns = []
    for column in table.columns:
        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
                or pa.types.is_null(column.type)):
            raise ValueError(f"non-numeric column of type {column.type}")
        columns.append(column.to_numpy(zero_copy_only=False).astype(np.float32, copy=False))
    return np.column_stack(columns)


def parse_libsvm(body: bytes, num_features: int) -> Any:
    """A CSR matrix from LIBSVM lines (``[label] i:v i:v``); the label, if any, is ignored."""
    from scipy.sparse import csr_matrix

    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for number, line in enumerate(body.decode("utf-8").strip().split("\n"), start=1):
        for item in line.split():
            if ":" not in item:
                continue  # the optional label (and weight) field
            index, _, value = item.partition(":")
            try:
                indices.append(int(index))
                values.append(float(value))
            except ValueError as exc:
                raise ValueError(f"line {number}: bad item {item!r}") from exc
        indptr.append(len(indices))
    width = (max(indices) + 1) if indices else 0
    if width > num_features:
        raise ValueError(
            f"Feature size of libsvm inference data {width} is larger than feature size of "
            f"trained model {num_features}"
        )
    return csr_matrix(
        (np.array(values, dtype=np.float32), np.array(indices), np.array(indptr)),
        shape=(len(indptr) - 1, num_features),
    )
