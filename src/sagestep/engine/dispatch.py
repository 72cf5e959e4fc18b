"""Which function runs, resumes, performs or wakes each kind of work: tables, not if-chains."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sagestep.engine import fanout, steps, tasks
from sagestep.engine.integration import Call, Callback, Job
from sagestep.engine.threads import Thread

if TYPE_CHECKING:
    from sagestep.engine.interpreter import Interpreter

Runner = Callable[["Interpreter", Thread, Any], None]
RUNNERS: dict[str, Runner] = {
    "Pass": steps.run_pass, "Choice": steps.run_choice, "Wait": steps.run_wait,
    "Succeed": steps.run_succeed, "Fail": steps.run_fail, "Task": tasks.run_task,
    "Parallel": fanout.run_parallel, "Map": fanout.run_map,
}
RESUMERS: dict[str, Runner] = {"Task": tasks.resume_task}
PERFORMERS: dict[type, Callable[[Interpreter, Thread, Any, Any], None]] = {
    Call: tasks.perform_call, Callback: tasks.perform_callback, Job: tasks.perform_job,
}
WAKERS: dict[str, Callable[[Interpreter, Thread], None]] = {
    "timer": steps.wake_timer, "retry": steps.wake_retry, "poll": tasks.wake_poll,
    "token": tasks.wake_token, "call": tasks.wake_call, "children": lambda run, t: None,
}
