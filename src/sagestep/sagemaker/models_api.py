"""boto3 ``sagemaker`` methods for models and endpoint configs (create/describe/list/delete).

Both are immutable records. CreateModel checks the image has a local mapping (the error
lists the supported images); CreateEndpointConfig checks every variant's model exists, as
AWS does. Missing resources answer ValidationException "Could not find ..." like AWS.
"""

from __future__ import annotations

import copy
from typing import Any

from sagestep.sagemaker.api import ApiBase
from sagestep.sagemaker.listing import filter_sort_page, with_token
from sagestep.sagemaker.records import response

MODEL, CONFIG, ENDPOINT = "model", "endpoint-config", "endpoint"


class ModelsApi(ApiBase):
    """create/describe/list/delete_model and create/describe/list/delete_endpoint_config."""

    # --- models ------------------------------------------------------------------------------

    def create_model(self, **params: Any) -> dict[str, Any]:
        op = "CreateModel"
        req = self._request(op, params)
        containers = ([req["PrimaryContainer"]] if req.get("PrimaryContainer") else []) + list(
            req.get("Containers") or [])
        if not containers:
            raise self._error("ValidationException", "Either PrimaryContainer or Containers must "
                              "be specified.", op)
        if req.get("PrimaryContainer") and req.get("Containers"):
            raise self._error("ValidationException", "Specify PrimaryContainer or Containers, "
                              "not both.", op)
        from sagestep.sagemaker.images import resolve_image

        for container in containers:
            if container.get("Image"):
                resolve_image(container["Image"], op)
            elif not container.get("ModelPackageName"):
                raise self._error("ValidationException", "A container needs an Image (or a "
                                  "ModelPackageName).", op)
        doc = copy.deepcopy(req)
        doc.pop("Tags", None)
        doc["ModelArn"] = self._svc.arns.arn("model", req["ModelName"])
        doc["CreationTime"] = self._svc.clock.now()
        doc.setdefault("EnableNetworkIsolation", False)
        self._svc.records.insert(MODEL, req["ModelName"], doc, op)
        return response({"ModelArn": doc["ModelArn"]})

    def describe_model(self, **params: Any) -> dict[str, Any]:
        req = self._request("DescribeModel", params)
        return response(self._model(req["ModelName"], "DescribeModel"))

    def delete_model(self, **params: Any) -> dict[str, Any]:
        req = self._request("DeleteModel", params)
        self._model(req["ModelName"], "DeleteModel")
        self._svc.records.delete(MODEL, req["ModelName"])
        return response({})

    def list_models(self, **params: Any) -> dict[str, Any]:
        req = self._request("ListModels", params)
        page, token = filter_sort_page(self._svc.records.list(MODEL), req, name_key="ModelName",
                                       status_key=None, operation="ListModels")
        summaries = [{k: d[k] for k in ("ModelName", "ModelArn", "CreationTime")} for d in page]
        return response(with_token({"Models": summaries}, token))

    def _model(self, name: str, op: str) -> dict[str, Any]:
        doc = self._svc.records.get(MODEL, name)
        if doc is None:
            arn = self._svc.arns.arn("model", name)
            raise self._error("ValidationException", f'Could not find model "{arn}".', op)
        return doc

    # --- endpoint configs ----------------------------------------------------------------------

    def create_endpoint_config(self, **params: Any) -> dict[str, Any]:
        op = "CreateEndpointConfig"
        req = self._request(op, params)
        names = [v["VariantName"] for v in req["ProductionVariants"]]
        if len(set(names)) != len(names):
            raise self._error("ValidationException", f"Variant names must be unique: {names}.", op)
        for variant in req["ProductionVariants"]:
            if not variant.get("ModelName"):
                raise self._error("ValidationException", f"Variant {variant['VariantName']} "
                                  "needs a ModelName.", op)
            self._model(variant["ModelName"], op)
        capture = req.get("DataCaptureConfig")
        if capture and not str(capture["DestinationS3Uri"]).startswith("s3://"):
            raise self._error("ValidationException", "DataCaptureConfig.DestinationS3Uri must be an "
                              f"s3:// URI locally; got {capture['DestinationS3Uri']!r}.", op)
        doc = copy.deepcopy(req)
        doc.pop("Tags", None)
        for variant in doc["ProductionVariants"]:
            variant.setdefault("InitialVariantWeight", 1.0)
        name = req["EndpointConfigName"]
        doc["EndpointConfigArn"] = self._svc.arns.arn("endpoint-config", name)
        doc["CreationTime"] = self._svc.clock.now()
        self._svc.records.insert(CONFIG, name, doc, op)
        return response({"EndpointConfigArn": doc["EndpointConfigArn"]})

    def describe_endpoint_config(self, **params: Any) -> dict[str, Any]:
        req = self._request("DescribeEndpointConfig", params)
        return response(self._config(req["EndpointConfigName"], "DescribeEndpointConfig"))

    def delete_endpoint_config(self, **params: Any) -> dict[str, Any]:
        req = self._request("DeleteEndpointConfig", params)
        self._config(req["EndpointConfigName"], "DeleteEndpointConfig")
        self._svc.records.delete(CONFIG, req["EndpointConfigName"])
        return response({})

    def list_endpoint_configs(self, **params: Any) -> dict[str, Any]:
        req = self._request("ListEndpointConfigs", params)
        page, token = filter_sort_page(self._svc.records.list(CONFIG), req,
                                       name_key="EndpointConfigName", status_key=None,
                                       operation="ListEndpointConfigs")
        keys = ("EndpointConfigName", "EndpointConfigArn", "CreationTime")
        return response(with_token({"EndpointConfigs": [{k: d[k] for k in keys} for d in page]},
                                   token))

    def _config(self, name: str, op: str) -> dict[str, Any]:
        doc = self._svc.records.get(CONFIG, name)
        if doc is None:
            arn = self._svc.arns.arn("endpoint-config", name)
            raise self._error("ValidationException",
                              f'Could not find endpoint configuration "{arn}".', op)
        return doc
