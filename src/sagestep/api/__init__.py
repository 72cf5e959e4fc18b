"""The local AWS API: S3, SageMaker, SageMaker Runtime, Step Functions and STS over HTTP.

A thin wire layer over the workspace's local clients and object store (no service logic):
``ensure_api(workspace)`` returns a live endpoint, `sagestep server` serves one, and
`sagestep api env` prints the environment that points boto3 and the AWS CLI at it.
"""

from sagestep.api.server import ApiEndpoint, ensure_api

__all__ = ["ApiEndpoint", "ensure_api"]
