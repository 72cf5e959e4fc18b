"""A job process we started (a Popen) or adopted after a restart (a pid + its start time)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path


def proc_start(pid: int) -> str:
    """The kernel start time of ``pid`` (Linux /proc), "" where unknown; guards pid reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def alive(pid: int | None, start: str | None) -> bool:
    """True when ``pid`` runs and is the same process that was recorded (same start time)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if _zombie(pid):
        return False
    return not start or proc_start(pid) in ("", start)


def _zombie(pid: int) -> bool:
    # An exited but unreaped process still answers kill(pid, 0); it is not running.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def descendants(root: int) -> list[tuple[int, str]]:
    """(pid, command name) of every descendant of ``root`` (Linux /proc; [] elsewhere)."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.find("(") + 1: stat.rfind(")")]
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append((int(entry.name), comm))
    out: list[tuple[int, str]] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child[0])
    return out


class Process:
    """Wait for, signal, and read the exit status of one job process group."""

    def __init__(self, pid: int, start: str, rc_file: Path, popen: subprocess.Popen[bytes] | None):
        self.pid, self.start, self._rc_file, self._popen = pid, start, rc_file, popen

    @classmethod
    def own(cls, popen: subprocess.Popen[bytes], rc_file: Path) -> Process:
        return cls(popen.pid, proc_start(popen.pid), rc_file, popen)

    @classmethod
    def adopt(cls, pid: int, start: str, rc_file: Path) -> Process:
        return cls(pid, start, rc_file, None)

    def wait(self, timeout: float) -> bool:
        """True once the process has ended (waits up to ``timeout`` seconds)."""
        if self._popen is not None:
            try:
                self._popen.wait(timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        if not alive(self.pid, self.start):
            return True
        time.sleep(timeout * 5)
        return not alive(self.pid, self.start)

    def signal(self, sig: int) -> None:
        """Signal the job: its process group and every descendant.

        A sandboxed job runs in a new session (bwrap --new-session), outside our process
        group, so its processes are found by parentage. bwrap itself is spared SIGTERM: it
        would die at once and take the job with it (--die-with-parent) with no grace period.
        """
        if not alive(self.pid, self.start):
            return
        tree = descendants(self.pid)
        sandboxed = any(comm == "bwrap" for _, comm in tree)
        if sig == signal.SIGKILL or not sandboxed:
            try:
                os.killpg(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(self.pid, sig)
        elif _comm(self.pid) != "bwrap":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, sig)
        for pid, comm in tree:
            if comm == "bwrap" and sig != signal.SIGKILL:
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)

    def exit_code(self) -> int | None:
        """The job command's exit status (from the wrapper's file), or None if unknown."""
        try:
            return int(self._rc_file.read_text().strip())
        except (OSError, ValueError):
            pass
        if self._popen is not None and self._popen.returncode is not None:
            rc = self._popen.returncode
            # the wrapper itself was killed (SIGKILL): report as the shell would, 128+signal
            return 128 - rc if rc < 0 else rc
        return None
