"""Run Terraform against the offline hashicorp/aws provider (test helper).

The provider is found in $SAGESTEP_TF_PLUGIN_DIR, else in the usual plugin directories;
`terraform init -plugin-dir=DIR` then never touches the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "terraform"
PLUGIN_DIRS = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
PROVIDER = Path("registry.terraform.io/hashicorp/aws")


def plugin_dir() -> Path | None:
    """The directory holding registry.terraform.io/hashicorp/aws/<version>/<platform>/."""
    explicit = os.environ.get("SAGESTEP_TF_PLUGIN_DIR")
    candidates = [explicit] if explicit else list(PLUGIN_DIRS)
    for raw in candidates:
        path = Path(raw).expanduser()
        if any((path / PROVIDER).glob("*/*/terraform-provider-aws*")):
            return path
    return None


def terraform_bin() -> str | None:
    """The terraform executable on PATH (or $SAGESTEP_TERRAFORM)."""
    return os.environ.get("SAGESTEP_TERRAFORM") or shutil.which("terraform")


def missing() -> str | None:
    """Why Terraform tests cannot run here, or None when they can."""
    if terraform_bin() is None:
        return "terraform is not on PATH (set SAGESTEP_TERRAFORM)"
    if plugin_dir() is None:
        return (
            "no offline hashicorp/aws provider: set SAGESTEP_TF_PLUGIN_DIR to a directory holding "
            f"{PROVIDER}/<version>/<os_arch>/ (searched {', '.join(PLUGIN_DIRS)})"
        )
    return None


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A quiet, offline environment for terraform."""
    out = dict(os.environ)
    cli_config = Path(os.environ.get("TMPDIR", "/tmp")) / "sagestep-empty.tfrc"
    cli_config.touch()
    out.update(
        {
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "TF_CLI_CONFIG_FILE": str(cli_config),
        }
    )
    out.update(extra or {})
    return out


def run(args: list[str], cwd: Path, extra_env: dict[str, str] | None = None, timeout: int = 300):
    """Run ``terraform ARGS`` in ``cwd``; raise with its output when it fails."""
    proc = subprocess.run(
        [terraform_bin() or "terraform", *args],
        cwd=cwd,
        env=env(extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"terraform {' '.join(args)} failed in {cwd} (exit {proc.returncode}):\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def init(cwd: Path) -> None:
    """``terraform init`` from the offline plugin directory, without a backend."""
    run(["init", "-backend=false", f"-plugin-dir={plugin_dir()}", "-no-color"], cwd)


def copy_tree(dest: Path) -> Path:
    """A private copy of terraform/ (init writes .terraform/ next to the code)."""
    target = dest / "terraform"
    shutil.copytree(
        TERRAFORM_DIR,
        target,
        ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*"),
    )
    return target
