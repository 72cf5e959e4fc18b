"""Retry/Catch matching rules and back-off (pure)."""

from __future__ import annotations

import random

import pytest

from sagestep.asl.rules import Retrier
from sagestep.engine.retry import delay, matches


@pytest.mark.parametrize(("equals", "error", "expected"), [
    (["States.ALL"], "Custom", True),
    (["States.ALL"], "States.Timeout", True),
    (["States.ALL"], "States.Runtime", False),
    (["States.ALL"], "States.DataLimitExceeded", False),
    (["States.DataLimitExceeded"], "States.DataLimitExceeded", True),
    (["States.TaskFailed"], "Lambda.ServiceException", True),
    (["States.TaskFailed"], "States.Timeout", False),
    (["States.Timeout"], "States.HeartbeatTimeout", True),
    (["Custom"], "Other", False),
])
def test_matches(equals, error, expected) -> None:
    assert matches(equals, error) is expected


def test_delay_backoff_cap_and_jitter() -> None:
    r = Retrier(error_equals=("X",), interval_seconds=2, backoff_rate=3.0, max_delay_seconds=10)
    assert [delay(r, n) for n in range(4)] == [2.0, 6.0, 10.0, 10.0]
    jittered = Retrier(error_equals=("X",), interval_seconds=8, backoff_rate=1.0,
                       jitter_strategy="FULL")
    values = {delay(jittered, 0, random.Random(seed)) for seed in range(20)}
    assert all(0 <= v <= 8 for v in values) and len(values) > 10
