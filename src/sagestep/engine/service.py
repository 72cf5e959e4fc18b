"""The engine over one workspace: executions, history and callbacks in SQLite, plus a worker.

Operations raise ``botocore`` ClientErrors with AWS error codes; the boto3-shaped
:class:`sagestep.engine.client.LocalStepFunctionsClient` only renames arguments and shapes
responses.
"""

from __future__ import annotations

import json
import threading
import uuid
from functools import lru_cache
from typing import Any

from sagestep.asl.parse import parse_definition
from sagestep.asl.states import StateMachine
from sagestep.clock import Clock, SystemClock
from sagestep.engine.history import Event, data_details, payload
from sagestep.engine.integration import Integrations
from sagestep.engine.journal import Journal
from sagestep.engine.machines import MachineRegistry
from sagestep.engine.names import Arns, name_problem
from sagestep.engine.worker import Worker
from sagestep.errors import DefinitionError, client_error
from sagestep.workspace import Workspace

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
MAX_INPUT = 262_144
# Deeper input would overflow the recursive walks of JSONPath and Parameters (the JSON
# decoder itself stops near 1000); AWS payloads in practice nest a few dozen levels.
MAX_INPUT_DEPTH = 128


@lru_cache(maxsize=256)
def parsed(definition: str) -> StateMachine:
    """The records of a definition, parsed once per distinct text."""
    return parse_definition(definition)


class EngineService:
    """Executions of one workspace; see the module docstring."""

    def __init__(self, workspace: Workspace, integrations: Integrations,
                 clock: Clock | None = None, arns: Arns | None = None,
                 background: bool = True) -> None:
        self.workspace = workspace
        self.integrations = integrations
        self.clock: Clock = clock or SystemClock()
        self.arns = arns or Arns()
        self.journal = Journal(workspace.db_path)
        self.machines = MachineRegistry(self.journal, self.clock, self.arns)
        self.worker = Worker(self, background)
        self.changed = threading.Condition()

    # -- executions ----------------------------------------------------------------------------

    def start_execution(self, machine_arn: str, name: str | None, input_text: str | None,
                        trace_header: str | None = None) -> dict[str, Any]:
        op = "StartExecution"
        machine = self.machines.get(machine_arn, op)
        name = name if name is not None else str(uuid.uuid4())
        problem = name_problem(name)
        if problem:
            raise client_error("InvalidName", f"Invalid Name: '{name}' {problem}", op)
        input_text = "{}" if input_text is None else input_text
        _check_input(input_text, op)
        arn = (self.arns.express_execution if machine["type"] == "EXPRESS"
               else self.arns.execution)(machine["name"], name)
        now = self.clock.now()
        with self.journal.tx() as conn:
            row = conn.execute("SELECT input, status, started FROM sfn_executions WHERE arn = ?",
                               (arn,)).fetchone()
            if row is not None:
                # Same name and input while running: idempotent, as on AWS.
                if row["status"] == "RUNNING" and row["input"] == input_text:
                    return {"executionArn": arn, "startDate": row["started"]}
                raise client_error("ExecutionAlreadyExists",
                                   f"Execution Already Exists: '{arn}'", op)
            conn.execute(
                "INSERT INTO sfn_executions (arn, machine_arn, name, type, status, definition,"
                " role_arn, input, started, trace_header) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (arn, machine_arn, name, machine["type"], "RUNNING", machine["definition"],
                 machine["role_arn"], input_text, now, trace_header))
            started = Event(1, "ExecutionStarted", now, 0, {
                **data_details(input=input_text), "roleArn": machine["role_arn"]})
            Journal.insert_events(conn, arn, [started])
            conn.execute("UPDATE sfn_executions SET next_event = 2 WHERE arn = ?", (arn,))
            conn.execute("INSERT INTO sfn_queue (execution_arn, due) VALUES (?, ?)", (arn, now))
        self.worker.wake()
        return {"executionArn": arn, "startDate": now}

    def execution(self, arn: str, op: str) -> Any:
        if not isinstance(arn, str) or ":execution:" not in arn and ":express:" not in arn:
            raise client_error("InvalidArn", f"Invalid Arn: '{arn}'", op)
        row = self.journal.one("SELECT * FROM sfn_executions WHERE arn = ?", (arn,))
        if row is None:
            raise client_error("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'", op)
        return row

    def list_executions(self, machine_arn: str, status: str | None) -> list[Any]:
        self.machines.get(machine_arn, "ListExecutions")
        # Summary columns only: a row's snapshot, input and output can be large, and a list
        # of 1,000 runs must not read them (the UI lists runs on every poll).
        sql = ("SELECT arn, machine_arn, name, status, started, stopped, redrive_count"
               " FROM sfn_executions WHERE machine_arn = ?")
        params: list[Any] = [machine_arn]
        if status:
            sql += " AND status = ?"
            params.append(status)
        return self.journal.query(sql + " ORDER BY started DESC, rowid DESC", params)

    def history(self, arn: str, after: int, limit: int, reverse: bool) -> list[Event]:
        self.execution(arn, "GetExecutionHistory")
        if reverse and after == 0:
            after = 1 << 62
        return self.journal.events(arn, after, limit, reverse)

    def stop_execution(self, arn: str, error: str | None, cause: str | None) -> float:
        op = "StopExecution"
        row = self.execution(arn, op)
        now = self.clock.now()
        if row["status"] != "RUNNING":
            return float(row["stopped"] or now)
        with self.journal.tx() as conn:
            conn.execute(
                "UPDATE sfn_queue SET stop_requested = 1, stop_error = ?, stop_cause = ?, due = ?"
                " WHERE execution_arn = ?", (error, cause, now, arn))
        self.worker.wake()
        self.wait(arn, timeout=10.0)
        return now

    def redrive_execution(self, arn: str) -> float:
        from sagestep.engine.redrive import redrive

        now = redrive(self.journal, self.execution(arn, "RedriveExecution"), self.clock.now())
        self.worker.wake()
        return now

    # -- progress ------------------------------------------------------------------------------

    def notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait(self, arn: str, timeout: float | None = None) -> Any:
        """Block until ``arn`` is no longer RUNNING (or ``timeout`` real seconds); its row."""
        import time

        self.worker.wake()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            row = self.journal.one("SELECT * FROM sfn_executions WHERE arn = ?", (arn,))
            if row is None or row["status"] != "RUNNING":
                return row
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return row
            with self.changed:
                self.changed.wait(0.05 if left is None else min(0.05, left))

    def serve(self, stop: threading.Event | None = None) -> None:
        """Run the worker in this thread until ``stop`` is set (for `sagestep server`)."""
        self.worker.serve(stop or threading.Event())

    def close(self) -> None:
        self.worker.stop()


def _check_input(text: str, op: str) -> None:
    if len(text.encode()) > MAX_INPUT:
        raise client_error("InvalidExecutionInput",
                           f"Invalid Execution Input: larger than {MAX_INPUT} bytes", op)
    try:
        value = json.loads(text)
    except RecursionError as exc:  # deeper than the JSON decoder's recursion limit
        raise client_error("InvalidExecutionInput", "Invalid Execution Input: nested deeper than "
                           f"{MAX_INPUT_DEPTH} levels", op) from exc
    except (TypeError, ValueError) as exc:
        raise client_error("InvalidExecutionInput",
                           f"Invalid Execution Input: not valid JSON ({exc})", op) from exc
    if nesting(value) > MAX_INPUT_DEPTH:
        raise client_error("InvalidExecutionInput", "Invalid Execution Input: nested deeper than "
                           f"{MAX_INPUT_DEPTH} levels", op)


def nesting(value: Any) -> int:
    """How deep objects and arrays nest in ``value`` (0 for a scalar), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def definition_problem(definition: str) -> str | None:
    """AWS's InvalidDefinition message for ``definition``, or None when it is valid."""
    try:
        parsed(definition)
    except DefinitionError as exc:
        return str(exc)
    return None


__all__ = ["EngineService", "TERMINAL", "payload"]
