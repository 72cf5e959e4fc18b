"""Conformance with AWS: every case of conformance_data/ through the public client.

Prints pass/total per group; fails when a group falls below its floor (the pass count
reached so far, so regressions are caught). ``SAGESTEP_CONFORMANCE_VERBOSE=1`` prints why
each failing case failed.
"""

from __future__ import annotations

import os

import pytest

from tests.engine.conformance import corpus_dir, load_cases, run_cases

ROOT = corpus_dir()
GROUPS = sorted({c["group"] for c in __import__("json").loads(
    (ROOT / "index.json").read_text())})

# Pass counts reached (raise them as the engine improves; never lower them).
FLOORS: dict[str, int] = {
    "api": 4, "arguments": 4, "assign": 33, "aws_sdk_s3": 10, "aws_sdk_sfn": 4, "base": 35,
    "choice_operators": 491, "comments": 2, "context_object": 7, "distributed_map": 23,
    "error_handling": 14, "evaluate_jsonata": 17, "express": 5, "intrinsic_functions": 163,
    "local_mocking": 5, "nested_executions": 5, "outputdecl": 16, "query_language": 13,
    "scenarios": 138, "services": 18, "states_variables": 12,
}
TOTAL_FLOOR = 1019  # of 1019 cases


def test_floors_cover_the_corpus() -> None:
    """The per-group floors add up to the total floor (so no group is silently unguarded)."""
    assert sum(FLOORS.values()) == TOTAL_FLOOR


@pytest.mark.parametrize("group", GROUPS)
def test_group(group: str, tmp_path, capsys) -> None:
    cases = load_cases(ROOT, group)
    results = run_cases(cases, tmp_path)
    passed = sum(r.ok for r in results)
    with capsys.disabled():
        print(f"\nconformance {group}: {passed}/{len(results)}")
        if os.environ.get("SAGESTEP_CONFORMANCE_VERBOSE"):
            for r in results:
                if not r.ok:
                    print(f"  FAIL {r.case['name']}: {r.why}")
    floor = FLOORS.get(group, len(cases))  # a new group must pass entirely until measured
    assert passed >= floor, f"{group}: {passed}/{len(cases)} passed, floor {floor}"
