"""boto3 ``sagemaker`` methods for endpoints: create/describe/list/delete/update_endpoint.

The record follows AWS's statuses (Creating -> InService | Failed; Updating -> InService;
Deleting); the model server processes are run by the service's data plane
(``svc.endpoints``, :class:`sagestep.serving.endpoints.EndpointManager` handed in by
``sagestep.local``). ``wait_for_endpoint`` is a sagestep extra for the CLI and tests.
"""

from __future__ import annotations

import time
from typing import Any

from sagestep.sagemaker.api import ApiBase
from sagestep.sagemaker.listing import filter_sort_page, with_token
from sagestep.sagemaker.records import response

ENDPOINT, CONFIG = "endpoint", "endpoint-config"
STATUS = "EndpointStatus"
_SETTLED = ("InService", "Failed", "OutOfService")


class EndpointsApi(ApiBase):
    """create/describe/list/delete/update_endpoint (+ wait_for_endpoint)."""

    def create_endpoint(self, **params: Any) -> dict[str, Any]:
        op = "CreateEndpoint"
        req = self._request(op, params)
        name, config = req["EndpointName"], req["EndpointConfigName"]
        arn = self._svc.arns.arn("endpoint", name)
        if self._svc.records.get(ENDPOINT, name) is not None:
            raise self._error("ValidationException",
                              f'Cannot create already existing endpoint "{arn}".', op)
        self._config(config, op)
        now = self._svc.clock.now()
        doc = {"EndpointName": name, "EndpointArn": arn, "EndpointConfigName": config,
               STATUS: "Creating", "CreationTime": now, "LastModifiedTime": now}
        if req.get("DeploymentConfig"):
            doc["LastDeploymentConfig"] = req["DeploymentConfig"]
        self._svc.records.insert(ENDPOINT, name, doc, op)
        self._svc.endpoints.create(name, config)
        return response({"EndpointArn": arn})

    def describe_endpoint(self, **params: Any) -> dict[str, Any]:
        req = self._request("DescribeEndpoint", params)
        doc = self._endpoint(req["EndpointName"], "DescribeEndpoint")
        self._svc.endpoints.reconcile(req["EndpointName"], doc)
        return response(doc)

    def update_endpoint(self, **params: Any) -> dict[str, Any]:
        op = "UpdateEndpoint"
        req = self._request(op, params)
        name, config = req["EndpointName"], req["EndpointConfigName"]
        doc = self._endpoint(name, op)
        self._config(config, op)

        def mark(d: dict[str, Any]) -> None:
            # Checked inside the record's transaction: of two concurrent updates one wins.
            if d[STATUS] != "InService":
                raise self._error("ValidationException",
                                  f'Cannot update in-progress endpoint "{d["EndpointArn"]}".', op)
            d[STATUS] = "Updating"
            d["LastModifiedTime"] = self._svc.clock.now()
            if req.get("DeploymentConfig"):
                d["LastDeploymentConfig"] = req["DeploymentConfig"]

        self._svc.records.update(ENDPOINT, name, mark)
        self._svc.endpoints.update(name, config, req.get("DeploymentConfig"),
                                   doc["EndpointConfigName"])
        return response({"EndpointArn": doc["EndpointArn"]})

    def delete_endpoint(self, **params: Any) -> dict[str, Any]:
        op = "DeleteEndpoint"
        req = self._request(op, params)
        name = req["EndpointName"]
        self._endpoint(name, op)
        self._svc.records.update(ENDPOINT, name, lambda d: d.update({STATUS: "Deleting"}))
        self._svc.endpoints.delete(name)
        self._svc.records.delete(ENDPOINT, name)
        return response({})

    def list_endpoints(self, **params: Any) -> dict[str, Any]:
        req = self._request("ListEndpoints", params)
        page, token = filter_sort_page(self._svc.records.list(ENDPOINT), req,
                                       name_key="EndpointName", status_key=STATUS,
                                       operation="ListEndpoints")
        keys = ("EndpointName", "EndpointArn", "CreationTime", "LastModifiedTime", STATUS)
        return response(with_token({"Endpoints": [{k: d[k] for k in keys} for d in page]},
                                   token))

    def wait_for_endpoint(self, EndpointName: str, Timeout: float = 600.0) -> dict[str, Any]:  # noqa: N803
        """sagestep extra: block until the endpoint is InService/Failed; its Describe response."""
        deadline = time.monotonic() + Timeout
        manager = self._svc.endpoints
        while True:
            manager.wait(EndpointName, 0.2)
            described = self.describe_endpoint(EndpointName=EndpointName)
            if described[STATUS] in _SETTLED:
                return described
            if time.monotonic() > deadline:
                raise self._error("ThrottlingException", f"endpoint {EndpointName} is still "
                                  f"{described[STATUS]} after {Timeout}s", "WaitForEndpoint")
            time.sleep(0.05)

    def _endpoint(self, name: str, op: str) -> dict[str, Any]:
        doc = self._svc.records.get(ENDPOINT, name)
        if doc is None:
            arn = self._svc.arns.arn("endpoint", name)
            raise self._error("ValidationException", f'Could not find endpoint "{arn}".', op)
        return doc

    def _config(self, name: str, op: str) -> dict[str, Any]:
        doc = self._svc.records.get(CONFIG, name)
        if doc is None:
            arn = self._svc.arns.arn("endpoint-config", name)
            raise self._error("ValidationException",
                              f'Could not find endpoint configuration "{arn}".', op)
        return doc


def reconcile_endpoints(runtime: Any) -> None:
    """For every worker cycle: resume orphaned deployments, stop servers nothing routes."""
    runtime.sagemaker.endpoints.reconcile_all()


def restore_endpoints(runtime: Any) -> list[str]:
    """For ``sagestep server`` start-up: bring every endpoint of the workspace back; redeployed names."""
    redeployed: list[str] = runtime.sagemaker.endpoints.restore()
    return redeployed
