"""``StatesError``: the one exception data-flow evaluation raises, with AWS's error name.

Most runtime failures are reported by AWS with a prefix naming the state and the history
event that entered it ("An error occurred while executing the state 'X' (entered at the event
id #2). ..."). Only the interpreter knows the event id, so the evaluator raises the message
body and the interpreter calls :meth:`StatesError.full_cause` when it records the failure.
"""

from __future__ import annotations

from sagestep.engine.failure import Failure

RUNTIME = "States.Runtime"
QUERY_EVALUATION = "States.QueryEvaluationError"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
DATA_LIMIT = "States.DataLimitExceeded"
NO_CHOICE = "States.NoChoiceMatched"
PARAMETER_PATH = "States.ParameterPathFailure"
RESULT_PATH = "States.ResultPathMatchFailure"


class StatesError(Exception):
    """A data-flow failure: AWS ``error`` name and ``cause`` text (without the state prefix)."""

    def __init__(self, error: str, cause: str, prefixed: bool = True) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause
        self.prefixed = prefixed

    def full_cause(self, state_name: str, entered_event_id: int) -> str:
        """The cause as AWS reports it for a state entered at history event ``entered_event_id``."""
        if not self.prefixed:
            return self.cause
        return (
            f"An error occurred while executing the state '{state_name}' "
            f"(entered at the event id #{entered_event_id}). {self.cause}"
        )

    def failure(self, state_name: str, entered_event_id: int) -> Failure:
        """The :class:`Failure` to record for this error."""
        return Failure(self.error, self.full_cause(state_name, entered_event_id))


def runtime(cause: str) -> StatesError:
    """A ``States.Runtime`` error (never retried or caught)."""
    return StatesError(RUNTIME, cause)


def query_error(cause: str) -> StatesError:
    """A ``States.QueryEvaluationError`` (JSONata)."""
    return StatesError(QUERY_EVALUATION, cause)
