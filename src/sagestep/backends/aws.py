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
import uuid
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from sagestep.backends.aws_stack import AwsSettings, table_item
from sagestep.backends.base import LogChunk, Registered, RunInfo, RunRef, StageInfo
from sagestep.backends.runs import Runs
from sagestep.errors import BackendError

__all__ = ["AwsBackend", "AwsSettings", "table_item"]


class AwsBackend:
    """Configs, runs, models and endpoints of one sagestep stack on AWS."""

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
    def registry(self) -> Any:
        from sagestep.stores.registry import DynamoDBConfigRegistry

        return DynamoDBConfigRegistry(self.settings.table, self.client("dynamodb"))

    @cached_property
    def router(self) -> Any:
        from sagestep.backends.local import RegistrySource
        from sagestep.triggers.router import Router

        sfn = self.client("stepfunctions")
        return Router(
            RegistrySource(self.registry), sfn, self.settings.state_machine_arn, time.time
        )

    @cached_property
    def runs(self) -> Runs:
        return Runs(
            self.client("stepfunctions"), self.settings.state_machine_arn, self.client("logs")
        )

    # --- configs -----------------------------------------------------------------------------

    def register(self, source: str | Path) -> Registered:
        """Validate a config, upload its code to S3, and put it in the table as a new version."""
        from sagestep.spec import load_config

        text = str(source)
        with tempfile.TemporaryDirectory() as tmp:
            if text.startswith("s3://"):
                bucket, _, key = text[5:].partition("/")
                local = Path(tmp) / (Path(key).name or "config.yaml")
                self.client("s3").download_file(bucket, key, str(local))
                loaded = load_config(local)
            else:
                loaded = load_config(Path(text))
        item = dict(loaded.item)
        if text.startswith("s3://"):
            item["source_uri"] = text  # seed 002's {config: {bucket, prefix}} routes by this
        for upload in loaded.uploads:
            self._upload(upload)
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

    def _upload(self, upload: Any) -> None:
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

    def configs(self) -> list[dict[str, Any]]:
        return [dict(i) for i in self.registry.list()]

    def config(self, name: str, version: int | None = None) -> dict[str, Any]:
        item = self.registry.get(name, version)
        if item is None:
            known = ", ".join(sorted(i["name"] for i in self.registry.list())) or "(none)"
            raise BackendError(
                f"no pipeline {name!r} (version {version or 'latest'}) in table "
                f"{self.settings.table}; registered: {known}"
            )
        return dict(item)

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
        from sagestep.asl.compile import CompileOptions, compile_state_machine

        helper = self.settings.helper_function
        if helper and helper.startswith("arn:"):
            helper = helper.split(":function:", 1)[-1].split(":", 1)[0]
        return compile_state_machine(CompileOptions(helper_function=helper) if helper else None)

    # --- runs --------------------------------------------------------------------------------

    def start_run(
        self,
        pipeline: str,
        *,
        dataset_date: str | None = None,
        params: Mapping[str, Any] | None = None,
        run_key: str | None = None,
        object_uri: str | None = None,
    ) -> RunRef:
        event: dict[str, Any] = {"pipeline": pipeline, "run_key": run_key or uuid.uuid4().hex}
        if object_uri:  # fills trigger.bucket/key/uri as an upload would
            event["object"] = object_uri
        if dataset_date:
            event["dataset_date"] = dataset_date
        if params:
            event["params"] = dict(params)
        (ref,) = self.send_event(event)
        return ref

    def send_event(self, event: Mapping[str, Any]) -> list[RunRef]:
        """Route ``event`` with the router Lambda's own code, here (same result as on AWS)."""
        result = self.router.route(dict(event))
        return [
            RunRef(s["pipeline"], s["name"], s["executionArn"], s["duplicate"])
            for s in result["started"]
        ]

    def describe_run(self, run: str) -> RunInfo:
        return self.runs.describe(run)

    def list_runs(self, pipeline: str | None = None, limit: int = 50) -> list[RunInfo]:
        return self.runs.list_runs(pipeline, limit)

    def history(self, run: str) -> list[dict[str, Any]]:
        return self.runs.history(run)

    def stages(self, run: str) -> list[StageInfo]:
        return self.runs.stages(run)

    def logs(self, run: str, stage: str | None = None) -> Iterator[LogChunk]:
        """SageMaker job logs of the run from CloudWatch Logs (/aws/sagemaker/*Jobs)."""
        return self.runs.logs(run, stage)

    def approve(self, run: str, comment: str = "") -> str:
        return self.runs.answer(run, True, comment)

    def reject(self, run: str, comment: str = "") -> str:
        return self.runs.answer(run, False, comment)

    # --- models and endpoints ----------------------------------------------------------------

    def models(self, group: str | None = None) -> list[dict[str, Any]]:
        sm = self.client("sagemaker")
        groups = (
            [group]
            if group
            else [
                g["ModelPackageGroupName"]
                for g in sm.list_model_package_groups().get("ModelPackageGroupSummaryList", [])
            ]
        )
        found: list[dict[str, Any]] = []
        for name in groups:
            page = sm.list_model_packages(ModelPackageGroupName=name)
            found.extend(page.get("ModelPackageSummaryList", []))
        return found

    def model(self, name_or_arn: str) -> dict[str, Any]:
        return dict(self.client("sagemaker").describe_model_package(ModelPackageName=name_or_arn))

    def approve_model(self, name_or_arn: str, status: str = "Approved") -> dict[str, Any]:
        arn = self.model(name_or_arn)["ModelPackageArn"]
        self.client("sagemaker").update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus=status
        )
        return self.model(arn)

    def endpoints(self) -> list[dict[str, Any]]:
        return list(self.client("sagemaker").list_endpoints().get("Endpoints", []))

    def invoke(self, endpoint: str, body: bytes, content_type: str = "text/csv") -> bytes:
        response = self.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=endpoint, Body=body, ContentType=content_type
        )
        return bytes(response["Body"].read())


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
