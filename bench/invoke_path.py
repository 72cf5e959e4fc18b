"""The InvokeEndpoint path of bench/serving.py: the local AWS API and an endpoint mid-rollout.

Users invoke an endpoint with boto3's ``sagemaker-runtime`` client against the local AWS
API (`sagestep server`): API -> LocalSageMakerRuntimeClient (validation, the route table,
the traffic splitter's weighted choice and, while two generations are routed, the traffic
meter) -> the model server. wrk replays one SigV4-signed InvokeEndpoint request, signed
again before every wrk run (the API, as AWS, refuses a signature over 15 minutes old), so
the load generator is the same as for the other rows of the bench.

    python bench/invoke_path.py --api HOME READY   # the API server process the bench starts
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SPLIT = "bench-split"


def start_rollout(home: Path, model: str, config: str, canary_percent: int = 50) -> None:
    """Endpoint SPLIT on ``config``, then a CANARY update to a copy of it that bakes for an
    hour: two generations routed 50/50, the meter counting, for the whole run."""
    from sagestep.local import client
    from sagestep.serving.routes import RouteTable
    from sagestep.workspace import Workspace

    sm = client("sagemaker", home=home)
    variant = sm.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"][0]
    sm.create_endpoint_config(EndpointConfigName=f"{config}-green", ProductionVariants=[{
        **{k: variant[k] for k in ("VariantName", "InstanceType", "InitialInstanceCount")},
        "ModelName": model}])
    sm.create_endpoint(EndpointName=SPLIT, EndpointConfigName=config)
    if sm.wait_for_endpoint(EndpointName=SPLIT, Timeout=120)["EndpointStatus"] != "InService":
        raise RuntimeError(f"{SPLIT} did not start")
    sm.update_endpoint(EndpointName=SPLIT, EndpointConfigName=f"{config}-green",
                       DeploymentConfig={"BlueGreenUpdatePolicy": {
                           "TrafficRoutingConfiguration": {
                               "Type": "CANARY", "WaitIntervalInSeconds": 3600,
                               "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": canary_percent}},
                           "TerminationWaitInSeconds": 0,
                           "MaximumExecutionTimeoutInSeconds": 28800}})
    routes = RouteTable(Workspace.resolve(home).db_path)
    deadline = time.monotonic() + 120
    while len({r.generation for r in routes.routes(SPLIT)}) < 2:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{SPLIT} never routed two generations")
        time.sleep(0.1)


def stop_rollout(home: Path) -> None:
    from sagestep.local import client

    client("sagemaker", home=home).delete_endpoint(EndpointName=SPLIT)


def start_api(home: Path, scratch: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The local AWS API in its own process and session (as `sagestep server` serves it)."""
    ready = scratch / "api.port"
    proc = subprocess.Popen([sys.executable, __file__, "--api", str(home), str(ready)],
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the local AWS API did not start")
        time.sleep(0.05)
    return proc, int(ready.read_text())


def stop_api(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)


def signed_headers(home: Path, port: int, endpoint: str, body: str) -> dict[str, str]:
    """The headers of a SigV4-signed InvokeEndpoint request, as boto3 sends it."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from sagestep.api.server import DEFAULT_REGION
    from sagestep.workspace import Workspace

    access, secret = Workspace.resolve(home).api_keys()
    request = AWSRequest(method="POST", data=body.encode(),
                         url=f"http://127.0.0.1:{port}/endpoints/{endpoint}/invocations",
                         headers={"Content-Type": "text/csv", "Accept": "text/csv"})
    SigV4Auth(Credentials(access, secret), "sagemaker", DEFAULT_REGION).add_auth(request)
    return {k: v for k, v in request.headers.items() if k.lower() != "host"}


def serve_api(home: str, ready: str) -> None:
    from sagestep.api.server import ApiServer
    from sagestep.local import LocalRuntime
    from sagestep.workspace import Workspace

    server = ApiServer(LocalRuntime(Workspace.resolve(home)))
    endpoint = server.start()
    Path(ready).write_text(endpoint.url.rsplit(":", 1)[1])
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


def meter_rows(home: Path) -> dict[int, int]:
    """Requests counted per generation of SPLIT (proof the splitter and meter were on)."""
    from sagestep.serving.routes import RouteTable
    from sagestep.serving.traffic import TrafficTable
    from sagestep.workspace import Workspace

    db = Workspace.resolve(home).db_path
    table = TrafficTable(db)
    generations = sorted({r.generation for r in RouteTable(db).routes(SPLIT)})
    return {g: int(table.metrics(SPLIT, g, 0)["requests"]) for g in generations}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--api":
        serve_api(sys.argv[2], sys.argv[3])
