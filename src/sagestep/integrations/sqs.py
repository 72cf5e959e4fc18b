"""SQS for the engine: ``sqs:sendMessage`` (also ``.waitForTaskToken``) and ``aws-sdk:sqs:*``
basics, over the workspace's local queues (:mod:`sagestep.stores.queues`).

``MessageBody`` that is not a string is sent as its JSON text, as AWS does; the result is
``{MD5OfMessageBody, MessageId, SdkHttpMetadata, SdkResponseMetadata}`` (recorded in
LocalStack's parity suite, test_sqs_task_service.py). A consumer reads the queue with
``LocalQueues(workspace.db_path).receive(name)`` or ``sagestep sqs receive NAME`` and answers a
task token with SendTaskSuccess/SendTaskFailure.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from sagestep.engine.failure import TaskError
from sagestep.engine.integration import Call, Callback, CallContext, Integration
from sagestep.stores.queues import LocalQueues, queue_url

SEND = "arn:aws:states:::sqs:sendMessage"
SDK = "arn:aws:states:::aws-sdk:sqs:"


def _metadata(request_id: str) -> dict[str, Any]:
    return {"SdkHttpMetadata": {
        "AllHttpHeaders": {"x-amzn-RequestId": [request_id],
                           "Content-Type": ["application/x-amz-json-1.0"]},
        "HttpHeaders": {"Content-Type": "application/x-amz-json-1.0",
                        "x-amzn-RequestId": request_id},
        "HttpStatusCode": 200}, "SdkResponseMetadata": {"RequestId": request_id}}


def _body(params: dict[str, Any]) -> str:
    body = params.get("MessageBody")
    if body is None:
        raise TaskError("SQS.MissingParameterException",
                        "The request must contain the parameter MessageBody.")
    return body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))


def _queue(params: dict[str, Any]) -> str:
    url = params.get("QueueUrl")
    if not isinstance(url, str) or not url:
        raise TaskError("SQS.MissingParameterException",
                        "The request must contain the parameter QueueUrl.")
    return url


def sqs_integrations(get_queues: Callable[[], LocalQueues]) -> dict[str, Integration]:
    def send(params: Any, ctx: CallContext) -> Any:
        params = dict(params or {})
        delay = int(params.get("DelaySeconds", 0) or 0)
        out = get_queues().send(_queue(params), _body(params), delay)
        return {**out, **_metadata(str(uuid.uuid4()))}

    def sdk(params: Any, ctx: CallContext) -> Any:
        action = ctx.resource.rsplit(":", 1)[-1].split(".")[0]
        params = dict(params or {})
        queues = get_queues()
        if action == "sendMessage":
            out = queues.send(_queue(params), _body(params), int(params.get("DelaySeconds", 0)))
            return dict(out)
        if action == "receiveMessage":
            messages = queues.receive(_queue(params), int(params.get("MaxNumberOfMessages", 1)),
                                      float(params.get("VisibilityTimeout", 30)))
            return {"Messages": messages} if messages else {}
        if action == "deleteMessage":
            queues.delete(_queue(params), str(params.get("ReceiptHandle", "")))
            return {}
        if action in ("createQueue", "getQueueUrl"):
            return {"QueueUrl": queue_url(str(params.get("QueueName", "")))}
        raise TaskError("SQS.UnsupportedOperationException",
                        f"The local SQS has no operation {action}: sendMessage, "
                        "receiveMessage, deleteMessage, createQueue and getQueueUrl are supported")

    return {SEND: Call(send), SEND + ".waitForTaskToken": Callback(send),
            SDK + "*": Call(sdk)}
