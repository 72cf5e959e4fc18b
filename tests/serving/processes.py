"""Find model server processes of one workspace by their command line (orphan checks)."""

from __future__ import annotations

from pathlib import Path


def server_processes(home: Path) -> list[int]:
    """Pids of live ``sagestep.serving.server`` processes whose spec lies under ``home``.

    A sandboxed server is a chain (bwrap, its namespace child, the server itself), all with
    the server's argv: only the head of each chain is one server.
    """
    found: dict[int, int] = {}
    root = str(Path(home).resolve())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z":  # exited, not yet reaped
            continue
        args = [a.decode(errors="replace") for a in argv]
        if "sagestep.serving.server" in args and any(a.startswith(root) for a in args):
            found[int(proc.name)] = int(fields[1])
    return sorted(pid for pid, parent in found.items() if parent not in found)
