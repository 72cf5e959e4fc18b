"""Benchmark: the data-quality check over N rows x 20 columns against a plain-pandas floor.

    python bench/monitor.py [--rows 1000000] [--chunks 10000 50000 200000]

One CSV with a header (14 float, 3 integer and 3 string columns, some missing values) is
checked against a baseline made from a 50,000-row sample of the same generator. Each side runs
in its own process; peak memory is that process's max RSS (os.wait4):
  * sagestep: ``python -m sagestep.monitor data-quality`` (chunked read, per-column profiles,
    KLL sketches, drift and all six checks, statistics.json + constraint_violations.json);
    once per chunk size, to show that memory follows the chunk size, not the row count;
  * floor: ``pd.read_csv`` of the whole file, then the same statistics with pandas/numpy
    (count, missing, mean, sum, std, min, max, 10-bucket histogram, 101 quantiles per numeric
    column; value counts per string column), no checks and no output files.
Target (issue 9): sagestep >= 50% of the floor's rows/s; memory bounded by the chunk size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_csv(path: Path, rows: int, seed: int) -> None:
    """Write rows x 20 columns in blocks (bounded memory while generating)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    block = 200_000
    for start in range(0, rows, block):
        n = min(block, rows - start)
        data = {f"f{i}": np.round(rng.normal(i, 1 + i / 10, n), 4) for i in range(14)}
        data.update({f"i{i}": rng.integers(0, 100 * (i + 1), n) for i in range(3)})
        data.update({f"s{i}": rng.choice(["red", "green", "blue", "cyan", "plum"][: 3 + i], n)
                     for i in range(3)})
        frame = pd.DataFrame(data)
        frame.loc[frame.sample(frac=0.01, random_state=start).index, "f3"] = np.nan
        frame.to_csv(path, mode="a" if start else "w", header=start == 0, index=False)


FLOOR = r'''
import json, resource, sys
import numpy as np, pandas as pd
df = pd.read_csv(sys.argv[1])
out = {}
for name in df.columns:
    col = df[name]
    if col.dtype.kind in "if":
        v = col.dropna().to_numpy(dtype=float)
        out[name] = [len(v), int(col.isna().sum()), v.mean(), v.sum(), v.std(), v.min(), v.max(),
                     np.histogram(v, bins=10)[0].tolist(), np.quantile(v, np.linspace(0, 1, 101)).tolist()]
    else:
        out[name] = [int(col.notna().sum()), int(col.isna().sum()), col.value_counts().to_dict()]
print(len(df))
'''


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MiB, stdout) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{err}")
    return wall, usage.ru_maxrss // 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--generate", nargs=3, metavar=("PATH", "ROWS", "SEED"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        path, rows, seed = args.generate
        make_csv(Path(path), int(rows), int(seed))
        return
    env = {"PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "base").mkdir()
        (work / "new").mkdir()
        # Generated in child processes: this parent stays small, so that a child's max RSS
        # (which on Linux starts from the forking parent's) measures the child alone.
        generate = [sys.executable, __file__, "--generate"]
        subprocess.run(generate + [str(work / "base" / "base.csv"), "50000", "1"], check=True)
        started = time.perf_counter()
        subprocess.run(generate + [str(work / "new" / "new.csv"), str(args.rows), "2"], check=True)
        size = (work / "new" / "new.csv").stat().st_size / 2**20
        print(f"data: {args.rows:,} rows x 20 columns, {size:.0f} MiB CSV "
              f"(generated in {time.perf_counter() - started:.1f}s)")
        monitor = [sys.executable, "-m", "sagestep.monitor"]
        timed(monitor + ["baseline"], {**env, "dataset_source": str(work / "base"),
                                       "output_path": str(work / "baseline")})
        floor_wall, floor_rss, _ = timed([sys.executable, "-c", FLOOR, str(work / "new" / "new.csv")],
                                         env)
        floor_rate = args.rows / floor_wall
        print(f"{'run':<28}{'wall s':>8}{'rows/s':>12}{'peak MiB':>10}{'vs floor':>10}")
        print(f"{'pandas floor (whole file)':<28}{floor_wall:>8.2f}{floor_rate:>12,.0f}"
              f"{floor_rss:>10}{'100%':>10}")
        for chunk in args.chunks:
            wall, rss, _ = timed(monitor + ["data-quality"], {
                **env, "dataset_source": str(work / "new"), "output_path": str(work / f"out{chunk}"),
                "baseline_constraints": str(work / "baseline" / "constraints.json"),
                "baseline_statistics": str(work / "baseline" / "statistics.json"),
                "chunk_rows": str(chunk)})
            rate = args.rows / wall
            label = f"sagestep chunk {chunk:,}"
            print(f"{label:<28}{wall:>8.2f}{rate:>12,.0f}{rss:>10}{rate / floor_rate:>10.0%}")
            found = json.loads((work / f"out{chunk}" / "constraint_violations.json").read_text())
            assert found["violations"] == [], found  # same generator: no violation expected
        print("target: sagestep >= 50% of the floor's rows/s; peak memory set by the chunk size")


if __name__ == "__main__":
    main()
