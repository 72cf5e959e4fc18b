"""Amazon States Language as typed, frozen records.

- :func:`parse_definition` (``asl.parse``): JSON/dict -> validated :class:`StateMachine`,
  raising :class:`sagestep.errors.DefinitionError` worded like AWS's InvalidDefinition.
- ``asl.states``: ``StateMachine``, ``Pass``, ``Task``, ``Choice``, ``Wait``, ``Succeed``,
  ``Fail``, ``Parallel``, ``Map``; ``asl.rules``: ``Retrier``, ``Catcher``, ``ChoiceRule``.
  Every record has an AWS-spelled ``to_dict()``.
- ``asl.jsonpath`` / ``asl.intrinsic``: syntax of paths and intrinsic functions.
- ``asl.arns``: integration ARN helpers.

Data flow (evaluation of these records) lives in ``sagestep.engine.dataflow``.
"""

from sagestep.asl.parse import parse_definition
from sagestep.asl.rules import Catcher, ChoiceRule, Retrier
from sagestep.asl.states import (
    Choice,
    Fail,
    Map,
    Parallel,
    Pass,
    State,
    StateMachine,
    Succeed,
    Task,
    Wait,
)

__all__ = [
    "Catcher",
    "Choice",
    "ChoiceRule",
    "Fail",
    "Map",
    "Parallel",
    "Pass",
    "Retrier",
    "State",
    "StateMachine",
    "Succeed",
    "Task",
    "Wait",
    "parse_definition",
]
