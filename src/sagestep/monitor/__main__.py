"""``python -m sagestep.monitor JOB [--name value ...]``: one monitoring processing job.

Exit status: 0 when the job ran (with or without violations, unless fail_on_violation is
true), 1 when it found violations and fail_on_violation is true, 2 when it could not run. The
reason is written to /opt/ml/output/message, where SageMaker takes a job's FailureReason from.
"""

from __future__ import annotations

import os
import sys

from sagestep.errors import MonitorError
from sagestep.monitor.job import JOBS, Settings, local_path, run

MESSAGE_LIMIT = 1024  # SageMaker keeps the first 1 KB of the failure message


def summary(violations: list[dict[str, str]]) -> str:
    """One line naming the first violations."""
    top = "; ".join(f"{v.get('feature_name') or v.get('metric_name')}: "
                    f"{v['constraint_check_type']}" for v in violations[:5])
    more = f" (+{len(violations) - 5} more)" if len(violations) > 5 else ""
    return f"CompletedWithViolations: {len(violations)} violation(s): {top}{more}"


def _fail(settings: Settings | None, message: str, code: int) -> int:
    print(message, file=sys.stderr)
    _message(settings, message)
    return code


def _message(settings: Settings | None, message: str) -> None:
    where = settings.get("failure_path") if settings is not None else None
    path = local_path(where or "/opt/ml/output/message")
    if path.parent.is_dir():  # outside a job (run by hand) there is no /opt/ml: stderr is enough
        path.write_text(message[:MESSAGE_LIMIT])


def main(argv: list[str] | None = None) -> int:
    """Run the job named by the first argument."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in JOBS:
        print(f"usage: python -m sagestep.monitor {{{','.join(JOBS)}}} [--name value ...]",
              file=sys.stderr)
        return 2
    settings = None
    try:
        settings = Settings(os.environ, args[1:])
        violations = run(args[0], settings)
    except MonitorError as exc:
        return _fail(settings, f"ClientError: {exc}", 2)
    for v in violations[:10]:
        print(f"  {v.get('feature_name') or v.get('metric_name')}: {v['constraint_check_type']}: "
              f"{v['description']}")
    if violations and settings.flag("fail_on_violation"):
        return _fail(settings, summary(violations), 1)
    # The exit message is the verdict a pipeline reads (DescribeProcessingJob.ExitMessage).
    _message(settings, summary(violations) if violations else "Completed: no violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
