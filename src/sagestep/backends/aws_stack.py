"""Where a sagestep stack lives on AWS: settings from Terraform outputs and the environment,
and the DynamoDB item layout of the config table (shared with DynamoDBConfigRegistry).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagestep.errors import BackendError

# Terraform output -> setting (terraform/modules/sagestep/outputs.tf, examples re-export them).
_OUTPUTS = {
    "config_table": "table",
    "state_machine_arn": "state_machine_arn",
    "artefact_bucket": "bucket",
    "helper_function_arn": "helper_function",
    "sagemaker_execution_role_arn": "sagemaker_role_arn",
    "state_machine_role_arn": "state_machine_role_arn",
}


@dataclass(frozen=True)
class AwsSettings:
    """Where the sagestep stack lives on AWS."""

    table: str
    state_machine_arn: str
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    bucket: str | None = None
    helper_function: str | None = None
    sagemaker_role_arn: str | None = None
    state_machine_role_arn: str | None = None

    @classmethod
    def resolve(
        cls,
        *,
        profile: str | None = None,
        region: str | None = None,
        stack: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> AwsSettings:
        """Settings from a Terraform outputs file and the environment (env wins)."""
        env = os.environ if env is None else env
        values: dict[str, str] = {}
        stack = stack or env.get("SAGESTEP_AWS_STACK")
        if stack:
            values.update(_read_stack(Path(stack)))
        for var, key in (
            ("SAGESTEP_CONFIG_TABLE", "table"),
            ("SAGESTEP_STATE_MACHINE_ARN", "state_machine_arn"),
            ("SAGESTEP_ARTIFACT_BUCKET", "bucket"),
            ("SAGESTEP_HELPER_FUNCTION", "helper_function"),
            ("SAGESTEP_SAGEMAKER_ROLE_ARN", "sagemaker_role_arn"),
            ("SAGESTEP_STATE_MACHINE_ROLE_ARN", "state_machine_role_arn"),
        ):
            if env.get(var):
                values[key] = env[var]
        missing = [k for k in ("table", "state_machine_arn") if not values.get(k)]
        if missing:
            raise BackendError(
                f"the AWS backend needs {' and '.join(missing)}: run `terraform output -json > "
                "stack.json` in your Terraform root and pass --stack stack.json (or set "
                "SAGESTEP_AWS_STACK), or set SAGESTEP_CONFIG_TABLE and SAGESTEP_STATE_MACHINE_ARN"
            )
        return cls(
            profile=profile or env.get("AWS_PROFILE") or None,
            region=region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            endpoint_url=env.get("SAGESTEP_AWS_ENDPOINT_URL") or None,
            **values,
        )


def _read_stack(path: Path) -> dict[str, str]:
    try:
        outputs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackendError(
            f"cannot read Terraform outputs from {path} ({exc}); write it with "
            "`terraform output -json > stack.json`"
        ) from exc
    if not isinstance(outputs, Mapping):
        raise BackendError(f"{path} is not `terraform output -json` output (expected an object)")
    found: dict[str, str] = {}
    for output, key in _OUTPUTS.items():
        entry = outputs.get(output)
        value = entry.get("value") if isinstance(entry, Mapping) else entry
        if isinstance(value, str) and value:
            found[key] = value
    return found


def table_item(item: Mapping[str, Any], version: int, created: float) -> dict[str, Any]:
    """``item`` as the DynamoDB item DynamoDBConfigRegistry.put writes (DynamoDB-typed JSON)."""
    body = {**item, "version": version, "created": created}
    return {
        "name": {"S": str(item["name"])},
        "version": {"N": str(version)},
        "item": {"S": json.dumps(body, sort_keys=True)},
        "created": {"N": f"{created:.6f}"},
    }
