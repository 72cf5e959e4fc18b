"""CLI commands for the workspace's local SQS queues: ``sagestep sqs receive|send``.

A callback state (``sqs:sendMessage.waitForTaskToken``) leaves its message here; a consumer
reads it with ``sagestep sqs receive QUEUE`` and answers with ``sagestep sfn send-task-success``.
"""

from __future__ import annotations

import json

import typer

from sagestep.cli import options
from sagestep.stores.queues import LocalQueues

sqs_app = typer.Typer(name="sqs", help="Read and write the local SQS queues.",
                      no_args_is_help=True)
HOME = options.HomeOption


def _queues(home: str | None) -> LocalQueues:
    from sagestep.workspace import Workspace

    ws = Workspace.resolve(options.workspace_home(home))
    ws.ensure()
    return LocalQueues(ws.db_path)


@sqs_app.command("receive")
def receive(
    queue: str = typer.Argument(..., help="Queue name or URL."),
    max_messages: int = typer.Option(1, "--max", min=1, max=10, help="At most this many."),
    keep: bool = typer.Option(False, "--keep", help="Leave the messages on the queue "
                              "(they come back after the visibility timeout)."),
    visibility: float = typer.Option(30.0, "--visibility", help="Seconds hidden when kept."),
    home: str = HOME,
) -> None:
    """Print received messages, one JSON object a line (deleted unless --keep)."""
    queues = _queues(home)
    messages = queues.receive(queue, max_messages, visibility)
    for message in messages:
        if not keep:
            queues.delete(queue, message["ReceiptHandle"])
        typer.echo(json.dumps(message))


@sqs_app.command("send")
def send(
    queue: str = typer.Argument(..., help="Queue name or URL."),
    body: str = typer.Argument(..., help="Message body (text)."),
    home: str = HOME,
) -> None:
    """Send one message; prints its MessageId and MD5OfMessageBody."""
    typer.echo(json.dumps(_queues(home).send(queue, body)))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(sqs_app, name="sqs")
