"""What one CloudWatch Logs poll costs on a long job log: byte-offset reads against a full read.

The SageMaker SDK follows a job with two GetLogEvents calls per stream every 10 s (one from
the last timestamp seen, one with the forward token it got back), for as long as the job
runs. This writes a stream of N lines through the job log writer (LogStore), then times,
per poll, the local CloudWatch Logs client against the peer in the same run: reading the
whole stream (the line-offset reader LogStore.get_log_events, which is what a poll would
cost if tokens were line numbers over a re-read file). Both return the same new events.

    PYTHONPATH=src python bench/logs.py --lines 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sagestep.clock import SystemClock
from sagestep.sagemaker.cwlogs import LocalLogsClient
from sagestep.sagemaker.logs import LogStore

GROUP = "/aws/sagemaker/TrainingJobs"
STREAM = "bench-job/algo-1-1700000000"


def _per_call_ms(fn: Callable[[], Any], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) * 1000 / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000, help="lines in the stream")
    parser.add_argument("--repeat", type=int, default=20, help="polls timed per reader")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    store = LogStore(root, SystemClock())
    base = time.time() - args.lines / 100
    for start in range(0, args.lines, 1000):  # 1000-line batches 10 s apart, as a job's reader
        lines = [f"epoch {i} loss {1 / (i + 1):.6f} " + "x" * 60 for i in range(start, start + 1000)]
        store.append(GROUP, STREAM, lines, at=base + start / 100)
    size_mb = store.path(GROUP, STREAM).stat().st_size / 1e6
    client = LocalLogsClient(store, "us-east-1", "123456789012")
    head = client.get_log_events(logGroupName=GROUP, logStreamName=STREAM, startFromHead=True,
                                 limit=10_000)
    last_ts = client.get_log_events(logGroupName=GROUP, logStreamName=STREAM, limit=1)["events"][-1]["timestamp"]
    # a forward token at the end: what the SDK holds between polls
    end_token = client.get_log_events(logGroupName=GROUP, logStreamName=STREAM, limit=1)["nextForwardToken"]
    store.append(GROUP, STREAM, ["one new line"])  # what arrived since the last poll
    naive_token = f"f/{args.lines}"

    def local_token() -> Any:
        return client.get_log_events(logGroupName=GROUP, logStreamName=STREAM, nextToken=end_token)

    def local_time() -> Any:
        return client.get_log_events(logGroupName=GROUP, logStreamName=STREAM, startTime=last_ts + 1,
                                     startFromHead=True)

    def naive() -> Any:
        return store.get_log_events(GROUP, STREAM, nextToken=naive_token)

    assert [e["message"] for e in local_token()["events"]] == ["one new line"]
    assert [e["message"] for e in local_time()["events"]] == ["one new line"]
    assert [e["message"] for e in naive()["events"]] == ["one new line"]
    print(f"stream: {args.lines} lines, {size_mb:.1f} MB; first page {len(head['events'])} events")
    token_ms, time_ms = _per_call_ms(local_token, args.repeat), _per_call_ms(local_time, args.repeat)
    naive_ms = _per_call_ms(naive, max(1, args.repeat // 4))
    print(f"{'reader':44s} ms per poll")
    print(f"{'local CloudWatch Logs, forward token':44s} {token_ms:10.2f}")
    print(f"{'local CloudWatch Logs, startTime (binary search)':44s} {time_ms:10.2f}")
    print(f"{'peer: whole-stream read (LogStore)':44s} {naive_ms:10.2f}")
    print(f"token poll vs whole read: {naive_ms / token_ms:.0f}x faster; "
          f"startTime poll: {naive_ms / time_ms:.0f}x")


if __name__ == "__main__":
    main()
