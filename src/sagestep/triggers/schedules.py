"""EventBridge schedule expressions: ``cron(...)`` (six fields, UTC) and ``rate(...)``.

https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
AWS cron differs from Unix cron (and croniter): a sixth Year field, day-of-week 1-7 with
1 = Sunday, ``?`` in exactly one of day-of-month / day-of-week, and ``L``, ``W``, ``#``.
So this module evaluates AWS cron itself, at minute resolution, rather than translating.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sagestep.errors import SpecError

_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_SEARCH_DAYS = 366 * 30


@dataclass(frozen=True)
class Rate:
    """``rate(N unit)``: every ``seconds``, counted from the schedule's creation."""

    expression: str
    seconds: int

    def next_after(self, after: float, anchor: float) -> float | None:
        """First fire time strictly after ``after`` (fires at anchor + k * seconds, k >= 1)."""
        k = max(1, int((after - anchor) // self.seconds) + 1)
        return anchor + k * self.seconds


@dataclass(frozen=True)
class Cron:
    """``cron(min hour day-of-month month day-of-week year)``, evaluated in UTC."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    years: frozenset[int]
    day: Callable[[date], bool]

    def next_after(self, after: float, anchor: float = 0.0) -> float | None:
        """First fire time strictly after ``after``; None if the years have all passed."""
        start = datetime.fromtimestamp((int(after) // 60 + 1) * 60, tz=UTC)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if day.year > max(self.years):
                return None
            if day.year in self.years and day.month in self.months and self.day(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if at >= start:
                            return at.timestamp()
            day += timedelta(days=1)
        return None


def parse(expression: str) -> Cron | Rate:
    """Parse a schedule expression; SpecError saying what is wrong and an example."""
    text = expression.strip()
    if text.startswith("rate("):
        return _rate(text)
    if text.startswith("cron(") and text.endswith(")"):
        return _cron(text)
    raise SpecError(
        f"schedule {expression!r}: use cron(min hour day-of-month month day-of-week year), "
        "e.g. cron(0 14 ? * SAT *), or rate(N minutes|hours|days), e.g. rate(1 day)"
    )


def _rate(text: str) -> Rate:
    found = _RATE.match(text)
    if not found:
        raise SpecError(f"schedule {text!r}: expected rate(N unit), e.g. rate(5 minutes)")
    value, unit = int(found.group(1)), found.group(2)
    if value <= 0:
        raise SpecError(f"schedule {text!r}: the value must be a positive integer")
    if (value == 1) != (not unit.endswith("s")):
        right = unit.rstrip("s") if value == 1 else unit.rstrip("s") + "s"
        raise SpecError(f"schedule {text!r}: write rate({value} {right}) (singular only for 1)")
    return Rate(text, value * _UNIT_SECONDS[unit.rstrip("s")])


def _cron(text: str) -> Cron:
    fields = text[5:-1].split()
    if len(fields) != 6:
        raise SpecError(
            f"schedule {text!r}: AWS cron has six fields (minutes hours day-of-month month "
            f"day-of-week year), got {len(fields)}; e.g. cron(0 12 * * ? *)"
        )
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise SpecError(
            f"schedule {text!r}: exactly one of day-of-month ({dom}) and day-of-week ({dow}) "
            "must be '?'"
        )
    try:
        return Cron(
            text,
            tuple(sorted(_values(minute, 0, 59, {}))),
            tuple(sorted(_values(hour, 0, 23, {}))),
            frozenset(_values(month, 1, 12, _MONTHS)),
            frozenset(_values(year, 1970, 2199, {})),
            _day_of_week(dow) if dom == "?" else _day_of_month(dom),
        )
    except ValueError as exc:
        raise SpecError(f"schedule {text!r}: {exc}") from exc


def _values(field: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    out: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step <= 0:
            raise ValueError(f"step in {part!r} must be positive")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = _number(a, names), _number(b, names)
        else:
            first = _number(base, names)
            last = high if step_text else first
        if not low <= first <= high or not low <= last <= high or first > last:
            raise ValueError(f"{part!r} is outside {low}-{high}")
        out.update(range(first, last + 1, step))
    return out


def _number(text: str, names: dict[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a number" + (f" or one of {', '.join(names)}" if names else ""))
    return int(text)


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Python: Monday=0; AWS: Sunday=1 .. Saturday=7


def _last_day(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _day_of_month(field: str) -> Callable[[date], bool]:
    if field == "L":
        return lambda d: d.day == _last_day(d)
    if field == "LW":
        return lambda d: d.day == _nearest_weekday(d, _last_day(d))
    if field.endswith("W"):
        target = int(field[:-1]) if field[:-1].isdigit() else 0
        if not 1 <= target <= 31:
            raise ValueError(f"{field!r}: W needs a day 1-31, e.g. 15W")
        return lambda d: d.day == _nearest_weekday(d, min(target, _last_day(d)))
    days = _values(field, 1, 31, {})
    return lambda d: d.day in days


def _nearest_weekday(d: date, target: int) -> int:
    # Nearest weekday to `target` within the same month (AWS/Quartz W semantics).
    wd = date(d.year, d.month, target).weekday()
    if wd == 5:
        return target - 1 if target > 1 else target + 2
    if wd == 6:
        return target + 1 if target < _last_day(d) else target - 2
    return target


def _day_of_week(field: str) -> Callable[[date], bool]:
    if "#" in field:
        weekday_text, nth_text = field.split("#", 1)
        weekday, nth = _number(weekday_text, _DAYS), int(nth_text)
        if not 1 <= weekday <= 7 or not 1 <= nth <= 5:
            raise ValueError(f"{field!r}: use DAY#N with DAY 1-7 and N 1-5, e.g. 3#2")
        return lambda d: _aws_weekday(d) == weekday and (d.day - 1) // 7 + 1 == nth
    if field.endswith("L"):
        weekday = _number(field[:-1], _DAYS) if field[:-1] else 7
        return lambda d: _aws_weekday(d) == weekday and d.day + 7 > _last_day(d)
    days = _values(field, 1, 7, _DAYS)
    return lambda d: _aws_weekday(d) in days
