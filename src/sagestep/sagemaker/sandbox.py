"""How a job process sees its container: a bubblewrap sandbox, or host paths mapped in its place.

With bubblewrap a job gets what a container gives it and no more: a writable root of its
own (bwrap's tmpfs root, discarded at the end), a read-only system view (/usr, /lib*, /bin,
/etc without its secrets, the Python environment it runs on), a private HOME and /tmp, and
its job directory at /opt/ml. It runs in its own user, PID, IPC and UTS namespaces as an
unprivileged id with every capability dropped, so even when sagestep runs as root a job
cannot remount, setns or read what it was not given (the workspace database, other jobs,
/root, /etc/shadow). EnableNetworkIsolation adds ``--unshare-net``.

Without it (macOS, no user namespaces, ``SAGESTEP_SANDBOX=none``) the process runs on the
host, every /opt/ml path is rewritten to the job directory, and every job says so.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sagestep.sagemaker.runtime import JobRuntime, host_runtime

CONTAINER_BASE = "/opt/ml"
CONTAINER_HOME = "/root"  # AWS framework containers run with HOME=/root
BWRAP = "bwrap"
NONE = "none"
JOB_UID = 1000
UNSANDBOXED_WARNING = (
    "WARNING: this job runs WITHOUT a sandbox (no working bubblewrap, or SAGESTEP_SANDBOX=none): "
    "it runs as your user on the host, sees your files and the network, and /opt/ml paths are "
    "rewritten to its job directory. Install bubblewrap (apt-get install bubblewrap) to isolate jobs."
)
# Read-only system directories a job sees (symlinks are recreated as symlinks).
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# /etc entries a job never sees: password hashes, host keys, sudo rules, private TLS keys.
_ETC_SECRETS = frozenset({
    "shadow", "shadow-", "gshadow", "gshadow-", "ssh", "sudoers", "sudoers.d", "security",
    "subuid", "subgid", "subuid-", "subgid-", "passwd-", "group-",
    "machine-id", "krb5.keytab", "docker", "containerd", "pki",
})
_PASSWD = f"root:x:0:0:root:/root:/bin/sh\nsagemaker:x:{JOB_UID}:{JOB_UID}:job:{CONTAINER_HOME}:/bin/sh\n"
_GROUP = f"root:x:0:\nsagemaker:x:{JOB_UID}:\n"


@functools.cache
def bwrap_works(executable: str = "bwrap") -> bool:
    """True when bubblewrap exists and can run a job exactly as jobs are run (same options)."""
    if shutil.which(executable) is None:
        return False
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        box = Sandbox(BWRAP, Path(tmp) / "ml", Path(tmp) / "run")
        box.workdir.mkdir()
        argv, cwd = box.command(["/bin/sh", "-c", "test -d /opt/ml"], CONTAINER_BASE, True,
                                host_runtime())
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
    """One job's view: ``workdir`` on the host is /opt/ml in the job; ``rundir`` holds its scratch."""

    mode: str
    workdir: Path
    rundir: Path

    @property
    def tmpdir(self) -> Path:
        """Host dir of the job's /tmp (unsandboxed: its TMPDIR)."""
        return self.rundir / "tmp"

    @property
    def homedir(self) -> Path:
        """Host dir of the job's HOME (unsandboxed only; sandboxed HOME is a tmpfs)."""
        return self.rundir / "home"

    @property
    def base(self) -> str:
        """The /opt/ml base directory as the job process sees it."""
        return CONTAINER_BASE if self.mode == BWRAP else str(self.workdir)

    @property
    def home(self) -> str:
        """HOME as the job sees it."""
        return CONTAINER_HOME if self.mode == BWRAP else str(self.homedir)

    @property
    def warning(self) -> str | None:
        """The loud line every unsandboxed job prints, None when sandboxed."""
        return None if self.mode == BWRAP else UNSANDBOXED_WARNING

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

    def prepare(self) -> None:
        """Create the scratch dirs (called before every start)."""
        for path in (self.tmpdir, self.homedir):
            path.mkdir(parents=True, exist_ok=True)

    def discard(self) -> None:
        """Drop the job's scratch (its /tmp and HOME), as a container's layer goes with it."""
        import shutil

        for path in (self.tmpdir, self.homedir):
            shutil.rmtree(path, ignore_errors=True)

    def command(self, argv: list[str], cwd: str, network_isolation: bool, runtime: JobRuntime,
                detached: bool = False, writable: tuple[str, ...] = ()) -> tuple[list[str], str]:
        """(argv to exec on the host, host cwd) for running ``argv`` in this sandbox.

        ``detached``: no --die-with-parent (endpoint servers outlive their starter);
        ``writable``: extra host dirs bound read-write at the same path (a server's log stream).
        """
        if self.mode != BWRAP:
            # "/" (a processing container's cwd) is the job dir: never run in the host's root
            host_cwd = self.workdir if cwd == "/" else self.host(cwd)
            return [self.inside(a) for a in argv], str(host_cwd)
        self.prepare()
        cmd = [BWRAP, "--unshare-user", "--uid", str(JOB_UID), "--gid", str(JOB_UID),
               "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "algo-1",
               "--cap-drop", "ALL", "--new-session"]
        if not detached:
            cmd.append("--die-with-parent")
        if network_isolation:
            cmd.append("--unshare-net")
        cmd += _system_view()
        cmd += self._identity_files()
        cmd += ["--dev", "/dev", "--proc", "/proc",
                "--bind", str(self.tmpdir), "/tmp", "--tmpfs", CONTAINER_HOME]
        # After /tmp: an environment that lives under the host's /tmp stays visible.
        for path in runtime.ro_binds:
            cmd += ["--ro-bind-try", path, path]
        for path in writable:
            cmd += ["--bind", path, path]
        cmd += ["--dir", "/opt", "--bind", str(self.workdir), CONTAINER_BASE,
                "--chdir", cwd, "--"]
        return cmd + argv, "/"

    def _identity_files(self) -> list[str]:
        # The job user's own passwd/group (the host's list users and is not the job's business).
        out: list[str] = []
        for name, text in (("passwd", _PASSWD), ("group", _GROUP)):
            path = self.rundir / name
            if not path.exists():
                path.write_text(text)
            out += ["--ro-bind", str(path), f"/etc/{name}"]
        return out


@functools.cache
def _system_view() -> tuple[str, ...]:
    out: list[str] = []
    for top in _SYSTEM:
        path = Path(top)
        if path.is_symlink():
            out += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            out += ["--ro-bind", top, top]
    # /etc whole (one mount: each extra mount costs job start time), its secrets masked
    out += ["--ro-bind", "/etc", "/etc"]
    for entry in sorted(Path("/etc").iterdir()):
        if entry.is_symlink():
            continue
        if entry.name in _ETC_SECRETS or not _public(entry):
            out += _mask(entry)
        elif entry.is_dir():
            out += _hide_private(entry)
    return tuple(out)


def _public(path: Path) -> bool:
    """World-readable: the job runs as the host's uid, so only what any user may read is shown."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return path.is_symlink() or bool(mode & 0o004)


def _hide_private(directory: Path) -> list[str]:
    # e.g. /etc/ssl/private (0700): covered by an empty tmpfs, private files by /dev/null.
    out: list[str] = []
    try:
        children = sorted(directory.iterdir())
    except OSError:
        return out
    for child in children:
        if child.is_symlink() or _public(child):
            continue
        out += _mask(child)
    return out


def _mask(path: Path) -> list[str]:
    return ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
