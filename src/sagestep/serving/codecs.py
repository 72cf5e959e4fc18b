"""The serving toolkits' default decoders and encoders (application/json, text/csv, application/x-npy).

As sagemaker-containers / the inference toolkit: JSON ``np.array(json.loads(s))``, CSV
``np.genfromtxt(delimiter=",")``, NPY ``np.load``; encoders mirror them, CSV writing one
row per line (a 1-D array one value per line). Unsupported Content-Type -> 415, unsupported
Accept -> 406. [src: sagemaker_containers _encoders.py; sagemaker_inference encoder.py]
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

from sagestep.serving.handler import InvocationError

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
SUPPORTED = (JSON, CSV, NPY)
# The toolkits decode these as UTF-8 before calling input_fn; others arrive as bytes.
TEXT_TYPES = (JSON, CSV)


def base_type(content_type: str | None, default: str = JSON) -> str:
    """``text/csv; charset=utf-8`` -> ``text/csv`` (``default`` when missing)."""
    if not content_type:
        return default
    return content_type.split(";", 1)[0].strip().lower()


def choose_accept(accept: str | None, default: str, supported: tuple[str, ...] = SUPPORTED) -> str:
    """The response type: first supported entry of Accept; missing or ``*/*`` -> ``default``."""
    if not accept or accept.strip() in ("*/*", ""):
        return default
    entries = [base_type(part) for part in accept.split(",")]
    for entry in entries:
        if entry == "*/*":
            return default
        if entry in supported:
            return entry
    return entries[0]


def decode(data: Any, content_type: str) -> np.ndarray:
    """Default input_fn decoding; 415 for a type the toolkit cannot decode."""
    kind = base_type(content_type)
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) and kind in TEXT_TYPES \
        else data
    try:
        if kind == JSON:
            return np.asarray(json.loads(text))
        if kind == CSV:
            return np.genfromtxt(io.StringIO(text), delimiter=",", dtype=np.float64)
        if kind == NPY:
            raw = data if isinstance(data, bytes | bytearray) else str(data).encode()
            return np.asarray(np.load(io.BytesIO(raw), allow_pickle=False))
    except ValueError as exc:
        raise InvocationError(400, f"Cannot decode the request body as {kind}: {exc}") from exc
    raise InvocationError(
        415, f"Content type {content_type} is not supported by this model server; "
        f"supported: {', '.join(SUPPORTED)}"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    return value


def encode(prediction: Any, accept: str) -> bytes:
    """Default output_fn encoding; 406 for a type the toolkit cannot encode."""
    kind = base_type(accept)
    if kind == JSON:
        return json.dumps(prediction, default=_plain).encode()
    if kind == CSV:
        rows = _plain(prediction)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if isinstance(rows, list) and rows and isinstance(rows[0], list):
            writer.writerows(rows)
        else:
            writer.writerows([[v] for v in (rows if isinstance(rows, list) else [rows])])
        return buffer.getvalue().encode()
    if kind == NPY:
        out = io.BytesIO()
        np.save(out, np.asarray(prediction), allow_pickle=False)
        return out.getvalue()
    raise InvocationError(
        406, f"Accept type {accept} is not supported by this model server; "
        f"supported: {', '.join(SUPPORTED)}"
    )
