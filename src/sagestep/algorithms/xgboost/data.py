"""Training data of the built-in XGBoost: channel files in CSV, LIBSVM or Parquet into a DMatrix.

Layout as the container reads it: CSV has the label in column 0 and no header (with
``csv_weights=1`` column 1 is the instance weight); LIBSVM is ``<label>[:<weight>] i:v ...``;
Parquet has the label as first column. Files starting with ``.`` or ``_`` are ignored and
sub-directories are read up to depth 3. [src: sagemaker-xgboost-container data_utils.py]
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import xgboost as xgb

from sagestep.algorithms.failure import UserError

CSV_TYPES = ("csv", "text/csv")
LIBSVM_TYPES = ("libsvm", "text/libsvm", "text/x-libsvm")
PARQUET_TYPES = ("parquet", "application/x-parquet")
RECORDIO_TYPES = ("recordio-protobuf", "application/x-recordio-protobuf")
DEFAULT_CONTENT_TYPE = "text/libsvm"
MAX_FOLDER_DEPTH = 3


def parse_content_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """Split ``text/csv;label_size=1`` into ("text/csv", {"label_size": "1"}), lower-cased."""
    text = (content_type or DEFAULT_CONTENT_TYPE).strip().lower()
    base, *params = (part.strip() for part in text.split(";"))
    options = {}
    for param in params:
        key, _, value = param.partition("=")
        options[key.strip()] = value.strip()
    return base, options


def data_format(content_type: str | None) -> str:
    """``csv``, ``libsvm`` or ``parquet`` for a channel ContentType; UserError otherwise."""
    base, options = parse_content_type(content_type)
    if base in CSV_TYPES:
        if options.get("label_size", "1") != "1":
            raise UserError(
                f"label_size in content type {content_type!r} must be 1: the built-in XGBoost "
                "reads exactly one label column (the first)"
            )
        return "csv"
    if base in LIBSVM_TYPES:
        return "libsvm"
    if base in PARQUET_TYPES:
        return "parquet"
    supported = ", ".join(CSV_TYPES + LIBSVM_TYPES + PARQUET_TYPES)
    if base in RECORDIO_TYPES:
        raise UserError(f"Content type {base} is not supported locally; use one of: {supported}")
    raise UserError(f"Content type {content_type} is not supported; supported: {supported}")


def channel_files(directory: Path) -> list[Path]:
    """Data files of a channel, sorted, skipping hidden/underscore names, depth <= 3."""
    if not directory.is_dir():
        return []
    found: list[Path] = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if any(part.startswith((".", "_")) for part in relative.parts):
            continue
        if path.is_file() and len(relative.parts) <= MAX_FOLDER_DEPTH + 1:
            found.append(path)
    return found


def load_channel(name: str, directory: Path, content_type: str | None,
                 csv_weights: bool) -> xgb.DMatrix:
    """The DMatrix of one channel's files; UserError naming the channel if it is empty or bad."""
    files = [f for f in channel_files(directory) if f.stat().st_size > 0]
    if not files:
        raise UserError(f"No data in channel '{name}' ({directory}): it has no non-empty files")
    fmt = data_format(content_type)
    try:
        if fmt == "csv":
            return _csv(files, csv_weights)
        if fmt == "libsvm":
            return _libsvm(files)
        return _parquet(files)
    except UserError:
        raise
    except (ValueError, OSError, xgb.core.XGBoostError) as exc:
        raise UserError(
            f"Could not read channel '{name}' as {fmt} ({content_type or DEFAULT_CONTENT_TYPE}): "
            f"{exc}. CSV must have the label in the first column and no header."
        ) from exc


def _sniff_delimiter(path: Path) -> str:
    with path.open(newline="") as handle:
        first = handle.readline()
    try:
        return csv.Sniffer().sniff(first, delimiters=",\t;| ").delimiter
    except csv.Error:
        return ","


def _csv(files: list[Path], csv_weights: bool) -> xgb.DMatrix:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    blocks = []
    for path in files:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(delimiter=_sniff_delimiter(path)),
        )
        for column in table.columns:
            kind = column.type
            if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)
                    or pa.types.is_null(kind)):
                raise UserError(
                    f"{path.name}: non-numeric column of type {column.type} found; CSV input "
                    "must be numeric with the label in the first column and no header row"
                )
        blocks.append(np.column_stack([c.to_numpy(zero_copy_only=False) for c in table.columns]))
    widths = {b.shape[1] for b in blocks}
    if len(widths) > 1:
        raise UserError(f"CSV files of one channel have different column counts: {sorted(widths)}")
    matrix = np.vstack(blocks).astype(np.float32)
    first_feature = 2 if csv_weights else 1
    if matrix.shape[1] <= first_feature:
        raise UserError("CSV rows need a label column followed by at least one feature column")
    weights = matrix[:, 1] if csv_weights else None
    return xgb.DMatrix(matrix[:, first_feature:], label=matrix[:, 0], weight=weights)


def _libsvm(files: list[Path]) -> xgb.DMatrix:
    # XGBoost's own text reader is deprecated (3.1); parse "<label>[:<weight>] i:v ..." here.
    from scipy.sparse import csr_matrix

    labels: list[float] = []
    weights: list[float] = []
    indptr, indices, values = [0], [], []
    for path in files:
        with path.open() as handle:
            for number, line in enumerate(handle, start=1):
                fields = line.split("#", 1)[0].split()
                if not fields:
                    continue
                label, _, weight = fields[0].partition(":")
                try:
                    labels.append(float(label))
                    weights.append(float(weight) if weight else 1.0)
                    for item in fields[1:]:
                        index, _, value = item.partition(":")
                        if index == "qid":
                            continue
                        indices.append(int(index))
                        values.append(float(value))
                except ValueError as exc:
                    raise UserError(f"{path.name}:{number}: not LIBSVM ({exc})") from exc
                indptr.append(len(indices))
    width = max(indices) + 1 if indices else 0
    matrix = csr_matrix((np.array(values, dtype=np.float32), indices, indptr),
                        shape=(len(labels), width))
    return xgb.DMatrix(matrix, label=np.array(labels),
                       weight=np.array(weights) if any(w != 1.0 for w in weights) else None)


def _parquet(files: list[Path]) -> xgb.DMatrix:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.concat_tables([pq.read_table(path) for path in files])
    matrix = np.column_stack(
        [c.to_numpy(zero_copy_only=False) for c in table.columns]
    ).astype(np.float32)
    if matrix.shape[1] < 2:
        raise UserError("Parquet input needs a label column followed by feature columns")
    return xgb.DMatrix(matrix[:, 1:], label=matrix[:, 0])
