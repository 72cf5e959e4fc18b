"""Status bookkeeping shared by job kinds: transitions, timestamps, message files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sagestep.sagemaker.confine import read_capped

TERMINAL = ("Completed", "Failed", "Stopped")
MESSAGE_LIMIT = 1024


def transition(doc: dict[str, Any], status: str, message: str, now: float) -> None:
    """Close the open SecondaryStatusTransition and open ``status`` (AWS's list shape)."""
    transitions = doc.setdefault("SecondaryStatusTransitions", [])
    if transitions and "EndTime" not in transitions[-1]:
        if transitions[-1]["Status"] == status:
            return
        transitions[-1]["EndTime"] = now
    entry: dict[str, Any] = {"Status": status, "StartTime": now, "StatusMessage": message}
    if status in ("Completed", "Failed", "Stopped", "MaxRuntimeExceeded"):
        entry["EndTime"] = now
    transitions.append(entry)
    doc["SecondaryStatus"] = status
    doc["LastModifiedTime"] = now


def read_message(root: Path, path: Path) -> str | None:
    """First 1 KiB of a failure/message file below the job dir ``root``, or None.

    None also when the file (or a directory above it) is a symlink or not a regular file:
    the job wrote it, and must not make the worker read a host file.
    """
    data = read_capped(root, path, MESSAGE_LIMIT)
    if data is None:
        return None
    text = data.decode("utf-8", "replace").strip()
    return text or None


def tail(lines: list[str], limit: int = 700) -> str:
    text = "\n".join(lines)
    return text[-limit:]
