"""Retry -> Catch: which retrier or catcher handles an error, and the back-off delay.

https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sagestep.asl.rules import Catcher, Retrier
from sagestep.engine import failure as names

# States.Runtime always fails the execution; States.DataLimitExceeded is terminal and escapes
# States.ALL (it can still be named explicitly).
_NEVER_HANDLED = frozenset({names.RUNTIME})
_ESCAPES_ALL = frozenset({names.DATA_LIMIT, names.RUNTIME})
# States.TaskFailed matches any error except timeouts.
_NOT_TASK_FAILED = frozenset(
    {names.TIMEOUT, names.HEARTBEAT_TIMEOUT, names.RUNTIME, names.DATA_LIMIT})


def matches(error_equals: Sequence[str], error: str | None) -> bool:
    """Whether an ``ErrorEquals`` list matches ``error``."""
    if error in _NEVER_HANDLED:
        return False
    err = error or ""
    for name in error_equals:
        if name == err:
            return True
        if name == names.ALL and err not in _ESCAPES_ALL:
            return True
        if name == names.TASK_FAILED and err not in _NOT_TASK_FAILED:
            return True
        # A heartbeat timeout is also a States.Timeout.
        if name == names.TIMEOUT and err == names.HEARTBEAT_TIMEOUT:
            return True
    return False


def pick_retrier(retriers: Sequence[Retrier], error: str | None) -> int | None:
    """Index of the first retrier matching ``error`` (AWS does not fall through)."""
    for index, retrier in enumerate(retriers):
        if matches(retrier.error_equals, error):
            return index
    return None


def pick_catcher(catchers: Sequence[Catcher], error: str | None) -> Catcher | None:
    """The first catcher matching ``error``."""
    for catcher in catchers:
        if matches(catcher.error_equals, error):
            return catcher
    return None


def delay(retrier: Retrier, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before retry number ``attempt`` (0-based) of ``retrier``."""
    seconds = float(retrier.interval_seconds) * float(retrier.backoff_rate) ** attempt
    if retrier.max_delay_seconds is not None:
        seconds = min(seconds, float(retrier.max_delay_seconds))
    if retrier.jitter_strategy == "FULL":
        seconds = (rng or random).uniform(0.0, seconds)
    return seconds
