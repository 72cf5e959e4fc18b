"""`sagestep capacity`: show and set the local job slots of a workspace."""

from __future__ import annotations

import os

from sagestep.cli.main import main
from sagestep.sagemaker.capacity import read_slots


def test_capacity_shows_sets_and_drops_the_workspace_setting(tmp_path, capsys) -> None:
    home = str(tmp_path / "ws")
    main(["capacity", "--home", home, "--slots", "3"])
    assert capsys.readouterr().out == (
        "slots: 3 (workspace setting (sagestep capacity --machine to drop it))\n"
        "in use: 0; waiting for capacity: 0\n")
    assert read_slots(tmp_path / "ws") == 3
    main(["capacity", "--home", home, "--machine"])
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("slots: ") and f"(machine: {os.cpu_count()} cores, " in first
    assert read_slots(tmp_path / "ws") is None
