"""History events as AWS Step Functions reports them (types, ids, details objects)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagestep.clock import utc

# Details carried as JSON text in AWS history (and dropped when includeExecutionData=False).
_DATA_FIELDS = ("input", "output", "parameters", "assignedVariables")
_DATA_DETAILS = {"input": "inputDetails", "output": "outputDetails",
                 "assignedVariables": "assignedVariablesDetails"}


@dataclass(frozen=True)
class Event:
    """One history event; ``details`` are the fields of its ``<type>EventDetails`` object."""

    id: int
    type: str
    timestamp: float
    previous: int
    details: Mapping[str, Any] | None = None

    def to_aws(self, include_data: bool = True) -> dict[str, Any]:
        """The boto3 ``HistoryEvent`` dict."""
        out: dict[str, Any] = {
            "timestamp": utc(self.timestamp),
            "type": self.type,
            "id": self.id,
            "previousEventId": self.previous,
        }
        if self.details is not None:
            details = dict(self.details)
            if not include_data:
                for key in _DATA_FIELDS:
                    details.pop(key, None)
            out[details_key(self.type)] = details
        return out


def details_key(event_type: str) -> str:
    """``PassStateEntered`` -> ``stateEnteredEventDetails``, ``TaskFailed`` -> ``taskFailedEventDetails``."""
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


# One encoder each, built once: json.dumps with options builds a new encoder per call.
_PAYLOAD = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_DETAILS = json.JSONEncoder(separators=(",", ":"))


def payload(value: Any) -> str:
    """JSON text of a payload as AWS writes it in history and DescribeExecution (compact)."""
    return _PAYLOAD.encode(value)


def data_details(**fields: Any) -> dict[str, Any]:
    """Details with JSON payload fields plus their ``*Details: {truncated: false}`` twins."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        out[key] = value
        twin = _DATA_DETAILS.get(key)
        if twin:
            out[twin] = {"truncated": False}
    return out


def dumps_details(details: Mapping[str, Any] | None) -> str | None:
    return None if details is None else _DETAILS.encode(details)


def loads_details(text: str | None) -> Mapping[str, Any] | None:
    if text is None:
        return None
    details: Mapping[str, Any] = json.loads(text)
    return details
