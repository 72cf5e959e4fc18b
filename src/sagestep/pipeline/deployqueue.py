"""Whose turn it is to update an endpoint: the helper Lambda's ``deploy_turn`` action.

Several runs of one pipeline deploy to the same endpoint. SageMaker refuses an update while
the endpoint is Creating/Updating ("Cannot update in-progress endpoint"), so the compiled
machine waits (Wait + DescribeEndpoint) until the endpoint is InService, then asks this
module whether to apply its own update. Runs are ordered by their trigger time, which the
router writes into every endpoint config name (``<family>-<17-digit time>-<run id>``, see
``triggers.names.deploy_order``):

- an update never replaces a later run's model with an earlier one: a deploy that finds the
  endpoint serving (or moving to) a later run's config is skipped, and says which;
- with the pipeline's ``latest_wins`` policy a deploy is also skipped as soon as a later
  run of the same pipeline has its endpoint config ready (found with ListEndpointConfigs),
  so a burst of runs deploys only the newest model.

Standard library only: this module ships in the router Lambda's zip.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ORDER = re.compile(r"-(\d{17})-([0-9a-f]{8})$")


def order_of(config_name: Any) -> tuple[str, str] | None:
    """(trigger time, run id) encoded in an endpoint config name; None for other names."""
    found = ORDER.search(config_name) if isinstance(config_name, str) else None
    return (found.group(1), found.group(2)) if found else None


def deploy_turn(event: Mapping[str, Any]) -> dict[str, Any]:
    """``{"action": "update" | "skip" | "done", "reason": str}`` for the deploy of
    ``event["config"]`` ("done": the endpoint already runs it, e.g. a create delivered twice).

    ``event``: ``config`` (this run's endpoint config name), ``endpoint`` (DescribeEndpoint
    fields: EndpointName, EndpointConfigName, PendingConfigName when one is being applied),
    ``latest_wins`` (bool) and, with it, ``configs`` (ListEndpointConfigs' items).
    """
    mine_name = str(event.get("config") or "")
    mine = order_of(mine_name)
    endpoint = event.get("endpoint") or {}
    name = endpoint.get("EndpointName", "the endpoint")
    if endpoint.get("EndpointConfigName") == mine_name and endpoint.get(
            "EndpointStatus") == "InService":
        return {"action": "done", "reason": f"{name} already runs {mine_name}"}
    if mine is None:  # a name without a queue position (older configs): plain update
        return {"action": "update", "reason": f"updating {name} to {mine_name}"}
    for key in ("PendingConfigName", "EndpointConfigName"):
        current = endpoint.get(key)
        found = order_of(current)
        if current != mine_name and found is not None and found > mine:
            return {"action": "skip", "superseded_by": current,
                    "reason": f"skipped: endpoint {name} already has {current} from a run "
                              f"triggered after this one ({mine_name})"}
    if event.get("latest_wins") or (event.get("stage") or {}).get("latest_wins"):
        family = mine_name[: ORDER.search(mine_name).start()]  # type: ignore[union-attr]
        later = sorted(
            (order_of(c.get("EndpointConfigName")), c.get("EndpointConfigName"))
            for c in event.get("configs") or [] if isinstance(c, Mapping)
            and str(c.get("EndpointConfigName", "")).startswith(family + "-")
            and (order_of(c.get("EndpointConfigName")) or ("", "")) > mine
        )
        if later:
            newest = later[-1][1]
            return {"action": "skip", "superseded_by": newest,
                    "reason": f"skipped (latest_wins): a later run's model waits to deploy to "
                              f"{name} ({newest}), so this run's {mine_name} is not applied"}
    return {"action": "update", "reason": f"updating {name} to {mine_name}"}
