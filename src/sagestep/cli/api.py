"""``sagestep api env``: point boto3, the AWS CLI and the SageMaker SDK at the local AWS API.

    eval "$(sagestep api env)"      # then: aws s3 ls, boto3.client("s3"), sagemaker.Session()

Besides the AWS_* variables it exports SAGEMAKER_ADMIN_CONFIG_OVERRIDE, the workspace's
SageMaker SDK defaults (api/sdk_config.py), so unchanged SDK code finds its default bucket.
"""

from __future__ import annotations

import os
import shlex

import typer

from sagestep.cli import options
from sagestep.errors import SagestepError

api_app = typer.Typer(name="api", help="The local AWS API (S3, SageMaker, Step Functions, CloudWatch Logs).",
                      no_args_is_help=True)


@api_app.command("env")
def env(home: str = options.HomeOption) -> None:
    """Print export lines for boto3, the AWS CLI and the SageMaker SDK: eval "$(sagestep api env)".

    AWS_ENDPOINT_URL, the workspace's keys, AWS_REGION/AWS_DEFAULT_REGION, and
    SAGEMAKER_ADMIN_CONFIG_OVERRIDE (the SDK's default bucket, so sagemaker.Session() needs
    no STS call to AWS; your own SDK config still applies on top).
    """
    from sagestep.api import sdk_config
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
    replaced = endpoint.sdk_config and sdk_config.replaced_admin_config(endpoint.sdk_config, os.environ)
    if replaced:  # stderr: stdout is eval'd
        typer.echo(
            f"note: {sdk_config.ENV_VAR} now names {endpoint.sdk_config} (the default bucket "
            f"for the SageMaker SDK) instead of the admin config {replaced}, whose settings no "
            "longer apply in this shell; your user config (~/.config/sagemaker/config.yaml or "
            "SAGEMAKER_USER_CONFIG_OVERRIDE) still does: move settings you need there", err=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(api_app)
