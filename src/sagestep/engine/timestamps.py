"""ISO-8601 extended offset date-times as Step Functions accepts them (RFC 3339)."""

from __future__ import annotations

import re
from datetime import datetime

# AWS requires the 'T' separator and an explicit offset ('Z' or +hh:mm).
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_timestamp(text: object) -> float | None:
    """Epoch seconds of an RFC 3339 timestamp, or None if ``text`` is not one."""
    if not isinstance(text, str):
        return None
    match = _RFC3339.fullmatch(text)
    if not match:
        return None
    fraction = (match.group(7) or ".0")[:7]
    offset = "+00:00" if match.group(8) == "Z" else match.group(8)
    normal = f"{text[:19]}{fraction}{offset}"
    try:
        return datetime.fromisoformat(normal).timestamp()
    except ValueError:
        return None
