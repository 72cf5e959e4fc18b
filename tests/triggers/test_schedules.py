from datetime import UTC, datetime

import pytest

from sagestep.errors import SpecError
from sagestep.triggers.schedules import Cron, Rate, parse


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def iso(value: float | None) -> str:
    assert value is not None
    return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("cron(0 12 * * ? *)", "2024-05-01 11:00", "2024-05-01 12:00"),
        ("cron(0 12 * * ? *)", "2024-05-01 12:00", "2024-05-02 12:00"),  # strictly after
        ("cron(0 14 ? * SAT *)", "2024-05-01 00:00", "2024-05-04 14:00"),  # seed 000
        ("cron(5,35 14 * * ? *)", "2024-05-01 14:06", "2024-05-01 14:35"),
        ("cron(0 18 ? * MON-FRI *)", "2024-05-03 18:30", "2024-05-06 18:00"),
        ("cron(0 8 1 * ? *)", "2024-05-02 00:00", "2024-06-01 08:00"),
        ("cron(0/15 8-17 ? * MON-FRI *)", "2024-05-01 08:16", "2024-05-01 08:30"),
        ("cron(15 10 ? * 6L 2019-2022)", "2022-01-01 00:00", "2022-01-28 10:15"),  # last Friday
        ("cron(0 0 L * ? *)", "2024-02-10 00:00", "2024-02-29 00:00"),
        ("cron(0 0 15W * ? *)", "2024-06-01 00:00", "2024-06-14 00:00"),  # 15th is a Saturday
        ("cron(0 9 ? * 3#2 *)", "2024-05-01 00:00", "2024-05-14 09:00"),  # second Tuesday
        ("cron(0 6 * * ? *)", "2024-12-31 07:00", "2025-01-01 06:00"),
        ("cron(0 0 1 JAN ? *)", "2024-03-01 00:00", "2025-01-01 00:00"),
        ("cron(0 6 ? * 1 *)", "2024-05-01 00:00", "2024-05-05 06:00"),  # 1 = Sunday
    ],
)
def test_cron_next_fire(expr, after, expected):
    sched = parse(expr)
    assert isinstance(sched, Cron)
    assert iso(sched.next_after(ts(after))) == expected


def test_cron_with_only_past_years_never_fires():
    assert parse("cron(0 0 1 1 ? 2001)").next_after(ts("2024-01-01 00:00")) is None


def test_rate_counts_from_the_anchor():
    sched = parse("rate(5 minutes)")
    assert isinstance(sched, Rate) and sched.seconds == 300
    anchor = ts("2024-05-01 10:00")
    assert iso(sched.next_after(anchor, anchor)) == "2024-05-01 10:05"
    assert iso(sched.next_after(ts("2024-05-01 10:07"), anchor)) == "2024-05-01 10:10"
    assert parse("rate(1 day)").seconds == 86400


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("every day", "use cron"),
        ("rate(1 hours)", r"write rate\(1 hour\)"),
        ("rate(5 minute)", r"write rate\(5 minutes\)"),
        ("rate(0 minutes)", "expected rate|positive"),
        ("cron(0 12 * * *)", "six fields"),
        ("cron(0 12 * * * *)", "exactly one of day-of-month"),
        ("cron(0 12 ? * ? *)", "exactly one of day-of-month"),
        ("cron(61 12 * * ? *)", "outside 0-59"),
        ("cron(0 12 ? * FUNDAY *)", "not a number"),
        ("cron(0 12 ? * 3#9 *)", "DAY#N"),
    ],
)
def test_invalid_expressions_say_how_to_fix(expr, message):
    with pytest.raises(SpecError, match=message):
        parse(expr)
