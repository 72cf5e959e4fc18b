"""SageMaker ARNs for the local service (one region and account per workspace)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"
# Same placeholder account as the local Step Functions engine, so ARNs line up across services.
DEFAULT_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Arns:
    """Builds SageMaker ARNs: arn:aws:sagemaker:<region>:<account>:<resource>/<name>."""

    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT

    def arn(self, resource: str, name: str) -> str:
        """ARN of ``resource`` (e.g. "training-job") ``name``; AWS lower-cases job names in ARNs."""
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{resource}/{name.lower()}"

    def model_package(self, group: str, version: int) -> str:
        """ARN of a versioned model package (the group name keeps its case)."""
        return (
            f"arn:aws:sagemaker:{self.region}:{self.account}:model-package/{group}/{version}"
        )

    def model_package_group(self, group: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:model-package-group/{group}"


def name_from_arn(value: str) -> str:
    """The resource name of an ARN, or ``value`` unchanged when it is already a name."""
    if value.startswith("arn:"):
        return value.split(":", 5)[-1].split("/", 1)[-1]
    return value
