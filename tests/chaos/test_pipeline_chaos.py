"""Whole pipelines survive kill -9 of the process working them (issue 16), reduced set for CI.

Real `sagestep server` / `sagestep upload` subprocesses, the real local SageMaker (job
processes) and engine; see harness.py. bench/chaos.py runs the full matrix (>= 50 trials,
every kill point including endpoint create/update and Lambda calls).
"""

from __future__ import annotations

import random

import pytest

from tests.chaos import harness

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory):
    root = tmp_path_factory.mktemp("chaos")
    data = harness.prepare_data("diabetes-regression", root / "data")
    outputs, _ = harness.baseline("diabetes-regression", root / "base", data)
    return root, data, outputs


@pytest.mark.parametrize(("pipeline", "point", "victim"), [
    # the job ends while no worker runs: finished from its exit code, outputs uploaded once
    ("diabetes-regression", "job_ends_in_downtime", "server"),
    # `sagestep upload` (a following CLI, itself a worker) killed at the manual approval
    ("approval", "approval_wait", "follower"),
    # killed during the batch transform job
    ("diabetes-regression", "batch_transform", "follower"),
])
def test_run_survives_sigkill_with_the_outputs_of_an_uninterrupted_run(diabetes, pipeline, point,
                                                                        victim):
    root, data, baseline = diabetes
    # The approval variant produces exactly what the plain pipeline does, once approved.
    out, _ = harness.trial(pipeline, point, victim, root / f"{pipeline}-{point}", data, baseline,
                           random.Random(7))
    assert out.reached, f"the kill point {point} was never reached"
    assert out.passed, out.problems
