"""State machines: create, update, describe, list, delete (validated before stored)."""

from __future__ import annotations

import json
from typing import Any

from sagestep.asl.parse import parse_definition
from sagestep.clock import Clock
from sagestep.engine.journal import Journal
from sagestep.engine.names import Arns, arn_kind, name_problem
from sagestep.errors import DefinitionError, client_error

TYPES = ("STANDARD", "EXPRESS")
DEFAULT_ROLE = "arn:aws:iam::{account}:role/sagestep-local"


class MachineRegistry:
    """The sfn_state_machines table."""

    def __init__(self, journal: Journal, clock: Clock, arns: Arns) -> None:
        self.journal = journal
        self.clock = clock
        self.arns = arns

    def create(self, name: str, definition: str, role_arn: str | None, kind: str | None,
               description: str | None = None) -> tuple[str, float]:
        op = "CreateStateMachine"
        problem = name_problem(name)
        if problem:
            raise client_error("InvalidName", f"Invalid Name: '{name}' {problem}", op)
        kind = kind or "STANDARD"
        if kind not in TYPES:
            raise client_error("ValidationException",
                               f"Value '{kind}' at 'type' failed to satisfy constraint: "
                               f"Member must satisfy enum value set: {list(TYPES)}", op)
        definition = _valid(definition, op)
        if kind == "EXPRESS":
            _express_only(definition, op)
        role = role_arn or DEFAULT_ROLE.format(account=self.arns.account)
        arn = self.arns.state_machine(name)
        now = self.clock.now()
        with self.journal.tx() as conn:
            row = conn.execute("SELECT definition, role_arn, type, created FROM"
                               " sfn_state_machines WHERE arn = ?", (arn,)).fetchone()
            if row is not None:
                # Same name, same definition and role: idempotent, as on AWS.
                if (row["definition"], row["role_arn"], row["type"]) == (definition, role, kind):
                    return arn, float(row["created"])
                raise client_error("StateMachineAlreadyExists",
                                   f"State Machine Already Exists: '{arn}'", op)
            conn.execute(
                "INSERT INTO sfn_state_machines (arn, name, type, definition, role_arn,"
                " description, created) VALUES (?,?,?,?,?,?,?)",
                (arn, name, kind, definition, role, description, now))
        return arn, now

    def update(self, arn: str, definition: str | None, role_arn: str | None) -> float:
        op = "UpdateStateMachine"
        self.get(arn, op)
        if definition is None and role_arn is None:
            raise client_error("MissingRequiredParameter",
                               "Either the definition or the roleArn must be specified", op)
        now = self.clock.now()
        with self.journal.tx() as conn:
            if definition is not None:
                conn.execute("UPDATE sfn_state_machines SET definition = ?, updated = ?,"
                             " revision = revision + 1 WHERE arn = ?",
                             (_valid(definition, op), now, arn))
            if role_arn is not None:
                conn.execute("UPDATE sfn_state_machines SET role_arn = ?, updated = ?"
                             " WHERE arn = ?", (role_arn, now, arn))
        return now

    def get(self, arn: str, op: str) -> Any:
        if arn_kind(arn) != "stateMachine":
            raise client_error("InvalidArn", f"Invalid Arn: '{arn}'", op)
        row = self.journal.one("SELECT * FROM sfn_state_machines WHERE arn = ?", (arn,))
        if row is None:
            raise client_error("StateMachineDoesNotExist",
                               f"State Machine Does Not Exist: '{arn}'", op)
        return row

    def list(self) -> list[Any]:
        return self.journal.query("SELECT * FROM sfn_state_machines ORDER BY created, name")

    def delete(self, arn: str) -> None:
        self.get(arn, "DeleteStateMachine")
        with self.journal.tx() as conn:
            conn.execute("DELETE FROM sfn_state_machines WHERE arn = ?", (arn,))


def _valid(definition: Any, op: str) -> str:
    """The definition as stored text, or InvalidDefinition naming the state and field."""
    if not isinstance(definition, str):
        definition = json.dumps(definition)
    text: str = definition
    try:
        parse_definition(definition)
    except DefinitionError as exc:
        raise client_error("InvalidDefinition", str(exc), op) from exc
    return text


def _resources(machine: Any) -> list[tuple[str, str]]:
    """(state name, Resource) of every Task, including inside Parallel and Map."""
    found: list[tuple[str, str]] = []
    for name, state in machine.states.items():
        if getattr(state, "resource", None):
            found.append((name, state.resource))
        for branch in getattr(state, "branches", ()):
            found.extend(_resources(branch))
        if state.TYPE == "Map":
            found.extend(_resources(state.body))
    return found


def _express_only(definition: str, op: str) -> None:
    # Express workflows support neither .sync nor .waitForTaskToken (AWS rejects them).
    for name, resource in _resources(parse_definition(definition)):
        pattern = next((p for p in ("sync", "waitForTaskToken") if f".{p}" in resource), None)
        if pattern is not None:
            raise client_error(
                "InvalidDefinition",
                f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state "
                f"machine does not support '.{pattern}' service integration at "
                f"/States/{name}/Resource'", op)
