"""What a run left running: its endpoints, their memory, and how to stop them.

Local endpoints are background server processes that outlive the command (like a container
outlives `docker run -d`), so every command that ends a deploying run says so.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console


def deployed_endpoints(backend: Any, run: str) -> list[str]:
    """Endpoints the run's deploy stage created or updated (that exist now)."""
    try:
        stages = backend.stages(run)
        existing = {ep.get("EndpointName") for ep in backend.endpoints()}
    except Exception:  # a note, never a reason to fail a run that succeeded
        return []
    names: list[str] = []
    for stage in stages:
        if stage.stage == "deploy" and stage.status == "SUCCEEDED":
            names += [job for job in stage.jobs if job in existing and job not in names]
    return names


def memory_text(backend: Any, endpoint: str) -> str:
    """``212 MB`` for a local endpoint's processes, "" where unknown (AWS, not running)."""
    measure = getattr(backend, "endpoint_memory", None)
    size = measure(endpoint) if measure else None
    return f"{size / 2**20:.0f} MB" if size else ""


def print_deployed(console: Console, backend: Any, run: str) -> list[str]:
    """One line per endpoint the run deployed; returns their names."""
    names = deployed_endpoints(backend, run)
    local = getattr(backend, "kind", "") == "local"
    for name in names:
        memory = memory_text(backend, name)
        where = f"running in the background ({memory})" if local and memory else "in service"
        console.print(f"endpoint {name} is {where}; try `sagestep endpoints invoke {name} "
                      f"--body ...`; stop it with `sagestep endpoints delete {name}`")
    return names
