"""Tails a job's raw output file into its log stream and the job's ``line`` hook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sagestep.sagemaker.runner import JobContext, JobDefinition


class LineReader:
    """Tails the raw output file into log events and ``job.line``.

    The consumed offset is kept in ``<run>/output.offset`` so a worker that re-attaches after
    a restart logs only new lines, and replays the old ones into ``job.line`` (metrics) only.
    """

    def __init__(self, path: Path, ctx: JobContext, job: JobDefinition, resume: bool = False) -> None:
        self._path, self._ctx, self._job = path, ctx, job
        self._offset_file = path.with_suffix(".offset")
        self._offset = 0
        self._partial = b""
        if resume:
            self._replay()
        else:
            self._offset_file.unlink(missing_ok=True)

    def _replay(self) -> None:
        try:
            done = int(self._offset_file.read_text())
            with self._path.open("rb") as fh:
                old = fh.read(done)
        except (OSError, ValueError):
            return
        self._offset = len(old)
        for raw in old.split(b"\n")[:-1]:
            self._job.line(self._ctx, raw.decode("utf-8", "replace").rstrip("\r"))
        self._offset -= len(old) - (old.rfind(b"\n") + 1)

    def pump(self, final: bool = False) -> None:
        try:
            with self._path.open("rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
        except FileNotFoundError:
            return
        if not chunk and not (final and self._partial):
            return
        self._offset += len(chunk)
        data = self._partial + chunk
        parts = data.split(b"\n")
        self._partial = parts.pop()
        if final and self._partial:
            parts.append(self._partial)
            self._partial = b""
        lines = [p.decode("utf-8", "replace").rstrip("\r") for p in parts]
        if lines:
            self._ctx.log(*lines)
            for line in lines:
                self._job.line(self._ctx, line)
            self._offset_file.write_text(str(self._offset - len(self._partial)))
