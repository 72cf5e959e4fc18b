"""SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat: answers to ``.waitForTaskToken``.

An answer is stored on the token row and wakes the execution; whichever worker holds the
execution next (in any process) resumes the waiting task.
"""

from __future__ import annotations

import json
import re

from sagestep.engine.journal import Journal
from sagestep.errors import client_error

# The engine's task tokens (tasks.new_token: 66 random bytes, URL-safe base64). AWS answers
# InvalidToken to a token that is not one of its own (recorded:
# test_sfn_send_task_outcome_with_no_such_token), TaskDoesNotExist to one it no longer knows.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{88}")
MAX_OUTPUT = 262_144
MAX_ERROR = 256
MAX_CAUSE = 32_768


def _waiting(journal: Journal, token: str, op: str) -> str:
    """The execution ARN of a token still waiting, else AWS's error."""
    if not isinstance(token, str) or not 1 <= len(token) <= 2048:
        raise client_error("InvalidToken", "Invalid Token: must be 1-2048 characters", op)
    row = journal.token(token)
    if row is None and not _TOKEN.fullmatch(token):  # not one this engine could have made
        raise client_error("InvalidToken", "Invalid Token: 'Invalid token'", op)
    if row is None:
        raise client_error("TaskDoesNotExist", "Task Does Not Exist", op)
    if row["status"] == "TIMED_OUT":
        raise client_error("TaskTimedOut", "Task Timed Out", op)
    if row["status"] != "WAITING":
        raise client_error("TaskDoesNotExist", "Task Does Not Exist (already answered or closed)", op)
    return str(row["execution_arn"])


def send_success(journal: Journal, token: str, output: str, now: float) -> str:
    """Record the task's output; the execution ARN to wake."""
    op = "SendTaskSuccess"
    _waiting(journal, token, op)  # AWS judges the token before the output (recorded)
    if not isinstance(output, str) or len(output.encode()) > MAX_OUTPUT:
        raise client_error("InvalidOutput", f"Invalid Output: must be JSON text of at most "
                           f"{MAX_OUTPUT} bytes", op)
    try:
        json.loads(output)
    except ValueError as exc:
        raise client_error("InvalidOutput", f"Invalid Output: not valid JSON ({exc})", op) from exc
    return _answer(journal, token, op, "SUCCEEDED", now, output=output)


def send_failure(journal: Journal, token: str, error: str | None, cause: str | None,
                 now: float) -> str:
    op = "SendTaskFailure"
    if error is not None and len(error) > MAX_ERROR or cause is not None and len(cause) > MAX_CAUSE:
        raise client_error("ValidationException",
                           f"error must be at most {MAX_ERROR} and cause {MAX_CAUSE} characters", op)
    return _answer(journal, token, op, "FAILED", now, error=error, cause=cause)


def send_heartbeat(journal: Journal, token: str, now: float) -> None:
    op = "SendTaskHeartbeat"
    _waiting(journal, token, op)
    with journal.tx() as conn:
        conn.execute("UPDATE sfn_task_tokens SET heartbeat = ? WHERE token = ?"
                     " AND status = 'WAITING'", (now, token))


def _answer(journal: Journal, token: str, op: str, status: str, now: float,
            output: str | None = None, error: str | None = None, cause: str | None = None) -> str:
    arn = _waiting(journal, token, op)
    with journal.tx() as conn:
        done = conn.execute(
            "UPDATE sfn_task_tokens SET status = ?, output = ?, error = ?, cause = ?"
            " WHERE token = ? AND status = 'WAITING'", (status, output, error, cause, token))
        if done.rowcount != 1:
            raise client_error("TaskDoesNotExist", "Task Does Not Exist (already answered)", op)
        journal.wake(conn, arn, now)
    return arn
