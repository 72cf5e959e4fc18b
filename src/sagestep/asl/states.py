"""Typed, frozen records for every ASL state type and for state machines.

Fields keep the JSON value as written (payload templates, JSONata ``{% %}`` strings);
``jsonata`` is the query language resolved at parse time (state's own ``QueryLanguage``,
else the machine's). Defaults are AWS's defaults (``InputPath``/``ResultPath``/
``OutputPath`` = ``"$"``); an explicit JSON ``null`` path is ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sagestep.asl.record import JSON, OMIT, aws, record_to_dict
from sagestep.asl.rules import Catcher, ChoiceRule, Retrier

JSONPATH = "JSONPath"
JSONATA = "JSONata"


@dataclass(frozen=True, kw_only=True)
class State:
    """Fields every state type has."""

    TYPE: ClassVar[str] = ""
    name: str
    jsonata: bool = field(default=False, compare=False)
    comment: str | None = aws("Comment")
    query_language: str | None = aws("QueryLanguage")

    def to_dict(self) -> dict[str, JSON]:
        """AWS JSON of this state (``Type`` first)."""
        return record_to_dict(self)

    @property
    def next_names(self) -> tuple[str, ...]:
        """Every state this one may transition to (Next, Default, Choices, Catch)."""
        return ()


@dataclass(frozen=True, kw_only=True)
class _Flow(State):
    """A state with ``Next``/``End``, ``InputPath``/``OutputPath``, ``Assign``/``Output``."""

    next: str | None = aws("Next")
    end: bool = aws("End", False)
    input_path: str | None = aws("InputPath", "$")
    output_path: str | None = aws("OutputPath", "$")
    assign: Mapping[str, JSON] | None = aws("Assign")
    output: JSON = aws("Output", OMIT)

    @property
    def next_names(self) -> tuple[str, ...]:
        return (self.next,) if self.next else ()


@dataclass(frozen=True, kw_only=True)
class _Work(_Flow):
    """A state that produces a result: Parameters/Arguments, ResultSelector/Path, Retry/Catch."""

    parameters: JSON = aws("Parameters")
    arguments: JSON = aws("Arguments")
    result_selector: JSON = aws("ResultSelector")
    result_path: str | None = aws("ResultPath", "$")
    retry: tuple[Retrier, ...] = aws("Retry", ())
    catch: tuple[Catcher, ...] = aws("Catch", ())

    @property
    def next_names(self) -> tuple[str, ...]:
        return (*super().next_names, *(c.next for c in self.catch))


@dataclass(frozen=True, kw_only=True)
class Pass(_Flow):
    """``Type: Pass``: passes input (or ``Result``) to output."""

    TYPE: ClassVar[str] = "Pass"
    parameters: JSON = aws("Parameters")
    result: JSON = aws("Result", OMIT)
    result_path: str | None = aws("ResultPath", "$")

    @property
    def has_result(self) -> bool:
        """True when ``Result`` is set (even to null)."""
        return self.result is not OMIT


@dataclass(frozen=True, kw_only=True)
class Task(_Work):
    """``Type: Task``: calls the integration named by ``Resource``."""

    TYPE: ClassVar[str] = "Task"
    resource: str = aws("Resource", "")
    timeout_seconds: JSON = aws("TimeoutSeconds")
    timeout_seconds_path: str | None = aws("TimeoutSecondsPath")
    heartbeat_seconds: JSON = aws("HeartbeatSeconds")
    heartbeat_seconds_path: str | None = aws("HeartbeatSecondsPath")
    credentials: JSON = aws("Credentials")


@dataclass(frozen=True, kw_only=True)
class Choice(State):
    """``Type: Choice``: picks the first matching rule's ``Next``, else ``Default``."""

    TYPE: ClassVar[str] = "Choice"
    choices: tuple[ChoiceRule, ...] = aws("Choices", ())
    default: str | None = aws("Default")
    input_path: str | None = aws("InputPath", "$")
    output_path: str | None = aws("OutputPath", "$")
    assign: Mapping[str, JSON] | None = aws("Assign")
    output: JSON = aws("Output", OMIT)

    @property
    def next_names(self) -> tuple[str, ...]:
        rules = tuple(r.next for r in self.choices if r.next)
        return (*rules, self.default) if self.default else rules


@dataclass(frozen=True, kw_only=True)
class Wait(_Flow):
    """``Type: Wait``: waits ``Seconds`` or until ``Timestamp`` (or their ``*Path``)."""

    TYPE: ClassVar[str] = "Wait"
    seconds: JSON = aws("Seconds")
    timestamp: JSON = aws("Timestamp")
    seconds_path: str | None = aws("SecondsPath")
    timestamp_path: str | None = aws("TimestampPath")


@dataclass(frozen=True, kw_only=True)
class Succeed(State):
    """``Type: Succeed``: ends the execution (or branch/iteration) successfully."""

    TYPE: ClassVar[str] = "Succeed"
    input_path: str | None = aws("InputPath", "$")
    output_path: str | None = aws("OutputPath", "$")
    output: JSON = aws("Output", OMIT)


@dataclass(frozen=True, kw_only=True)
class Fail(State):
    """``Type: Fail``: ends the execution with ``Error``/``Cause`` (or their ``*Path``)."""

    TYPE: ClassVar[str] = "Fail"
    error: JSON = aws("Error")
    cause: JSON = aws("Cause")
    error_path: str | None = aws("ErrorPath")
    cause_path: str | None = aws("CausePath")


@dataclass(frozen=True, kw_only=True)
class StateMachine:
    """A state machine, a Parallel branch, or a Map ``ItemProcessor``/``Iterator``."""

    start_at: str = aws("StartAt", "")
    states: Mapping[str, State] = aws("States", None)
    comment: str | None = aws("Comment")
    version: str | None = aws("Version")
    timeout_seconds: int | None = aws("TimeoutSeconds")
    query_language: str | None = aws("QueryLanguage")
    processor_config: Mapping[str, JSON] | None = aws("ProcessorConfig")

    def to_dict(self) -> dict[str, JSON]:
        """AWS JSON of this machine."""
        return record_to_dict(self)

    def state(self, name: str) -> State:
        """The state called ``name`` (KeyError if none; definitions are validated)."""
        return self.states[name]

    @property
    def first(self) -> State:
        """The ``StartAt`` state."""
        return self.states[self.start_at]


@dataclass(frozen=True, kw_only=True)
class Parallel(_Work):
    """``Type: Parallel``: runs every branch on the same input; output = list of outputs."""

    TYPE: ClassVar[str] = "Parallel"
    branches: tuple[StateMachine, ...] = aws("Branches", ())


@dataclass(frozen=True, kw_only=True)
class Map(_Work):
    """``Type: Map``: runs ``processor`` once per item."""

    TYPE: ClassVar[str] = "Map"
    processor: StateMachine | None = aws("ItemProcessor")
    iterator: StateMachine | None = aws("Iterator")
    items_path: str | None = aws("ItemsPath", "$")
    items: JSON = aws("Items")
    item_selector: JSON = aws("ItemSelector")
    item_reader: JSON = aws("ItemReader")
    item_batcher: JSON = aws("ItemBatcher")
    result_writer: JSON = aws("ResultWriter")
    max_concurrency: JSON = aws("MaxConcurrency")
    max_concurrency_path: str | None = aws("MaxConcurrencyPath")
    tolerated_failure_count: JSON = aws("ToleratedFailureCount")
    tolerated_failure_count_path: str | None = aws("ToleratedFailureCountPath")
    tolerated_failure_percentage: JSON = aws("ToleratedFailurePercentage")
    tolerated_failure_percentage_path: str | None = aws("ToleratedFailurePercentagePath")
    label: str | None = aws("Label")

    @property
    def body(self) -> StateMachine:
        """The iteration machine (``ItemProcessor``, or the legacy ``Iterator``)."""
        body = self.processor or self.iterator
        assert body is not None, "validated definitions have ItemProcessor or Iterator"
        return body

    @property
    def selector(self) -> JSON:
        """``ItemSelector``, or the legacy ``Parameters`` (JSONPath Map)."""
        return self.item_selector if self.item_selector is not None else self.parameters

    @property
    def distributed(self) -> bool:
        """True for ``ProcessorConfig.Mode == DISTRIBUTED``."""
        config: Any = self.body.processor_config or {}
        return bool(config.get("Mode") == "DISTRIBUTED")


STATE_TYPES: Mapping[str, type[State]] = {
    cls.TYPE: cls for cls in (Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map)
}
