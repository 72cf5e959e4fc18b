"""The one environment builder for every job, transform worker and endpoint server.

A container starts from its image's environment, not from the caller's shell: only a few
neutral variables pass from the host (locale, time zone), never AWS_* credentials, profiles
or PYTHONPATH. On top come the runtime's overlay (PATH, VIRTUAL_ENV, PYTHONPATH), the
workspace's local AWS API (so ``boto3`` reaches the local S3 unchanged) unless the job asked
for network isolation, and last the job's own variables.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Protocol

from sagestep.sagemaker.runtime import JobRuntime
from sagestep.sagemaker.sandbox import Sandbox

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_PASS_THROUGH = ("LANG", "LANGUAGE", "TZ", "TERM")


class ApiAccess(Protocol):
    """Where a job reaches the workspace's local AWS API (sagestep.api.ApiEndpoint fits)."""

    url: str
    access_key: str
    secret_key: str
    region: str


def aws_environment(api: ApiAccess | None, region: str) -> dict[str, str]:
    """AWS_* variables of a job: the local API endpoint and workspace credentials, or none."""
    env = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region,
           # no instance metadata probing, no host config or credential files
           "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": "/nonexistent/aws-config",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials"}
    if api is None:
        return env
    env.update({
        "AWS_ENDPOINT_URL": api.url, "AWS_ENDPOINT_URL_S3": api.url,
        "AWS_ENDPOINT_URL_SAGEMAKER": api.url, "AWS_ENDPOINT_URL_STS": api.url,
        "AWS_ACCESS_KEY_ID": api.access_key, "AWS_SECRET_ACCESS_KEY": api.secret_key,
        "AWS_REGION": api.region, "AWS_DEFAULT_REGION": api.region,
        # the training toolkit downloads sourcedir.tar.gz through this one
        "S3_ENDPOINT_URL": api.url,
    })
    return env


def _user_installs(env: Mapping[str, str]) -> dict[str, str]:
    # A script's own `pip install` (e.g. `pip install -r requirements.txt` in a processing
    # entrypoint) goes to $HOME/.local, the job's writable layer, like a user install: the
    # image environment stays read-only and its packages still satisfy what they satisfy.
    local = f"{env['HOME']}/.local"
    site = f"{local}/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"
    return {"PIP_PREFIX": local, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PYTHONPATH": f"{env['PYTHONPATH']}:{site}" if env.get("PYTHONPATH") else site,
            "PATH": f"{local}/bin:{env['PATH']}"}


def job_environment(runtime: JobRuntime, sandbox: Sandbox, aws: Mapping[str, str],
                    job_env: Mapping[str, str]) -> dict[str, str]:
    """The complete environment of one job process."""
    env = {k: v for k, v in os.environ.items() if k in _PASS_THROUGH or k.startswith("LC_")}
    env.setdefault("LANG", "C.UTF-8")
    env["HOME"] = sandbox.home
    env["PATH"] = SYSTEM_PATH
    if sandbox.mode != "bwrap":
        env["TMPDIR"] = str(sandbox.tmpdir)
    for key, value in runtime.env.items():
        if key in ("PATH", "PYTHONPATH") and env.get(key):
            value = f"{value}:{env[key]}"
        env[key] = value
    if runtime.env.get("VIRTUAL_ENV"):
        env.update(_user_installs(env))
    env.update(aws)
    for key, value in job_env.items():
        if key == "PYTHONPATH" and env.get(key):
            value = f"{value}:{env[key]}"
        env[key] = value
    return env
