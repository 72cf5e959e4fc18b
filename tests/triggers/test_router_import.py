"""The router ships as a Lambda: it may import only the standard library and boto3."""

import json
import subprocess
import sys

ALLOWED_THIRD_PARTY = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3",
                       "certifi", "six"}
# Our own modules the Lambda zip carries (each of them stdlib + boto3 only).
ALLOWED_OWN = {
    "sagestep", "sagestep.errors", "sagestep.triggers", "sagestep.triggers.router",
    "sagestep.triggers.events", "sagestep.triggers.render", "sagestep.triggers.names",
    "sagestep.triggers.eventpattern", "sagestep.triggers.breach", "sagestep.triggers.causes",
    "sagestep.triggers.package_event", "sagestep.triggers.model_source",
}

PROBE = """
import json, sys
before = set(sys.modules)
import sagestep.triggers.router
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _new_modules() -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_router_imports_only_stdlib_boto3_and_its_own_modules():
    stdlib = set(sys.stdlib_module_names)
    bad = []
    for name in _new_modules():
        top = name.split(".")[0]
        if top in stdlib or top.startswith("_") or top in ALLOWED_THIRD_PARTY:
            continue
        if top == "sagestep" and name in ALLOWED_OWN:
            continue
        bad.append(name)
    assert bad == [], f"router pulls in modules a Lambda zip would not have: {bad}"


def test_router_cold_import_is_fast():
    code = "import sagestep.triggers.router"
    best = min(_import_us(code) for _ in range(5))  # best of 5: the machine may be busy
    assert best <= 100_000, f"cold import took {best / 1000:.1f} ms (limit 100 ms)"


def _import_us(code: str) -> int:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                         capture_output=True, text=True, check=True)
    for line in out.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == "sagestep.triggers.router":
            return int(parts[1])
    raise AssertionError("no importtime line for sagestep.triggers.router")
