"""Lambda as Task integrations: ``lambda:invoke`` (optimised) and plain function ARNs.

https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from sagestep.engine.failure import TaskError
from sagestep.engine.integration import PLAIN_LAMBDA_KEY, Call, Callback, CallContext, Integration
from sagestep.engine.lambdas import LambdaError

Invoke = Callable[[str, Any], Any]  # (function name or ARN, event) -> result; raises LambdaError

INVOKE = "arn:aws:states:::lambda:invoke"


def lambda_integrations(invoke: Invoke) -> dict[str, Integration]:
    """The table entries for Lambda, calling ``invoke``."""

    def optimised(params: Any, ctx: CallContext) -> Any:
        if not isinstance(params, dict) or not isinstance(params.get("FunctionName"), str):
            raise TaskError("States.Runtime",
                            "lambda:invoke needs Parameters/Arguments with a FunctionName string")
        try:
            result = invoke(params["FunctionName"], _event(params.get("Payload")))
        except LambdaError as exc:
            raise TaskError(exc.error, _compact(exc.cause)) from exc
        return _invoke_response(result, params.get("InvocationType", "RequestResponse"))

    def plain(params: Any, ctx: CallContext) -> Any:
        try:
            return invoke(ctx.resource, params)
        except LambdaError as exc:
            raise TaskError(exc.error, exc.cause) from exc

    return {
        INVOKE: Call(optimised, pooled=True),
        INVOKE + ".waitForTaskToken": Callback(optimised),
        PLAIN_LAMBDA_KEY: Call(plain, lambda_events=True, pooled=True),
    }


def _invoke_response(result: Any, invocation_type: str) -> dict[str, Any]:
    """The Invoke response as Step Functions hands it to the state."""
    request_id = str(uuid.uuid4())
    status = 202 if invocation_type == "Event" else 200
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": "" if invocation_type == "Event" else result,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {"X-Amz-Executed-Version": ["$LATEST"],
                               "x-amzn-RequestId": [request_id],
                               "Content-Type": ["application/json"]},
            "HttpHeaders": {"X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": request_id,
                            "Content-Type": "application/json"},
            "HttpStatusCode": status,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": status,
    }


def _event(payload: Any) -> Any:
    """The event the function receives: a JSON string payload is sent as its JSON value, and
    no payload reaches a Python handler as ``{}``."""
    if payload is None:
        return {}
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except ValueError:
            return payload
    return payload


def _compact(cause: str) -> str:
    # The optimised integration reports the function error JSON without spaces.
    try:
        return json.dumps(json.loads(cause), separators=(",", ":"))
    except ValueError:
        return cause
