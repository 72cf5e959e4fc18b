"""Production-like clients of an endpoint: boto3 InvokeEndpoint in a loop, counting answers.

    eval "$(sagestep api env)"          # boto3 then talks to the local AWS API
    python traffic.py promotion-prod --data DIR --seconds 60

The rows are the validation data's measurements (``python data.py DIR`` wrote them). Real
clients do not always have every measurement: every 4th request leaves one field blank.
Every few seconds it prints how many requests succeeded and failed, complete rows and rows
with a missing field apart, and which model generation answered is not visible to a client:
only failures are.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

MISSING_EVERY = 4  # one request in four has a blank measurement


def request_rows(data: Path) -> list[tuple[str, bool]]:
    """(CSV row, has a blank field) per validation row: features only, no label."""
    out = []
    for i, line in enumerate((data / "validation" / "validation.csv").read_text().splitlines()):
        fields = line.split(",")[1:]
        missing = i % MISSING_EVERY == MISSING_EVERY - 1
        if missing:
            fields[7] = ""  # "mean concave points" not measured
        out.append((",".join(fields), missing))
    return out


class Clients:
    """One client thread invoking ``endpoint`` with ``rows`` round robin, ``rate`` per second."""

    def __init__(self, runtime: Any, endpoint: str, rows: list[tuple[str, bool]],
                 rate: float = 50.0) -> None:
        self.runtime, self.endpoint, self.rows, self.pause = runtime, endpoint, rows, 1 / rate
        self.counts: Counter[str] = Counter()  # ok/failed x complete/missing
        self.failures: list[tuple[float, bool, str]] = []  # (time, row had a blank, message)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            row, missing = self.rows[i % len(self.rows)]
            i += 1
            kind = "missing" if missing else "complete"
            try:
                self.runtime.invoke_endpoint(EndpointName=self.endpoint, Body=row,
                                             ContentType="text/csv")["Body"].read()
                self.counts[f"ok {kind}"] += 1
            except Exception as exc:  # a ModelError (the model's 500) or any client error
                self.counts[f"failed {kind}"] += 1
                self.failures.append((time.time(), missing, str(exc)))
            self._stop.wait(self.pause)

    def failed(self) -> int:
        return self.counts["failed complete"] + self.counts["failed missing"]

    def __enter__(self) -> Clients:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


def main() -> None:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint")
    parser.add_argument("--data", type=Path, required=True, help="the directory data.py wrote")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=50, help="requests per second")
    args = parser.parse_args()
    clients = Clients(boto3.client("sagemaker-runtime"), args.endpoint,
                      request_rows(args.data), args.rate)
    with clients:
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            time.sleep(min(5.0, max(0.0, end - time.monotonic())))
            print(dict(sorted(clients.counts.items())), flush=True)
    for _, _, message in clients.failures[-3:]:
        print("failed:", message[:200])


if __name__ == "__main__":
    main()
