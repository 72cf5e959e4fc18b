"""AwsBackend: the Backend protocol over boto3, against a stack deployed by terraform/.

It holds the same collaborators as LocalBackend, only AWS ones: the DynamoDB config
registry, the router code (run in-process, exactly as the router Lambda runs it), Step
Functions, SageMaker, SageMaker Runtime, S3 and CloudWatch Logs clients. Settings come from
the CLI edge (:meth:`AwsBackend.from_options`): the Terraform outputs file
(``terraform output -json > stack.json``, named by ``--stack`` or $SAGESTEP_AWS_STACK), then
$SAGESTEP_CONFIG_TABLE / $SAGESTEP_STATE_MACHINE_ARN / $SAGESTEP_HELPER_FUNCTION, with
$AWS_ENDPOINT_URL (boto3's own) for endpoints such as a moto server.
"""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
import time
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from sagestep.backends.aws_stack import AwsSettings, table_item
from sagestep.backends.base import Registered
from sagestep.backends.common import BackendBase
from sagestep.backends.runs import Runs
from sagestep.errors import BackendError

__all__ = ["AwsBackend", "AwsSettings", "table_item"]


class AwsBackend(BackendBase):
    """Configs, runs, models and endpoints of one sagestep stack on AWS.

    Everything but registering, deploying and the clients is BackendBase's (the same code
    as LocalBackend's).
    """

    kind = "aws"

    def __init__(self, settings: AwsSettings, session: Any = None, **clients: Any) -> None:
        # ``clients`` overrides boto3 clients by service name (tests): stepfunctions, ...
        self.settings = settings
        self._session = session
        self._clients = clients

    @classmethod
    def from_options(
        cls,
        profile: str | None = None,
        region: str | None = None,
        stack: str | os.PathLike[str] | None = None,
    ) -> AwsBackend:
        """The backend the CLI's ``--backend aws --profile --region [--stack]`` ask for."""
        return cls(AwsSettings.resolve(profile=profile, region=region, stack=stack))

    # --- clients -----------------------------------------------------------------------------

    @cached_property
    def session(self) -> Any:
        if self._session is not None:
            return self._session
        import boto3

        return boto3.Session(profile_name=self.settings.profile, region_name=self.settings.region)

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` (one per service, reused)."""
        if service not in self._clients:
            kwargs = (
                {"endpoint_url": self.settings.endpoint_url} if self.settings.endpoint_url else {}
            )
            self._clients[service] = self.session.client(service, **kwargs)
        return self._clients[service]

    @cached_property
    def sagemaker(self) -> Any:
        return self.client("sagemaker")

    @cached_property
    def sagemaker_runtime(self) -> Any:
        return self.client("sagemaker-runtime")

    def _where(self) -> str:
        return f" in table {self.settings.table}"

    @cached_property
    def registry(self) -> Any:
        from sagestep.stores.registry import DynamoDBConfigRegistry

        return DynamoDBConfigRegistry(self.settings.table, self.client("dynamodb"))

    @cached_property
    def router(self) -> Any:
        from sagestep.backends.common import RegistrySource
        from sagestep.triggers.router import Router

        sfn = self.client("stepfunctions")
        return Router(
            RegistrySource(self.registry), sfn, self.settings.state_machine_arn, time.time,
            sagemaker=lambda: self.client("sagemaker"),
        )

    @cached_property
    def runs(self) -> Runs:
        return Runs(
            self.client("stepfunctions"), self.settings.state_machine_arn, self.client("logs")
        )

    # --- configs -----------------------------------------------------------------------------

    def load(self, source: str | Path, name: str | None = None) -> Any:
        """The LoadedConfig of a config file or an s3:// object (SpecError if invalid)."""
        from sagestep.pipeline.loader import load_config

        text = str(source)
        if not text.startswith("s3://"):
            return load_config(Path(text), name=name)
        with tempfile.TemporaryDirectory() as tmp:
            bucket, _, key = text[5:].partition("/")
            local = Path(tmp) / (Path(key).name or "config.yaml")
            self.client("s3").download_file(bucket, key, str(local))
            return load_config(local, name=name)

    def register(self, source: str | Path, name: str | None = None) -> Registered:
        """Validate a config, upload its code to S3, and put it in the table as a new version."""
        text = str(source)
        loaded = self.load(source, name)
        item = dict(loaded.item)
        if text.startswith("s3://"):
            item["source_uri"] = text  # seed 002's {config: {bucket, prefix}} routes by this
        for upload in loaded.uploads:
            self.upload_code(upload)
        version = int(self.registry.put(item))
        notes = tuple(getattr(loaded, "notes", ())) + self._role_notes(item)
        return Registered(str(item["name"]), version, notes)

    def _role_notes(self, item: Mapping[str, Any]) -> tuple[str, ...]:
        # Configs without defaults.role_arn get spec's placeholder role, which SageMaker on AWS
        # refuses (iam:PassRole); say which role the stack provides.
        role = str((item.get("defaults") or {}).get("role_arn", ""))
        if ":000000000000:" not in role:
            return ()
        stack_role = self.settings.sagemaker_role_arn or "the stack's sagemaker_execution_role_arn"
        return (
            f"defaults.role_arn is the placeholder {role}; jobs on AWS need a real role: "
            f"set defaults.role_arn to {stack_role}",
        )

    def upload_code(self, upload: Any) -> None:
        local = Path(upload.local_path)
        if not local.is_dir():
            raise BackendError(
                f"source_dir {local} is not a directory (needed for {upload.s3_uri})"
            )
        bucket, _, key = str(upload.s3_uri)[5:].partition("/")
        s3 = self.client("s3")
        files = sorted(p for p in local.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        if not upload.archive:
            for path in files:
                target = f"{key.rstrip('/')}/{path.relative_to(local).as_posix()}"
                s3.upload_file(str(path), bucket, target)
            return
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "sourcedir.tar.gz"
            with tarfile.open(archive, "w:gz") as tar:
                for path in files:
                    tar.add(path, arcname=path.relative_to(local).as_posix())
            s3.upload_file(str(archive), bucket, key)

    # --- the state machine -------------------------------------------------------------------

    def deploy_definition(self, definition: Mapping[str, Any]) -> str:
        """Create or update the stack's state machine: "created", "updated" or "unchanged"."""
        sfn = self.client("stepfunctions")
        arn = self.settings.state_machine_arn
        text = json.dumps(definition)
        try:
            current = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
        except Exception as exc:
            if _code(exc) != "StateMachineDoesNotExist":
                raise
            role = self.settings.state_machine_role_arn
            if not role:
                raise BackendError(
                    f"state machine {arn} does not exist and no role is known to create it: "
                    "apply the Terraform module, or set SAGESTEP_STATE_MACHINE_ROLE_ARN"
                ) from exc
            name = arn.rsplit(":", 1)[-1]
            sfn.create_state_machine(name=name, definition=text, roleArn=role, type="STANDARD")
            return "created"
        if json.loads(current) == dict(definition):
            return "unchanged"
        sfn.update_state_machine(stateMachineArn=arn, definition=text)
        return "updated"

    def compiled_definition(self) -> dict[str, Any]:
        """The generic state machine compiled for this stack's helper Lambda.

        The helper is named by its function name, as `sagestep compile --helper-function`
        does for Terraform, so a deploy after `terraform apply` changes nothing.
        """
        from sagestep.pipeline.compile import CompileOptions, compile_state_machine

        helper = self.settings.helper_function
        if helper and helper.startswith("arn:"):
            helper = helper.split(":function:", 1)[-1].split(":", 1)[0]
        return compile_state_machine(CompileOptions(helper_function=helper) if helper else None)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
