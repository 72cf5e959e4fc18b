"""Engine throughput: state transitions per second, sagestep (durable, SQLite WAL) vs moto.

    python bench/engine.py [--repeat 3] [--only pass_chain,map_c0]

Distributed Map (issue 15, ``--only dmap_s3``): a distributed Map whose ItemReader lists
10,000 small objects of the local object store and whose ResultWriter writes the results back,
reported as items/s and peak RSS, next to its floor/peer in the same run: 5,000 items
(numbers in the execution input) through an inline Map (10,000 would pass AWS's 25,000
history events; a distributed Map's children have histories of their own).

Four workloads (issue 2): a chain of 1,000 Pass states with Parameters and ResultPath; an
inline Map over 1,000 items of 3 states with MaxConcurrency 0 and 1; a Choice loop counting
to 1,000 with States.MathAdd; a Parallel of 10 branches x 50 Pass states. Each (engine,
workload) runs in its own process so peak RSS is per workload. sagestep persists every
history event (pure transitions are committed in batches before any external call);
moto's interpreter (``execute_state_machine``) keeps everything in memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/bench"


def pass_chain(n: int = 1000) -> dict[str, Any]:
    states = {f"S{i}": {"Type": "Pass", "Parameters": {"i": i, "prev.$": "$.n"},
                        "ResultPath": "$.last", **({"Next": f"S{i + 1}"} if i + 1 < n
                                                   else {"End": True})} for i in range(n)}
    return {"StartAt": "S0", "States": states}


def inline_map(concurrency: int, n: int = 1000) -> dict[str, Any]:
    body = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"v.$": "$"}, "Next": "B"},
        "B": {"Type": "Pass", "ResultPath": "$.b", "Result": 1, "Next": "C"},
        "C": {"Type": "Pass", "End": True}}}
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": concurrency,
        "Iterator": body, "End": True}}}


def choice_loop(n: int = 1000) -> dict[str, Any]:
    return {"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericGreaterThanEquals": n, "Next": "Done"}],
            "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"},
                "Next": "Check"},
        "Done": {"Type": "Succeed"}}}


def parallel(branches: int = 10, depth: int = 50) -> dict[str, Any]:
    def branch(b: int) -> dict[str, Any]:
        states = {f"B{b}S{i}": {"Type": "Pass", "Result": i, "ResultPath": "$.r",
                                **({"Next": f"B{b}S{i + 1}"} if i + 1 < depth
                                   else {"End": True})} for i in range(depth)}
        return {"StartAt": f"B{b}S0", "States": states}
    return {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True,
                                             "Branches": [branch(b) for b in range(branches)]}}}


WORKLOADS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "pass_chain": (pass_chain(), {"n": 0}),
    "map_c0": (inline_map(0), {"items": list(range(1000))}),
    "map_c1": (inline_map(1), {"items": list(range(1000))}),
    "choice_loop": (choice_loop(), {}),
    "parallel": (parallel(), {}),
}
# moto's results as measured on this machine, quoted by issue 2 (for orientation only).
ISSUE_MOTO = {"pass_chain": 162, "map_c0": 888, "map_c1": 743, "choice_loop": 1215,
              "parallel": 174}


DMAP_OBJECTS = 10_000
# An inline Map writes 4 history events per item: 5,000 items stay under AWS's 25,000.
PEER_ITEMS = 5_000


def distributed_map(reader: bool) -> dict[str, Any]:
    body = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {
        "key.$": "$.Key", "size.$": "$.Size"}, "End": True}}}
    state: dict[str, Any] = {"Type": "Map", "MaxConcurrency": 0, "ItemProcessor": body,
                             "End": True}
    if reader:
        body["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
        state["ItemReader"] = {"Resource": "arn:aws:states:::s3:listObjectsV2",
                               "Parameters": {"Bucket": "bench-in", "Prefix": "files/"}}
        state["ResultWriter"] = {"Resource": "arn:aws:states:::s3:putObject",
                                 "Parameters": {"Bucket": "bench-out", "Prefix": "runs"}}
        return {"StartAt": "M", "States": {"M": state}}
    # The peer: the same number of items as input numbers (10,000 key records as execution
    # input would pass the 256 KiB payload limit), through an inline Map.
    body["States"]["A"]["Parameters"] = {"key.$": "States.Format('files/{}.json', $)",
                                         "size": 10}
    state["ItemsPath"] = "$.items"
    return {"StartAt": "M", "States": {"M": state}}


def run_distributed(name: str) -> dict[str, Any]:
    """``dmap_s3``: ItemReader over 10,000 objects + ResultWriter; ``dmap_inline``: the same
    items from the input through an inline Map (the peer)."""
    from sagestep.local import LocalRuntime
    from sagestep.workspace import Workspace

    with tempfile.TemporaryDirectory() as home:
        rt = LocalRuntime(Workspace.resolve(home))
        for i in range(DMAP_OBJECTS):
            rt.object_store.put_bytes("bench-in", f"files/{i:05d}.json", b'{"v": %d}' % i)
        count = DMAP_OBJECTS if name == "dmap_s3" else PEER_ITEMS
        data: dict[str, Any] = {"items": list(range(count))} if name != "dmap_s3" else {}
        sfn = rt.client("stepfunctions")
        arn = sfn.create_state_machine(name=name, roleArn=ROLE, definition=json.dumps(
            distributed_map(name == "dmap_s3")))["stateMachineArn"]
        rt.engine.worker.start()
        t0 = time.perf_counter()
        ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(data))["executionArn"]
        row = rt.engine.wait(ex, timeout=900)
        elapsed = time.perf_counter() - t0
        rt.engine.close()
        return {"status": row["status"], "seconds": elapsed, "items": count,
                "peak_mb": _peak_mb()}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_sagestep(name: str, batch: int | None = None) -> dict[str, Any]:
    from sagestep.engine import interpreter
    from sagestep.local import LocalRuntime
    from sagestep.workspace import Workspace

    if batch is not None:  # commit every ``batch`` events instead of once per pass
        interpreter.BATCH_EVENTS = batch

    definition, data = WORKLOADS[name]
    with tempfile.TemporaryDirectory() as home:
        rt = LocalRuntime(Workspace.resolve(home))
        sfn = rt.client("stepfunctions")
        arn = sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
        rt.engine.worker.start()
        t0 = time.perf_counter()
        ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(data))["executionArn"]
        row = rt.engine.wait(ex, timeout=600)
        elapsed = time.perf_counter() - t0
        events = rt.engine.journal.events(ex)
        transitions = sum(1 for e in events if e.type.endswith("StateEntered"))
        rt.engine.close()
        return {"status": row["status"], "seconds": elapsed, "transitions": transitions,
                "events": len(events), "peak_mb": _peak_mb()}


def run_moto(name: str) -> dict[str, Any]:
    import threading

    if name == "map_c1":  # moto recurses per iteration; without this it hangs (issue 2)
        sys.setrecursionlimit(200_000)
        threading.stack_size(512 * 1024 * 1024)
    import boto3
    from moto import mock_aws

    definition, data = WORKLOADS[name]
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
        t0 = time.perf_counter()
        ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(data))["executionArn"]
        status = "RUNNING"
        while status == "RUNNING" and time.perf_counter() - t0 < 600:
            time.sleep(0.1)
            status = sfn.describe_execution(executionArn=ex)["status"]
        elapsed = time.perf_counter() - t0
        return {"status": status, "seconds": elapsed, "peak_mb": _peak_mb()}


def _child(engine: str, name: str, timeout: float, batch: int | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", engine, name]
    if batch is not None:
        cmd += ["--batch", str(batch)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=Path(__file__).resolve().parents[1])
    except subprocess.TimeoutExpired:
        return {"status": "TIMEOUT", "seconds": timeout}
    if done.returncode != 0:
        return {"status": "ERROR", "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "WORKLOAD"))
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per engine")
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--moto-timeout", type=float, default=300.0)
    parser.add_argument("--batch", type=int, default=None,
                        help="sagestep: commit after each step once N events are pending (default: 5000)")
    args = parser.parse_args()
    if args.child:
        engine, name = args.child
        if name.startswith("dmap_"):
            print(json.dumps(run_distributed(name)))
        else:
            print(json.dumps(run_sagestep(name, args.batch) if engine == "sagestep"
                             else run_moto(name)))
        return
    if "dmap_s3" in args.only.split(","):
        _distributed_report(args.repeat)
    names = [n for n in WORKLOADS if not args.only or n in args.only.split(",")]
    if not names:
        return
    print(f"{'workload':<12} {'trans':>6} {'sagestep t/s':>13} {'MB':>6} {'moto t/s':>9} "
          f"{'MB':>6} {'ratio':>7}   (issue's moto t/s)")
    for name in names:
        ours = min((_child("sagestep", name, 600, args.batch) for _ in range(args.repeat)),
                   key=lambda r: r.get("seconds", 1e9))
        moto = min((_child("moto", name, args.moto_timeout) for _ in range(args.repeat)),
                   key=lambda r: r.get("seconds", 1e9))
        trans = ours.get("transitions", 0)
        ours_tps = trans / ours["seconds"] if ours.get("status") == "SUCCEEDED" else 0.0
        moto_tps = trans / moto["seconds"] if moto.get("status") == "SUCCEEDED" else 0.0
        ratio = f"{ours_tps / moto_tps:6.1f}x" if moto_tps else f"({moto.get('status')})"
        print(f"{name:<12} {trans:>6} {ours_tps:>13.0f} {ours.get('peak_mb', 0):>6.0f} "
              f"{moto_tps:>9.0f} {moto.get('peak_mb', 0):>6.0f} {ratio:>7}   "
              f"({ISSUE_MOTO[name]})", flush=True)


def _distributed_report(repeat: int) -> None:
    print(f"{'workload':<12} {'items':>6} {'items/s':>9} {'MB':>6}   (peer in the same run)")
    for name in ("dmap_s3", "dmap_inline"):
        best = min((_child("sagestep", name, 900) for _ in range(repeat)),
                   key=lambda r: r.get("seconds", 1e9))
        rate = (best["items"] / best["seconds"]) if best.get("status") == "SUCCEEDED" else 0.0
        peer = "" if name == "dmap_s3" else "peer: inline Map, items from the input"
        print(f"{name:<12} {best.get('items', 0):>6} {rate:>9.0f} "
              f"{best.get('peak_mb', 0):>6.0f}   {best.get('status')} {peer}", flush=True)


if __name__ == "__main__":
    main()
