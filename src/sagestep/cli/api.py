"""``sagestep api env``: point boto3, the AWS CLI and the SageMaker SDK at the local AWS API.

    eval "$(sagestep api env)"      # then: aws s3 ls, boto3.client("s3"), sagemaker.Session()
"""

from __future__ import annotations

import shlex

import typer

from sagestep.cli import options
from sagestep.errors import SagestepError

api_app = typer.Typer(name="api", help="The local AWS API (S3, SageMaker, Step Functions).",
                      no_args_is_help=True)


@api_app.command("env")
def env(home: str = options.HomeOption) -> None:
    """Print export lines for AWS_ENDPOINT_URL, the workspace keys and the region."""
    from sagestep.api.server import running
    from sagestep.workspace import Workspace

    ws = Workspace.resolve(home)
    endpoint = running(ws)
    if endpoint is None:
        raise SagestepError(
            f"no local AWS API answers for workspace {ws.root}; start one with "
            f"`sagestep server --home {shlex.quote(str(ws.root))}` (it prints the URL), then rerun"
        )
    for name, value in endpoint.env().items():
        typer.echo(f"export {name}={shlex.quote(value)}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(api_app)
