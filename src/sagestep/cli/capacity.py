"""`sagestep capacity`: the local job slots, what holds them, and the per-workspace setting."""

from __future__ import annotations

import typer
from rich.console import Console

from sagestep.cli import options

console = Console(highlight=False)


def capacity(
    slots: int = typer.Option(None, "--slots", min=1,
                              help="Run at most this many job slots at once in this workspace."),
    machine: bool = typer.Option(False, "--machine",
                                 help="Forget --slots: derive the slots from cores and memory."),
    home: str | None = options.HomeOption,
) -> None:
    """Show (or set) how many local jobs run at once; the rest wait in order."""
    from sagestep.sagemaker import admission
    from sagestep.sagemaker.capacity import Capacity, read_slots, write_slots
    from sagestep.sagemaker.records import RecordStore
    from sagestep.workspace import Workspace

    workspace = Workspace.resolve(home)
    if slots is not None or machine:
        write_slots(workspace.root, None if machine else slots)
    fixed = read_slots(workspace.root)
    cap = Capacity.of_machine(fixed)
    with RecordStore(workspace.db_path).connection() as conn:
        reserved = admission.endpoint_memory_mb(conn)
        used = admission.used_slots(conn)
        queued = [f"{kind} {name}" for kind, name in conn.execute(
            "SELECT kind, name FROM sm_runs WHERE state = 'queued' ORDER BY queued_seq")]
    source = ("workspace setting (sagestep capacity --machine to drop it)" if fixed else
              f"machine: {cap.cores} cores, {cap.memory_mb} MB, "
              f"{reserved} MB held by endpoint servers")
    console.print(f"slots: {cap.total(reserved)} ({source})")
    console.print(f"in use: {used}; waiting for capacity: {len(queued)}")
    for line in queued:
        console.print(f"  {line}", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("capacity")(capacity)
