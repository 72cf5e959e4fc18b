"""Find model server processes of one workspace by their command line (orphan checks)."""

from __future__ import annotations

from pathlib import Path


def server_processes(home: Path) -> list[int]:
    """Pids of live ``sagestep.serving.server`` processes whose spec lies under ``home``."""
    found = []
    root = str(Path(home).resolve())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state == "Z":  # exited, not yet reaped
            continue
        args = [a.decode(errors="replace") for a in argv]
        if "sagestep.serving.server" in args and any(a.startswith(root) for a in args):
            found.append(int(proc.name))
    return found
