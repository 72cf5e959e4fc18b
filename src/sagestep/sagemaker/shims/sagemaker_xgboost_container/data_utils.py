"""Training data files -> xgboost.DMatrix, as the XGBoost image's ``data_utils`` does it.

Script-mode training code calls ``get_content_type`` and ``get_dmatrix(path, content_type)``:
every data file of a channel directory (names starting with ``.`` or ``_`` skipped, sub
directories up to ``MAX_FOLDER_DEPTH``) is read together; CSV and LIBSVM carry the label in
the first column, parquet in the first column too.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import xgboost as xgb

CSV = "csv"
LIBSVM = "libsvm"
PARQUET = "parquet"
RECORDIO_PROTOBUF = "recordio-protobuf"
MAX_FOLDER_DEPTH = 3
VALID_CONTENT_TYPES = ["csv", "libsvm", "parquet", "recordio-protobuf", "text/csv", "text/libsvm",
                       "text/x-libsvm", "application/x-parquet", "application/x-recordio-protobuf"]
_ALIASES = {"csv": CSV, "text/csv": CSV, "libsvm": LIBSVM, "text/libsvm": LIBSVM,
            "text/x-libsvm": LIBSVM, "parquet": PARQUET, "application/x-parquet": PARQUET,
            "recordio-protobuf": RECORDIO_PROTOBUF, "application/x-recordio-protobuf": RECORDIO_PROTOBUF}


class UserError(Exception):
    """Bad training data or configuration (the job fails with this message)."""


def get_content_type(content_type_cfg_val: str | None) -> str:
    """The channel's ContentType (default libsvm) as one of csv|libsvm|parquet|recordio-protobuf."""
    if not content_type_cfg_val:
        return LIBSVM
    media, _, params = content_type_cfg_val.lower().partition(";")
    kind = _ALIASES.get(media.strip())
    if kind is None:
        raise UserError(f"{content_type_cfg_val} is not an accepted ContentType: "
                        f"{', '.join(VALID_CONTENT_TYPES)}.")
    if kind == CSV and params.strip() and params.strip().replace(" ", "") != "label_size=1":
        raise UserError(f"{content_type_cfg_val}: only label_size=1 is supported for CSV.")
    return kind


def _files(data_path: str | list[str]) -> list[Path]:
    roots = [data_path] if isinstance(data_path, str) else list(data_path)
    out: list[Path] = []
    for root in map(Path, roots):
        if root.is_file():
            out.append(root)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            depth = len(Path(dirpath).relative_to(root).parts)
            dirnames[:] = [] if depth >= MAX_FOLDER_DEPTH else sorted(dirnames)
            out += [Path(dirpath) / f for f in sorted(filenames) if not f.startswith((".", "_"))]
    return out


def get_csv_dmatrix(path: str | list[str], csv_weights: int = 0, is_pipe: bool = False) -> xgb.DMatrix | None:
    """Label in column 0 (and the instance weight in column 1 when ``csv_weights`` is 1)."""
    files = _files(path)
    if not files:
        return None
    with files[0].open() as fh:
        first = fh.readline()
    delimiter = "," if not first else csv.Sniffer().sniff(first[:512], delimiters=",;\t| ").delimiter
    data = np.vstack([np.atleast_2d(np.genfromtxt(f, delimiter=delimiter, dtype=float)) for f in files])
    if csv_weights == 1:
        return xgb.DMatrix(data[:, 2:], label=data[:, 0], weight=data[:, 1])
    return xgb.DMatrix(data[:, 1:], label=data[:, 0])


def get_libsvm_dmatrix(files_path: str | list[str], is_pipe: bool = False) -> xgb.DMatrix | None:
    """LIBSVM rows ``label[:weight] idx:value ...`` (1-based indices)."""
    from sagemaker_xgboost_container.encoder import libsvm_to_dmatrix

    files = _files(files_path)
    if not files:
        return None
    lines = [line for f in files for line in f.read_text().splitlines() if line.strip()]
    labels = [float(line.split()[0].split(":")[0]) for line in lines]
    matrix: xgb.DMatrix = libsvm_to_dmatrix("\n".join(" ".join(line.split()[1:]) for line in lines))
    matrix.set_label(np.array(labels))
    return matrix


def get_parquet_dmatrix(path: str | list[str], is_pipe: bool = False) -> xgb.DMatrix | None:
    """Label = first column, features = the rest."""
    import pandas as pd

    files = _files(path)
    if not files:
        return None
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    values = frame.to_numpy(dtype=float)
    return xgb.DMatrix(values[:, 1:], label=values[:, 0])


def get_dmatrix(data_path: str | list[str], content_type: str, csv_weights: int = 0,
                is_pipe: bool = False) -> xgb.DMatrix | None:
    """All data files under ``data_path`` as one DMatrix (None when there are none)."""
    kind = get_content_type(content_type)
    if kind == CSV:
        return get_csv_dmatrix(data_path, csv_weights, is_pipe)
    if kind == LIBSVM:
        return get_libsvm_dmatrix(data_path, is_pipe)
    if kind == PARQUET:
        return get_parquet_dmatrix(data_path, is_pipe)
    raise UserError("RecordIO-protobuf training data is not supported by sagestep's local runner")


def get_size(data_path: str | list[str], is_pipe: bool = False) -> int:
    """Total bytes of the data files under ``data_path``."""
    return sum(f.stat().st_size for f in _files(data_path))


def validate_data_file_path(data_path: str, content_type: str) -> None:
    """UserError unless ``data_path`` holds at least one data file."""
    get_content_type(content_type)
    if not _files(data_path):
        raise UserError(f"No data files found under {data_path}.")
