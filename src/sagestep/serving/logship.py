"""Ship a model server's output into the workspace's CloudWatch-like log streams.

On AWS an endpoint's container output lands in ``/aws/sagemaker/Endpoints/<name>``, stream
``<variant>/<instance>``. The server process writes raw output (also native crashes) to its
log file; this thread tails that file into the same log store the jobs use, so the
``LogStreamArn`` of a ModelError points at something readable.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sagestep.clock import SystemClock

POLL_SECONDS = 0.5


def endpoint_log_group(endpoint: str) -> str:
    """The CloudWatch log group of an endpoint."""
    return f"/aws/sagemaker/Endpoints/{endpoint}"


class LogShipper(threading.Thread):
    """Tails ``source`` into ``group``/``stream`` under ``root`` until the process exits."""

    def __init__(self, source: Path, root: Path, group: str, stream: str) -> None:
        super().__init__(name="log-shipper", daemon=True)
        from sagestep.sagemaker.logs import LogStore

        self.source, self.group, self.stream = source, group, stream
        self.store = LogStore(root, SystemClock())
        self.offset = 0
        self.partial = b""
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(POLL_SECONDS):
            self.pump()
        self.pump(final=True)

    def pump(self, final: bool = False) -> None:
        """Append the complete lines written since the last call."""
        try:
            with self.source.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return
        self.offset += len(chunk)
        parts = (self.partial + chunk).split(b"\n")
        self.partial = parts.pop()
        if final and self.partial:
            parts.append(self.partial)
            self.partial = b""
        lines = [p.decode("utf-8", "replace").rstrip("\r") for p in parts]
        if lines:
            self.store.append(self.group, self.stream, lines)
