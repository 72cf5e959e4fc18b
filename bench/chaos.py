"""Whole-pipeline chaos: SIGKILL the sagestep worker at named points and random moments.

    python bench/chaos.py [--trials 50] [--seed 1] [--only diabetes-regression,approval]
                          [--points random,endpoint]

Each trial: a fresh workspace, a bundled example (or the diabetes pipeline with a manual
approval), a real `sagestep server` or following `sagestep upload` working it; that process is
SIGKILLed at a kill point (job running, job ending while no worker runs, approval wait, batch
transform, Lambda call, endpoint create/update) or a random moment, and a `sagestep server`
is started 0.1-5 s later. Pass = the run SUCCEEDED with the same jobs, model bytes,
predictions and registered packages as an uninterrupted run, no row RUNNING under a dead
owner, no process of the workspace left after the server stops. Prints passed/total per
kill point (target 100%). See tests/chaos/harness.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.chaos import harness  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default=",".join(harness.POINTS))
    parser.add_argument("--points", default="", help="only these kill points (comma-separated)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pipelines = args.only.split(",")
    root = harness.scratch()
    data = {p: harness.prepare_data(p, root / f"data-{p}") for p in pipelines}
    baselines = {}
    for p in pipelines:
        baselines[p], seconds = harness.baseline(p, root / f"base-{p}", data[p])
        print(f"baseline {p}: {seconds:.1f} s uninterrupted", flush=True)
    chosen = set(filter(None, args.points.split(",")))
    plan = [(p, point, victim) for p in pipelines for point in harness.POINTS[p]
            for victim in ("server", "follower") if not chosen or point in chosen]
    rng.shuffle(plan)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # passed, total, reached
    started = time.monotonic()
    for n in range(args.trials):
        pipeline, point, victim = plan[n % len(plan)]
        out, _ = harness.trial(pipeline, point, victim, root / f"t{n}", data[pipeline],
                               baselines[pipeline], rng)
        row = tally[point]
        row[0] += out.passed
        row[1] += 1
        row[2] += out.reached
        verdict = "pass" if out.passed else "FAIL " + "; ".join(out.problems)[:600]
        print(f"trial {n + 1:>3} {pipeline:<22} {point:<21} {victim:<8} "
              f"reached={out.reached!s:<5} {out.seconds:5.1f}s {verdict}", flush=True)
    print(f"\n{'kill point':<22} passed/total  (point reached)   {time.monotonic() - started:.0f} s")
    for point, (passed, total, reached) in sorted(tally.items()):
        print(f"{point:<22} {passed:>3}/{total:<3}       ({reached}/{total})")
    passed = sum(r[0] for r in tally.values())
    total = sum(r[1] for r in tally.values())
    print(f"{'all':<22} {passed:>3}/{total:<3}       target {total}/{total}")


if __name__ == "__main__":
    main()
