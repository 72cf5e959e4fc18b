"""terraform fmt/init/validate on the module and both examples; checkov on terraform/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.terraform import tf

pytestmark = [pytest.mark.terraform]
needs_terraform = pytest.mark.skipif(tf.missing() is not None, reason=tf.missing() or "")
ROOTS = ["modules/sagestep", "examples/dev", "examples/prod"]


def _require_in_ci() -> None:
    if os.environ.get("CI") and tf.missing():
        pytest.fail(f"CI must run the Terraform checks: {tf.missing()}")


def test_plugin_dir_is_found_or_ci_fails() -> None:
    _require_in_ci()
    if tf.missing() is None:
        found = tf.plugin_dir()
        assert found is not None
        assert list((found / tf.PROVIDER).glob("*/*/terraform-provider-aws*"))


@needs_terraform
def test_fmt_check() -> None:
    proc = subprocess.run(
        [tf.terraform_bin() or "terraform", "fmt", "-check", "-recursive", "-diff", "-no-color"],
        cwd=tf.TERRAFORM_DIR,
        env=tf.env(),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"run `terraform fmt -recursive terraform/`:\n{proc.stdout}"


@needs_terraform
@pytest.mark.parametrize("root", ROOTS)
def test_init_and_validate(root: str, tmp_path: Path) -> None:
    tree = tf.copy_tree(tmp_path)
    tf.init(tree / root)
    out = tf.run(["validate", "-json", "-no-color"], tree / root)
    report = json.loads(out.stdout)
    assert report["valid"] is True, report
    assert report["warning_count"] == 0, report["diagnostics"]


def test_every_module_has_a_readme_listing_its_inputs_and_outputs() -> None:
    import re

    module = tf.TERRAFORM_DIR / "modules" / "sagestep"
    readme = (module / "README.md").read_text()
    variables = re.findall(r'^variable "(\w+)"', (module / "variables.tf").read_text(), re.M)
    outputs = re.findall(r'^output "(\w+)"', (module / "outputs.tf").read_text(), re.M)
    assert variables and outputs
    for name in variables + outputs:
        assert f"`{name}`" in readme, f"README.md does not document {name}"


def test_every_variable_has_a_description_and_type() -> None:
    import re

    text = (tf.TERRAFORM_DIR / "modules" / "sagestep" / "variables.tf").read_text()
    blocks = re.split(r'^variable "', text, flags=re.M)[1:]
    assert blocks
    for block in blocks:
        name = block.split('"', 1)[0]
        assert "description = " in block, f"variable {name} has no description"
        assert "type " in block, f"variable {name} has no type"


def _checkov() -> str | None:
    return os.environ.get("SAGESTEP_CHECKOV") or shutil.which("checkov") or _local_venv()


def _local_venv() -> str | None:
    candidate = tf.REPO / ".venv-checkov" / "bin" / "checkov"
    return str(candidate) if candidate.exists() else None


def test_checkov_has_no_failed_checks_and_every_skip_has_a_reason() -> None:
    binary = _checkov()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("checkov not found: scripts/test.sh installs it into .venv-checkov")
        pytest.skip("checkov not installed (scripts/test.sh installs it into .venv-checkov)")
    proc = subprocess.run(
        [
            binary,
            "-d",
            str(tf.TERRAFORM_DIR),
            "--framework",
            "terraform",
            "--skip-download",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r["results"]["failed_checks"]]
    assert not failed, [f"{c['check_id']} {c['resource']} {c['file_path']}" for c in failed]
    skipped = [c for r in reports for c in r["results"]["skipped_checks"]]
    for check in skipped:
        reason = check.get("check_result", {}).get("suppress_comment", "")
        assert len(reason) > 20, (
            f"{check['check_id']} on {check['resource']} is skipped without a reason"
        )
    assert sum(r["summary"]["passed"] for r in reports) > 100
