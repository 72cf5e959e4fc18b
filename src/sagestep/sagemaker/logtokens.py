"""Opaque paging tokens of the local CloudWatch Logs: a list index, or a (time, stream,
offset) position in a merged event order. A token of one kind is refused by the other."""

from __future__ import annotations

import base64
import json
from typing import Any


def _encode(kind: str, value: Any) -> str:
    raw = json.dumps([kind, value], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(kind: str, token: str) -> Any:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(data, list) or len(data) != 2 or data[0] != kind:
        return None
    return data[1]


def encode_index_token(index: int) -> str:
    """DescribeLogGroups/DescribeLogStreams: where the next page starts."""
    return _encode("i", index)


def decode_index_token(token: str) -> int | None:
    value = _decode("i", token)
    return value if isinstance(value, int) and value >= 0 else None


def encode_filter_token(timestamp: int, stream: str, offset: int) -> str:
    """FilterLogEvents: the last event returned; the next page starts after it."""
    return _encode("e", [timestamp, stream, offset])


def decode_filter_token(token: str) -> tuple[int, str, int] | None:
    value = _decode("e", token)
    if (isinstance(value, list) and len(value) == 3 and isinstance(value[0], int)
            and isinstance(value[1], str) and isinstance(value[2], int)):
        return value[0], value[1], value[2]
    return None
