"""How a job process sees /opt/ml: a bubblewrap mount, or host paths mapped in its place.

With bubblewrap the job directory is bind-mounted at /opt/ml over a read-only view of the
host, so scripts with hard-coded container paths run unchanged and EnableNetworkIsolation
becomes ``--unshare-net``. Without it (macOS, no user namespaces, ``SAGESTEP_SANDBOX=none``)
the process runs on the host and every /opt/ml path is rewritten to the job directory.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CONTAINER_BASE = "/opt/ml"
BWRAP = "bwrap"
NONE = "none"


@functools.cache
def bwrap_works(executable: str = "bwrap") -> bool:
    """True when bubblewrap exists and can run a job exactly as jobs are run (same mounts)."""
    if shutil.which(executable) is None:
        return False
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        box = Sandbox(BWRAP, Path(tmp) / "ml", Path(tmp) / "tmp")
        box.workdir.mkdir()
        box.tmpdir.mkdir()
        argv, cwd = box.command(["/bin/sh", "-c", "test -d /opt/ml"], CONTAINER_BASE, True)
        try:
            probe = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return False
    return probe.returncode == 0


def choose_mode(requested: str | None) -> str:
    """``bwrap`` when asked for (or by default) and working, else ``none``."""
    if requested == NONE:
        return NONE
    return BWRAP if bwrap_works() else NONE


@dataclass(frozen=True)
class Sandbox:
    """One job's view: ``workdir`` on the host is /opt/ml in the job (bwrap) or as itself."""

    mode: str
    workdir: Path
    tmpdir: Path

    @property
    def base(self) -> str:
        """The /opt/ml base directory as the job process sees it."""
        return CONTAINER_BASE if self.mode == BWRAP else str(self.workdir)

    def host(self, container_path: str) -> Path:
        """Host path of a container path under /opt/ml (other paths are returned as given)."""
        if container_path == CONTAINER_BASE or container_path.startswith(CONTAINER_BASE + "/"):
            rel = container_path[len(CONTAINER_BASE):].lstrip("/")
            return self.workdir / rel if rel else self.workdir
        return Path(container_path)

    def inside(self, container_path: str) -> str:
        """A container path as the job process must be given it."""
        if self.mode == BWRAP:
            return container_path
        if container_path == CONTAINER_BASE or container_path.startswith(CONTAINER_BASE + "/"):
            return str(self.host(container_path))
        return container_path

    def command(self, argv: list[str], cwd: str, network_isolation: bool) -> tuple[list[str], str]:
        """(argv to exec on the host, host cwd) for running ``argv`` in this sandbox."""
        if self.mode != BWRAP:
            return [self.inside(a) for a in argv], str(self.host(cwd))
        cmd = [BWRAP, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        if not _python_under_tmp():
            # a private /tmp per job, as a container has (unless this Python itself lives there)
            cmd += ["--bind", str(self.tmpdir), "/tmp"]
        # /opt is read-only host state; mount a tmpfs so /opt/ml can be created, then put the
        # host's /opt entries back.
        cmd += ["--tmpfs", "/opt"]
        opt = Path("/opt")
        if opt.is_dir():
            for entry in sorted(opt.iterdir()):
                if entry.name != "ml":
                    cmd += ["--ro-bind-try", str(entry), str(entry)]
        cmd += ["--bind", str(self.workdir), CONTAINER_BASE]
        if network_isolation:
            cmd.append("--unshare-net")
        cmd += ["--chdir", cwd, "--"]
        return cmd + argv, "/"


@functools.cache
def _python_under_tmp() -> bool:
    import sys

    import sagestep

    paths = (sys.prefix, sys.base_prefix, sys.executable, str(Path(sagestep.__file__).parent))
    return any(Path(p).resolve().is_relative_to("/tmp") for p in paths)


def job_environment(extra: dict[str, str]) -> dict[str, str]:
    """The host environment (so the local Python finds its packages) overlaid by the job's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SAGEMAKER_"))}
    env.update(extra)
    return env
