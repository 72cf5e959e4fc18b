"""Reading files a job wrote without following its symlinks out of the job dir.

A job's output directory may hold links to host files (/etc/shadow) that must never be
uploaded; these helpers list and open only regular files, with O_NOFOLLOW.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def regular_files(source: Path) -> Iterator[tuple[str, Path]]:
    """(relative posix path, path) of the regular files below ``source``, sorted.

    Symlinks are never followed, to files or directories: a job's output directory may
    hold links to host files (/etc/shadow) that must not be uploaded.
    """
    found = []
    for folder, dirs, files in os.walk(source, followlinks=False):
        dirs.sort()
        for name in files:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append((path.relative_to(source).as_posix(), path))
    return iter(sorted(found))


class open_nofollow:  # noqa: N801 - used like open()
    """``with open_nofollow(path) as fh``: fh is None if ``path`` is now a symlink or not a file.

    O_NOFOLLOW closes the gap between listing a file and opening it, in which a symlink
    could replace it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh: BinaryIO | None = None

    def __enter__(self) -> BinaryIO | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        self.fh = os.fdopen(fd, "rb")
        return self.fh

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            self.fh.close()
