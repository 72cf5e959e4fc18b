"""Records for the parts of states that are lists of rules: Retry, Catch and Choice rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagestep.asl.record import JSON, OMIT, aws, record_to_dict

# Data-test operators of Choice rules (JSONPath). Each also exists with a ``Path`` suffix
# whose operand is a path into the input, except the Is* type tests.
COMPARATORS: tuple[str, ...] = (
    "BooleanEquals",
    "NumericEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "StringEquals",
    "StringGreaterThan",
    "StringGreaterThanEquals",
    "StringLessThan",
    "StringLessThanEquals",
    "TimestampEquals",
    "TimestampGreaterThan",
    "TimestampGreaterThanEquals",
    "TimestampLessThan",
    "TimestampLessThanEquals",
)
TYPE_TESTS: tuple[str, ...] = (
    "IsBoolean",
    "IsNull",
    "IsNumeric",
    "IsPresent",
    "IsString",
    "IsTimestamp",
)
OPERATORS: frozenset[str] = frozenset(
    (*COMPARATORS, *(c + "Path" for c in COMPARATORS), *TYPE_TESTS, "StringMatches")
)


@dataclass(frozen=True, kw_only=True)
class Retrier:
    """One entry of a state's ``Retry`` list."""

    error_equals: tuple[str, ...] = aws("ErrorEquals", ())
    interval_seconds: int = aws("IntervalSeconds", 1)
    max_attempts: int = aws("MaxAttempts", 3)
    backoff_rate: float = aws("BackoffRate", 2.0)
    max_delay_seconds: int | None = aws("MaxDelaySeconds")
    jitter_strategy: str = aws("JitterStrategy", "NONE")
    comment: str | None = aws("Comment")

    def to_dict(self) -> dict[str, JSON]:
        """AWS JSON of this retrier."""
        return record_to_dict(self)


@dataclass(frozen=True, kw_only=True)
class Catcher:
    """One entry of a state's ``Catch`` list."""

    error_equals: tuple[str, ...] = aws("ErrorEquals", ())
    next: str = aws("Next", "")
    result_path: str | None = aws("ResultPath", "$")
    output: JSON = aws("Output", OMIT)
    assign: Mapping[str, JSON] | None = aws("Assign")
    comment: str | None = aws("Comment")

    def to_dict(self) -> dict[str, JSON]:
        """AWS JSON of this catcher."""
        return record_to_dict(self)


@dataclass(frozen=True, kw_only=True)
class ChoiceRule:
    """A Choice rule: a data test (variable + operator + operand), a boolean combination,
    or (JSONata) a ``Condition``. Only top-level rules have ``next``/``assign``/``output``.
    """

    variable: str | None = aws("Variable")
    operator: str | None = None
    operand: JSON = None
    and_: tuple[ChoiceRule, ...] | None = aws("And")
    or_: tuple[ChoiceRule, ...] | None = aws("Or")
    not_: ChoiceRule | None = aws("Not")
    condition: JSON = aws("Condition")
    next: str | None = aws("Next")
    assign: Mapping[str, JSON] | None = aws("Assign")
    output: JSON = aws("Output", OMIT)
    comment: str | None = aws("Comment")

    def to_dict(self) -> dict[str, JSON]:
        """AWS JSON of this rule (the operator is spelled as its own key)."""
        out = record_to_dict(self)
        if self.operator is not None:
            out[self.operator] = self.operand
        return _order(out)


def _order(out: dict[str, Any]) -> dict[str, Any]:
    # Put the boolean/test part before Next, as AWS examples are written.
    tail: dict[str, Any] = {
        k: out.pop(k) for k in ("Next", "Assign", "Output", "Comment") if k in out
    }
    out.update(tail)
    return out
