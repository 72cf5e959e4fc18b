"""`sagestep endpoints describe NAME`: variants, traffic split, the update in progress or the
last one's outcome, and the deployment policy of the endpoint's config."""

from __future__ import annotations

import json
import time
from typing import Any

import typer

from sagestep.cli import options
from sagestep.cli.operate import endpoints_app
from sagestep.cli.pipeline import out
from sagestep.cli.pipeline import table as make_table


@endpoints_app.command("describe")
def endpoints_describe(
    endpoint: str = typer.Argument(..., help="Endpoint name."),
    home: str = options.HomeOption, backend: str = options.BackendOption,
    profile: str = options.ProfileOption, region: str = options.RegionOption,
) -> None:
    """Show an endpoint's variants, traffic split and its last deployment."""
    chosen = options.backend_from_options(backend, home, profile, region)
    sm = chosen.sagemaker
    described = sm.describe_endpoint(EndpointName=endpoint)
    console = out()
    console.print(f"{endpoint}  {described.get('EndpointStatus')}  config "
                  f"{described.get('EndpointConfigName')}", markup=False)
    if described.get("FailureReason"):
        console.print(f"last update: {described['FailureReason']}", markup=False)
    console.print(_variants(described.get("ProductionVariants") or []))
    pending = described.get("PendingDeploymentSummary")
    if pending:
        console.print(f"updating to {pending.get('EndpointConfigName')}", markup=False)
        console.print(_variants(pending.get("ProductionVariants") or []))
    policy = described.get("LastDeploymentConfig")
    if policy:
        console.print("deployment policy: " + json.dumps(policy, sort_keys=True), markup=False)
    rollout = getattr(chosen, "endpoint_rollout", None)  # local only: generations and steps
    if rollout is not None:
        _generations(console, rollout(endpoint))


def _generations(console: Any, found: dict[str, Any]) -> None:
    routes = found["Routes"]
    table = make_table("variant", "generation", "traffic")
    total = sum(float(r["Weight"]) for r in routes) or 1.0
    for r in routes:
        table.add_row(str(r["VariantName"]), str(r["Generation"]),
                      f"{float(r['Weight']) / total:.0%}")
    console.print(table)
    last = found["Deployment"]
    if last:
        console.print(f"last deployment: {last['From']} -> {last['To']}  {last['State']}",
                      markup=False)
        steps = make_table("time", "step", "state", "message")
        for step in last["Steps"]:
            steps.add_row(time.strftime("%H:%M:%S", time.gmtime(step["time"])),
                          str(step["step"]), str(step["state"]), str(step["message"]))
        console.print(steps)


def _variants(variants: list[dict[str, Any]]) -> Any:
    table = make_table("variant", "weight", "instances", "status")
    total = sum(float(v.get("CurrentWeight") or 0) for v in variants) or 1.0
    for v in variants:
        weight = float(v.get("CurrentWeight") or 0)
        statuses = ", ".join(f"{s.get('Status')}: {s.get('StatusMessage', '')}"
                             for s in v.get("VariantStatus") or [])
        table.add_row(str(v.get("VariantName")), f"{weight:g} ({weight / total:.0%})",
                      str(v.get("CurrentInstanceCount", "")), statuses)
    return table
