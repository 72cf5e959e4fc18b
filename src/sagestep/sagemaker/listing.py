"""List* semantics shared by the APIs: filters, sorting and NextToken paging, as SageMaker does."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

from sagestep.errors import client_error


def _ts(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value)


def filter_sort_page(
    docs: list[dict[str, Any]], params: dict[str, Any], *, name_key: str, status_key: str | None,
    operation: str, sort_keys: dict[str, Callable[[dict[str, Any]], Any]] | None = None,
    default_sort: str = "CreationTime",
) -> tuple[list[dict[str, Any]], str | None]:
    """Apply NameContains/StatusEquals/*TimeAfter/Before, SortBy/SortOrder, MaxResults/NextToken."""
    out = docs
    if params.get("NameContains"):
        needle = params["NameContains"].lower()
        out = [d for d in out if needle in str(d.get(name_key, "")).lower()]
    if status_key and params.get("StatusEquals"):
        out = [d for d in out if d.get(status_key) == params["StatusEquals"]]
    for field in ("CreationTime", "LastModifiedTime"):
        if params.get(f"{field}After") is not None:
            out = [d for d in out if d.get(field, 0) > _ts(params[f"{field}After"])]
        if params.get(f"{field}Before") is not None:
            out = [d for d in out if d.get(field, 0) < _ts(params[f"{field}Before"])]
    keys: dict[str, Callable[[dict[str, Any]], Any]] = {
        "Name": lambda d: d.get(name_key, ""), "CreationTime": lambda d: d.get("CreationTime", 0),
        "Status": lambda d: d.get(status_key or "", ""), **(sort_keys or {}),
    }
    sort_by = params.get("SortBy", default_sort)
    out = sorted(out, key=keys.get(sort_by, keys["CreationTime"]),
                 reverse=params.get("SortOrder", "Descending") == "Descending")
    start = 0
    if params.get("NextToken"):
        try:
            start = int(base64.b64decode(params["NextToken"]).decode())
        except ValueError as exc:
            raise client_error("ValidationException", "Invalid pagination token", operation) from exc
    size = int(params.get("MaxResults") or 100)
    page = out[start : start + size]
    token = base64.b64encode(str(start + size).encode()).decode() if start + size < len(out) else None
    return page, token


def with_token(body: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token:
        body["NextToken"] = token
    return body
