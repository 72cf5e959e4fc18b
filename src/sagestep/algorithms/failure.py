"""How a built-in algorithm fails: user errors vs algorithm errors, written where SageMaker reads them.

The built-in containers classify every failure as a user error (bad data, bad
hyperparameters) or an algorithm error (a bug) and write the text to /opt/ml/output/failure;
SageMaker shows it as FailureReason prefixed ``ClientError:`` or ``AlgorithmError:``.
"""

from __future__ import annotations

from pathlib import Path

from sagestep.errors import SagestepError

# AWS keeps the first 1024 characters of the failure file as FailureReason.
_MAX_REASON = 1024


class UserError(SagestepError):
    """The job's inputs are wrong (data, channels, hyperparameters): ClientError on AWS."""

    prefix = "ClientError"


class AlgorithmError(SagestepError):
    """The algorithm itself failed: AlgorithmError on AWS."""

    prefix = "AlgorithmError"


def failure_text(exc: BaseException) -> str:
    """The FailureReason text for ``exc``, prefixed as the built-in containers do."""
    prefix = getattr(exc, "prefix", AlgorithmError.prefix)
    detail = str(exc) or type(exc).__name__
    if not isinstance(exc, UserError | AlgorithmError):
        detail = f"{type(exc).__name__}: {detail}"
    return f"{prefix}: {detail}"[:_MAX_REASON]


def write_failure(output_dir: Path, exc: BaseException) -> str:
    """Write ``exc`` to <output_dir>/failure (the file SageMaker turns into FailureReason)."""
    text = failure_text(exc)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "failure").write_text(text)
    return text
