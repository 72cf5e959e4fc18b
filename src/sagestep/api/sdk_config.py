"""The SageMaker Python SDK's defaults for a workspace: a config file the SDK loads itself.

``sagemaker.Session()`` with no ``default_bucket`` derives ``sagemaker-<region>-<account>``
from STS GetCallerIdentity, which it sends to a fixed AWS URL (``sts_regional_endpoint``:
an explicit endpoint_url, so AWS_ENDPOINT_URL cannot redirect it), and later asks S3 with
``ExpectedBucketOwner``. The SDK also reads defaults from YAML files (sagemaker.config):
an admin file (``SAGEMAKER_ADMIN_CONFIG_OVERRIDE``) first, the user's file on top. Naming
that same bucket as the admin default lets unchanged code run with no STS call, while the
user's own config (``~/.config/sagemaker/config.yaml`` or ``SAGEMAKER_USER_CONFIG_OVERRIDE``)
still applies and wins. The file also opts out of the SDK's telemetry, which reports each
fit/deploy to an AWS bucket (sagemaker/telemetry): a local run has nothing to report, and
offline every call logged a connection traceback. Schema: sagemaker/config/config_schema.py.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ENV_VAR = "SAGEMAKER_ADMIN_CONFIG_OVERRIDE"
FILE_NAME = "sagemaker-sdk-config.yaml"
# Where the SDK looks for an admin config when ENV_VAR is unset (platformdirs' site dir on Linux)
SITE_CONFIG = Path("/etc/xdg/sagemaker/config.yaml")


def default_bucket(region: str, account: str) -> str:
    """The bucket the SDK itself would pick on AWS for this region and account."""
    return f"sagemaker-{region}-{account}"


def write(root: Path, region: str, account: str) -> Path:
    """Write the workspace's SDK config (atomically) and return its path."""
    path = root / FILE_NAME
    text = (
        "# Written by sagestep for the SageMaker Python SDK, which reads it through\n"
        f"# {ENV_VAR} (exported by `sagestep api env`). It names the default bucket the SDK\n"
        "# would derive from STS, so Session() needs no STS call, and opts out of the SDK's\n"
        "# telemetry (a GET to an AWS bucket after each fit/deploy). Your own SDK config\n"
        "# (~/.config/sagemaker/config.yaml or SAGEMAKER_USER_CONFIG_OVERRIDE) applies on top.\n"
        "SchemaVersion: '1.0'\n"
        "SageMaker:\n"
        "  PythonSDK:\n"
        "    Modules:\n"
        "      TelemetryOptOut: true\n"
        "      Session:\n"
        f"        DefaultS3Bucket: {default_bucket(region, account)}\n"
    )
    # A temp name of its own per call: two API servers starting at once (two processes, or
    # two threads of one) must not rename each other's file away.
    fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{FILE_NAME}.")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def replaced_admin_config(ours: str, environ: dict[str, str] | os._Environ[str]) -> str | None:
    """The admin config the SDK would load in this environment that ``ours`` replaces, if any."""
    current = environ.get(ENV_VAR)
    if current:
        return None if os.path.abspath(current) == os.path.abspath(ours) else current
    return str(SITE_CONFIG) if SITE_CONFIG.exists() else None
