"""The local workspace: one directory holding everything local sagestep writes.

Layout (default ``./.sagestep``, overridden by ``SAGESTEP_HOME`` or an explicit ``home``)::

    sagestep.db          SQLite (WAL): executions, jobs, registries, configs
    s3/<bucket>/<key>    the local object store
    jobs/<kind>/<name>/  job working dirs (the container's /opt/ml) and logs
    endpoints/<name>/    unpacked models of local endpoints
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = ".sagestep"
HOME_ENV = "SAGESTEP_HOME"


@dataclass(frozen=True)
class Workspace:
    """Paths of one local workspace; creating it makes the directories."""

    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> Workspace:
        """Explicit ``home`` first, then ``$SAGESTEP_HOME``, then ``./.sagestep``."""
        chosen = home if home is not None else os.environ.get(HOME_ENV) or DEFAULT_HOME
        root = Path(chosen).expanduser().resolve()
        ws = cls(root)
        ws.ensure()
        return ws

    def ensure(self) -> None:
        for path in (self.root, self.s3_root, self.jobs_root, self.endpoints_root):
            path.mkdir(parents=True, exist_ok=True)

    @property
    def db_path(self) -> Path:
        return self.root / "sagestep.db"

    @property
    def s3_root(self) -> Path:
        return self.root / "s3"

    @property
    def jobs_root(self) -> Path:
        return self.root / "jobs"

    @property
    def endpoints_root(self) -> Path:
        return self.root / "endpoints"
