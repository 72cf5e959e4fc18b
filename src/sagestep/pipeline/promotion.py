"""Normalise ``promotion`` into the item: per target the exact API requests it sends.

Item (``item["promotion"]``)::

    {"targets": [{"name": "staging", "endpoint_name": "churn-staging",
                  "endpoint_config": <CreateEndpointConfig body, no name>,
                  "update": <UpdateEndpoint body, no names> ({} or {"DeploymentConfig": ...}),
                  "alarms": {"error_rate", "p99_latency_ms", "min_requests"} | absent,
                  "approval": {"mode", "message", "timeout_seconds"} | absent,
                  "smoke_test": {"payloads", "dataset", "max_records", "content_type",
                                 "accept", "max_latency_ms", "expected"} | absent,
                  "wait_seconds": 30}]}

Every request is checked against botocore's model of its operation at normalise time.
"""

from __future__ import annotations

from typing import Any

from sagestep.pipeline.blocks import Deploy
from sagestep.pipeline.botocheck import check_request
from sagestep.pipeline.problems import Problems
from sagestep.pipeline.promotion_blocks import Deployment, Promotion, Target
from sagestep.pipeline.requests import endpoint_config

Loc = tuple[str | int, ...]


def alarm_names(target: Target) -> list[str]:
    """The CloudWatch alarms an update of ``target`` rolls back on (sagestep's and the user's)."""
    policy = target.deployment
    if policy is None:
        return []
    found = []
    if policy.alarms.error_rate is not None:
        found.append(f"{target.endpoint_name}-5xx-errors")
    if policy.alarms.p99_latency_ms is not None:
        found.append(f"{target.endpoint_name}-p99-latency")
    return found + list(policy.alarms.names)


def deployment_config(target: Target) -> dict[str, Any]:
    """UpdateEndpoint's DeploymentConfig of ``target`` ({} when it has no policy)."""
    policy = target.deployment
    if policy is None:
        return {}
    routing: dict[str, Any] = {"Type": policy.strategy,
                               "WaitIntervalInSeconds": policy.wait_seconds}
    if policy.strategy == "CANARY":
        routing["CanarySize"] = {"Type": "CAPACITY_PERCENT", "Value": policy.canary_percent}
    if policy.strategy == "LINEAR":
        routing["LinearStepSize"] = {"Type": "CAPACITY_PERCENT",
                                     "Value": policy.linear_step_percent}
    config: dict[str, Any] = {"BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": routing,
        "TerminationWaitInSeconds": policy.termination_wait_seconds,
        "MaximumExecutionTimeoutInSeconds": policy.max_execution_seconds}}
    alarms = alarm_names(target)
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return config


def _alarms(policy: Deployment) -> dict[str, Any]:
    return policy.alarms.model_dump(exclude={"names"})


def normalise_promotion(promotion: Promotion, problems: Problems) -> dict[str, Any]:
    """The item's ``promotion``; every request's problems land in ``problems``."""
    targets = []
    for i, target in enumerate(promotion.targets):
        loc: Loc = ("promotion", "targets", i)
        deploy = Deploy(endpoint_name=target.endpoint_name, instance_type=target.instance_type,
                        instance_count=target.instance_count, variant_name=target.variant_name,
                        data_capture=target.data_capture)
        body: dict[str, Any] = {
            "name": target.name, "endpoint_name": target.endpoint_name,
            "endpoint_config": endpoint_config(deploy),
            "update": {},
            "wait_seconds": target.wait_seconds,
        }
        if target.deployment is not None:
            body["update"] = {"DeploymentConfig": deployment_config(target)}
            body["alarms"] = _alarms(target.deployment)
        if target.approval is not None:
            body["approval"] = {"mode": target.approval.mode, "message": target.approval.message,
                                "timeout_seconds": target.approval.timeout_hours * 3600}
        if target.smoke_test is not None:
            body["smoke_test"] = target.smoke_test.model_dump()
        _check(body, loc, problems)
        targets.append(body)
    return {"targets": targets}


def _check(body: dict[str, Any], loc: Loc, problems: Problems) -> None:
    for message in check_request("CreateEndpointConfig", body["endpoint_config"],
                                 ("EndpointConfigName",)):
        problems.add((*loc, "endpoint_config"), f"not a valid CreateEndpointConfig request: "
                     f"{message}")
    update = {"EndpointName": body["endpoint_name"], "EndpointConfigName": "run1",
              **body["update"]}
    for message in check_request("UpdateEndpoint", update):
        problems.add((*loc, "deployment"), f"not a valid UpdateEndpoint request: {message}")
