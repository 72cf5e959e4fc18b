"""Runs the ASL conformance corpus (cases recorded on AWS) through the public local client."""

from __future__ import annotations

import copy
import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagestep.engine.timers import WarpClock
from sagestep.local import LocalRuntime
from sagestep.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


CORPUS = Path(__file__).resolve().parent / "conformance_data"


def corpus_dir() -> Path:
    """The corpus shipped with the tests (``$SAGESTEP_CONFORMANCE_DIR`` points elsewhere)."""
    env = os.environ.get("SAGESTEP_CONFORMANCE_DIR")
    root = Path(env) if env else CORPUS
    if not (root / "index.json").is_file():  # a broken checkout must fail, not skip
        raise FileNotFoundError(f"conformance corpus missing: {root / 'index.json'}")
    return root


def load_cases(root: Path, group: str | None = None) -> list[dict[str, Any]]:
    index = json.loads((root / "index.json").read_text())
    rows = [r for r in index if group is None or r["group"] == group]
    return [json.loads((root / r["file"]).read_text()) for r in rows]


class CustomException(Exception):
    """The error the corpus's raise_custom_exception Lambda raises."""


def _identity(event: Any, context: Any) -> Any:
    return event


def _hello(event: Any, context: Any) -> Any:
    return {"Return": "HelloWorld"}


def _raise(event: Any, context: Any) -> Any:
    raise Exception("Some exception was raised.")


def _raise_custom(event: Any, context: Any) -> Any:
    raise CustomException()


BEHAVIOURS = {"identity": _identity, "return_hello_world": _hello,
              "raise_exception": _raise, "raise_custom_exception": _raise_custom}


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for name, index in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", path[1:]):
        steps.append(int(index) if index else name)
    return steps


def drop(doc: Any, path: str) -> None:
    """Delete the value at a simple JSONPath (``$.a.b[0].c``) if present."""
    steps = _steps(path)
    node = doc
    for step in steps[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return
    last = steps[-1] if steps else None
    if isinstance(node, dict) and last in node:
        del node[last]
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = None


@dataclass
class Result:
    case: dict[str, Any]
    ok: bool
    why: str = ""


def outcome(client: Any, arn: str) -> dict[str, Any]:
    desc = client.describe_execution(executionArn=arn)
    out: dict[str, Any] = {"status": desc["status"]}
    if "output" in desc:
        out["output"] = json.loads(desc["output"])
    for key in ("error", "cause"):
        if key in desc:
            out[key] = desc[key]
    return out


def compare(case: dict[str, Any], actual: dict[str, Any], entered: list[str]) -> str:
    """Why ``actual`` differs from the recording ('' when it matches the README's rules)."""
    expected = copy.deepcopy(case["expected"])
    actual = copy.deepcopy(actual)
    cause_is_json = expected.pop("cause_is_json", False) or case.get("cause_is_json")
    if cause_is_json and "cause" in actual and "cause" in expected:
        try:
            actual["cause"] = json.loads(actual["cause"])
        except ValueError:
            return f"cause is not JSON: {actual['cause']!r}"
        expected["cause"] = json.loads(expected["cause"])
    for path in case.get("ignore_paths", []):
        drop(expected, path)
        drop(actual, path)
    if expected.get("status") == "SUCCEEDED":
        actual.pop("error", None)
        actual.pop("cause", None)
    else:
        actual.pop("output", None)
    if actual != expected:
        return f"expected {json.dumps(expected)[:400]} got {json.dumps(actual)[:400]}"
    if "states" in case and entered != case["states"]:
        return f"states entered {entered} != {case['states']}"
    return ""


def entered_states(client: Any, arn: str) -> list[str]:
    events = client.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events
            if e["type"].endswith("StateEntered")]


def recorded_clock(cases: list[dict[str, Any]]) -> WarpClock:
    """A clock at the newest recording time of ``cases``: AWS judged time-relative inputs
    (a Wait TimestampPath 68 years ahead, "too long") against the day it ran them."""
    from datetime import UTC, datetime

    times = [datetime.strptime(c["source"]["recorded_date"], "%d-%m-%Y, %H:%M:%S")
             .replace(tzinfo=UTC).timestamp()
             for c in cases if c.get("source", {}).get("recorded_date")]
    clock = WarpClock()
    if times:
        clock._offset = max(times) - time.time()  # noqa: SLF001 - a test clock set in the past
    return clock


def _with_arns(value: Any, arns: dict[str, str]) -> str:
    """``value`` as JSON text, ``${machine:NAME}`` replaced by that machine's ARN."""
    text = json.dumps(value)
    for name, arn in arns.items():
        text = text.replace("${machine:" + name + "}", arn)
    return text


def run_cases(cases: Iterable[dict[str, Any]], home: Path, timeout: float = 45.0) -> list[Result]:
    """Start every case, wait for all of them, compare."""
    cases = list(cases)
    runtime = LocalRuntime(Workspace.resolve(home), clock=recorded_clock(cases))
    client = runtime.client("stepfunctions")
    started: list[tuple[dict[str, Any], str]] = []
    results: list[Result] = []
    for number, case in enumerate(cases):
        for obj in case.get("seed", {}).get("s3", []):  # objects the recording's test put
            runtime.client("s3").put_object(Bucket=obj["Bucket"], Key=obj["Key"],
                                            Body=obj["Body"].encode())
        arns = {}
        for target in case.get("seed", {}).get("machines", []):  # machines the test created
            arns[target["name"]] = client.create_state_machine(
                name=target["name"], definition=json.dumps(target["definition"]),
                roleArn="arn:aws:iam::111111111111:role/conformance")["stateMachineArn"]
        for need in case.get("needs", []):
            if need.startswith("lambda:"):
                _, behaviour, name = need.split(":", 2)
                runtime.lambdas.register(name, BEHAVIOURS[behaviour])
        try:
            machine = client.create_state_machine(
                name=f"case-{number}", definition=_with_arns(case["definition"], arns),
                roleArn="arn:aws:iam::111111111111:role/conformance",
                type=case.get("state_machine_type", "STANDARD"))["stateMachineArn"]
            arn = client.start_execution(stateMachineArn=machine, name=f"run-{number}",
                                         input=_with_arns(case["input"], arns))["executionArn"]
        except Exception as exc:  # noqa: BLE001 - a refused case is a failed case
            results.append(Result(case, False, f"refused: {exc}"))
            continue
        started.append((case, arn))
    deadline = time.monotonic() + timeout
    for case, arn in started:
        runtime.engine.wait(arn, timeout=max(0.1, deadline - time.monotonic()))
        actual = outcome(client, arn)
        if actual["status"] == "RUNNING":
            client.stop_execution(executionArn=arn)
            results.append(Result(case, False, "did not finish in time"))
            continue
        why = compare(case, actual, entered_states(client, arn))
        results.append(Result(case, not why, why))
    runtime.engine.close()
    return results
