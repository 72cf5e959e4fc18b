"""Reading the event `sagestep trigger` sends: one JSON object, from a file or stdin."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sagestep.errors import SagestepError


def read_event(source: str) -> dict[str, Any]:
    """The JSON object in file ``source`` ('-': stdin), or SagestepError saying what is wrong.

    The router takes objects only (an S3 notification, an EventBridge event, a manual
    ``{"pipeline": ...}``); an array or a scalar is refused here with the accepted shapes.
    """
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise SagestepError(f"{source}: cannot read the event file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SagestepError(f"{source}: not UTF-8 text (byte offset {exc.start})") from exc
    try:
        payload = json.loads(text)
    except RecursionError as exc:
        raise SagestepError(f"{source}: the event JSON nests too deep") from exc
    except ValueError as exc:
        raise SagestepError(f"{source}: not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise SagestepError(
            f"{source}: the event must be a JSON object ({{...}}), got a JSON "
            f"{_json_kind(payload)}; e.g. {{\"pipeline\": \"my-pipeline\"}} or an S3 notification"
        )
    return payload


def _json_kind(value: object) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)
