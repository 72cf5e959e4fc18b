"""Suite-wide rules.

Under CI (``CI`` set and not "0"/"false") a skipped test is a failure: a fresh clone must run
everything, so a missing tool (npm, terraform, bubblewrap, checkov) shows up red, not as a
quiet "s". scripts/test.sh installs what the tests need.

Jobs run on the host Python unless a test asks for an image's own environment
(``SageMakerService(python="image")``): building those environments downloads packages,
which only the container tests (tests/sagemaker/test_container_*.py) pay for, once per
machine (user cache).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

os.environ.setdefault("SAGESTEP_PYTHON", "host")


def _ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if _ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI (every test must run on a fresh clone): {reason}"
