"""The local workspace: one directory holding everything local sagestep writes.

Found like git finds its repository: an explicit ``home``, else the nearest ``.sagestep``
in the current directory or one above it, else ``$SAGESTEP_HOME``, else a new ``./.sagestep``.

Layout::

    sagestep.db          SQLite (WAL): executions, jobs, registries, configs
    s3/<bucket>/<key>    the local object store
    jobs/<kind>/<name>/  job working dirs (the container's /opt/ml) and logs
    endpoints/<name>/    unpacked models of local endpoints
    api-keys.json        the workspace's AWS access key pair (mode 0600) for the local AWS API
    api.json             url and pid of the running local AWS API (while one runs)
    sagemaker-sdk-config.yaml  SageMaker Python SDK defaults (default bucket) for `api env`
    logs/<group>/<stream>.jsonl  job and endpoint log streams (CloudWatch Logs' groups)

The workspace holds task tokens, job data and model artefacts of whoever runs sagestep:
its directories are created 0700 and its database and secrets 0600, whatever the umask.
"""

from __future__ import annotations

import json
import os
import secrets
import string
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
        """The workspace :func:`discover` picks, its directories created."""
        ws, _ = discover(home)
        ws.ensure()
        return ws

    def ensure(self) -> None:
        for path in (self.root, self.s3_root, self.jobs_root, self.endpoints_root):
            private_dir(path)
        private_file(self.db_path)
        if not self.api_keys_path.exists():
            _create_keys(self.api_keys_path)

    @property
    def api_keys_path(self) -> Path:
        return self.root / "api-keys.json"

    @property
    def api_info_path(self) -> Path:
        return self.root / "api.json"

    def api_keys(self) -> tuple[str, str]:
        """(access key id, secret access key) that the local AWS API accepts."""
        if not self.api_keys_path.exists():
            _create_keys(self.api_keys_path)
        data = json.loads(self.api_keys_path.read_text())
        return str(data["access_key_id"]), str(data["secret_access_key"])

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


# How discover() chose: the CLI says so when the workspace is not ./.sagestep.
GIVEN, FOUND, FROM_ENV, NEW = "given", "found", "env", "new"


def discover(
    home: str | os.PathLike[str] | None = None, cwd: Path | None = None
) -> tuple[Workspace, str]:
    """The workspace to use and how it was chosen (GIVEN, FOUND, FROM_ENV or NEW).

    Like git: a ``.sagestep`` directory in ``cwd`` or the nearest one above it wins, so
    commands run in a project's subdirectory see the project's runs; ``$SAGESTEP_HOME`` is
    the fallback for directories outside any project. Nothing is created here.
    """
    if home is not None:
        return Workspace(Path(home).expanduser().resolve()), GIVEN
    here = (cwd or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / DEFAULT_HOME).is_dir():
            return Workspace(directory / DEFAULT_HOME), FOUND
    env = os.environ.get(HOME_ENV)
    if env:
        return Workspace(Path(env).expanduser().resolve()), FROM_ENV
    return Workspace(here / DEFAULT_HOME), NEW


def _create_keys(path: Path) -> None:
    """Write a fresh key pair, readable by the owner only; a concurrent creator's pair wins."""
    alphabet = string.ascii_uppercase + string.digits
    record = {
        # "ASIA"/"AKIA" are AWS's prefixes; "SSLK" marks a sagestep-local key in logs.
        "access_key_id": "SSLK" + "".join(secrets.choice(alphabet) for _ in range(16)),
        "secret_access_key": secrets.token_urlsafe(30)[:40],
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh)
    try:
        os.link(tmp, path)  # fails if another process created the pair first: keep theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents below an existing one) with mode 0700.

    An existing directory is left as it is: the user may have opened it up on purpose.
    """
    if path.is_dir():
        return
    if not path.parent.is_dir():
        private_dir(path.parent)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask; 0700 needs no more


def private_file(path: Path, data: bytes | None = None) -> None:
    """Create ``path`` with mode 0600 if missing (then write ``data``); never loosens it.

    For the database (SQLite gives its -wal and -shm files the database file's mode) and
    for secrets such as the local API credentials.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        if data is None:
            return
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW)
        os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as out:
        if data is not None:
            out.write(data)
