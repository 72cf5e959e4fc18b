"""Container paths confined to /opt/ml, and host reads that never leave a job directory.

Every path a request names inside the container (a processing LocalPath, a checkpoint
LocalPath, a channel name) becomes a host path below the job directory. Without a check,
``/opt/ml/processing/../../../tmp/x`` or a channel named ``..`` would make the worker write
or upload host files. AWS requires processing paths below /opt/ml/processing/
(API_ProcessingS3Input.LocalPath) and checkpoints below /opt/ml; these functions
normalise a path first, so a ``..`` cannot climb out of what a prefix test accepted.

After a job ran, its directory is hostile: any entry may be a symlink to a host file.
``read_capped`` opens a file component by component with O_NOFOLLOW, and
``confined_dir`` refuses a directory whose real path left the job directory.
"""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path

CONTAINER_BASE = "/opt/ml"
PROCESSING_BASE = "/opt/ml/processing"


class ContainerPathError(ValueError):
    """A container path outside the directory it must stay in."""


def container_path(value: object, base: str, where: str) -> str:
    """``value`` normalised, or ContainerPathError unless it lies strictly below ``base``."""
    if not isinstance(value, str) or not value.startswith("/") or "\x00" in value:
        raise ContainerPathError(f"{where}: {value!r} must be an absolute path below {base}/")
    normal = posixpath.normpath(value)
    if normal.startswith("//"):  # normpath keeps a leading '//' (POSIX implementation-defined)
        normal = "/" + normal.lstrip("/")
    if not normal.startswith(base + "/"):
        detail = f" (it resolves to {normal})" if normal != value.rstrip("/") else ""
        raise ContainerPathError(f"{where}: {value!r} must be a path below {base}/{detail}")
    return normal


def path_segment(value: object, where: str) -> str:
    """A name used as one directory (a channel): not empty, '.', '..' and without '/'."""
    if not isinstance(value, str) or value in ("", ".", "..") or "/" in value or "\x00" in value:
        raise ContainerPathError(f"{where}: {value!r} is not usable as a directory name "
                                 "(no '/', '.' or '..')")
    return value


def confined_dir(root: Path, path: Path) -> Path | None:
    """``path`` if it is a real directory inside ``root`` (symlinks resolved), else None."""
    try:
        real = Path(os.path.realpath(path))
        top = Path(os.path.realpath(root))
    except OSError:
        return None
    if real != top and top not in real.parents:
        return None
    return real if real.is_dir() else None


def read_capped(root: Path, path: Path, limit: int) -> bytes | None:
    """The first ``limit`` bytes of the regular file ``path`` below ``root``, never a symlink.

    Each directory component is opened with O_NOFOLLOW relative to the previous one, so
    neither the file nor a directory above it can point out of ``root``. None when the
    file is missing, a symlink, or not a regular file (a FIFO would block the worker).
    """
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return None
    if not parts or ".." in parts:
        return None
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    fds: list[int] = []
    try:
        fds.append(os.open(root, flags | os.O_DIRECTORY))
        for part in parts[:-1]:
            fds.append(os.open(part, flags | os.O_DIRECTORY, dir_fd=fds[-1]))
        fds.append(os.open(parts[-1], flags | os.O_NONBLOCK, dir_fd=fds[-1]))
        if not stat.S_ISREG(os.fstat(fds[-1]).st_mode):
            return None
        return os.read(fds[-1], limit)
    except OSError:  # missing, a symlink (ELOOP), not a directory (ENOTDIR)
        return None
    finally:
        for fd in fds:
            os.close(fd)
