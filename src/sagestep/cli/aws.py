"""CLI commands for AWS: `package-lambda`, `deploy`, `export-item`, and the CI templates of `init --ci`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from sagestep.errors import SagestepError

# `sagestep init --ci KIND` -> (destination inside the project, template file name).
CI_TEMPLATES = {
    "gitlab": (".gitlab-ci.yml", "gitlab-ci.yml"),
    "github": (".github/workflows/sagestep.yml", "github-actions.yml"),
}


def ci_template(kind: str) -> tuple[str, str]:
    """The CI file ``sagestep init --ci KIND`` writes: (path relative to the project, text)."""
    if kind not in CI_TEMPLATES:
        raise SagestepError(f"unknown CI kind {kind!r}; choose one of: {', '.join(CI_TEMPLATES)}")
    dest, name = CI_TEMPLATES[kind]
    return dest, _template_text(name)


def _template_text(name: str) -> str:
    # Installed wheel: sagestep/templates/ (package data); source checkout: <repo>/templates/.
    packaged = resources.files("sagestep").joinpath("templates", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    repo = Path(__file__).resolve().parents[3] / "templates" / name
    if repo.is_file():
        return repo.read_text(encoding="utf-8")
    raise SagestepError(f"CI template {name} is missing from this installation (looked in {repo})")


def package_lambda(
    out: Path = typer.Option(
        Path("build/lambda"), "--out", help="Directory for router.zip and notify.zip."
    ),
) -> None:
    """Build the router and notification Lambda zips (standard library + sagestep modules only)."""
    from sagestep.backends.lambda_zip import build_all

    for built in build_all(out):
        typer.echo(
            f"{built.name}: {built.path} {built.size} bytes, {len(built.modules)} modules, "
            f"handler {built.handler}, sha256 {built.sha256_base64}"
        )


def deploy(
    configs: list[Path] = typer.Argument(None, help="Pipeline configs to register (new versions)."),
    definition: Path = typer.Option(
        None, "--definition", help="Compiled ASL file (default: compile for the stack's helper)."
    ),
    stack: Path = typer.Option(
        None, "--stack", help="`terraform output -json` file (default $SAGESTEP_AWS_STACK)."
    ),
    profile: str = typer.Option(None, "--profile", help="AWS profile."),
    region: str = typer.Option(None, "--region", help="AWS region."),
) -> None:
    """Update the stack's state machine to the compiled definition and register configs."""
    import json

    from sagestep.backends.aws import AwsBackend

    backend = AwsBackend.from_options(profile=profile, region=region, stack=stack)
    if definition is not None:
        try:
            machine = json.loads(definition.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SagestepError(
                f"cannot read the definition {definition} ({exc}); write it with "
                "`sagestep compile --output FILE`"
            ) from exc
    else:
        machine = backend.compiled_definition()
    outcome = backend.deploy_definition(machine)
    typer.echo(f"state machine {backend.settings.state_machine_arn}: {outcome}")
    for config in configs or []:
        done = backend.register(config)
        typer.echo(f"registered {done.name} version {done.version} in {backend.settings.table}")


def export_item(
    config: Path = typer.Argument(..., help="Pipeline config to export."),
    out: Path = typer.Option(Path("pipelines"), "--out", help="Directory for <name>.json."),
    version: int = typer.Option(1, "--version", min=1, help="Version the item gets."),
) -> None:
    """Write a config as a DynamoDB item (for Terraform's aws_dynamodb_table_item)."""
    import json
    import time

    from sagestep.backends.aws import table_item
    from sagestep.pipeline.loader import load_config

    loaded = load_config(config)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{loaded.name}.json"
    item = table_item(loaded.item, version, float(int(time.time())))
    path.write_text(json.dumps(item, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    typer.echo(f"wrote {path} ({loaded.name} version {version})")
    if loaded.uploads:
        typer.echo(
            "note: this config has local code; upload it with `sagestep register --backend aws` "
            "or to: " + ", ".join(u.s3_uri for u in loaded.uploads)
        )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("export-item")(export_item)
    app.command("package-lambda")(package_lambda)
    app.command("deploy")(deploy)
