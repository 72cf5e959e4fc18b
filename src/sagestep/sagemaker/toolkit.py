"""The SageMaker training toolkit (sagemaker-training 5.1.4) behaviour, computed up front.

Framework containers run the user's entry point through the toolkit; locally the service
computes what the toolkit would (command-line arguments, SM_* variables) and starts the
script directly, saving a process. Reference: sagemaker-containers.md sections 3.1-3.3.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

RESERVED = frozenset({
    "sagemaker_program", "sagemaker_submit_directory", "sagemaker_enable_cloudwatch_metrics",
    "sagemaker_region", "sagemaker_container_log_level", "sagemaker_job_name",
    "default_user_module_name", "_tuning_objective_metric", "sagemaker_s3_output",
})


def decode(value: str) -> Any:
    """json.loads when it parses, else the raw string (toolkit read_hyperparameters)."""
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        return value


def _dump(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def _arg(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)


def cmd_args(user_hps: dict[str, Any]) -> list[str]:
    """``--key value`` pairs, keys sorted, single-character keys as ``-k``."""
    out: list[str] = []
    for key in sorted(user_hps):
        out += [f"-{key}" if len(key) == 1 else f"--{key}", _arg(user_hps[key])]
    return out


@dataclass(frozen=True)
class ToolkitEnv:
    """What the toolkit derives from hyperparameters.json and the job layout."""

    entry_point: str
    module_dir: str
    user_hps: dict[str, Any]
    framework_params: dict[str, Any]
    args: list[str]
    log_level: int


def from_hyperparameters(raw: dict[str, str], env: dict[str, str], code_dir: str) -> ToolkitEnv:
    decoded = {k: decode(v) for k, v in raw.items()}
    user = {k: v for k, v in decoded.items() if k not in RESERVED and not k.startswith("sagemaker_")}
    framework = {k: v for k, v in decoded.items() if k.startswith("sagemaker_") and k not in RESERVED}
    entry = env.get("SAGEMAKER_PROGRAM") or str(decoded.get("sagemaker_program") or "")
    module_dir = str(decoded.get("sagemaker_submit_directory") or code_dir)
    level = decoded.get("sagemaker_container_log_level", 20)
    return ToolkitEnv(entry, module_dir, user, framework, cmd_args(user),
                      int(level) if isinstance(level, int | str) and str(level).isdigit() else 20)


def sm_environment(tk: ToolkitEnv, base: str, job_name: str, channels: list[str],
                   input_config: dict[str, Any], resource: dict[str, Any], code_dir: str,
                   training_module: str = "") -> dict[str, str]:
    """Every SM_* variable as toolkit 5.1.4 exports it (section 3.3)."""
    hosts = resource["hosts"]
    itype = resource.get("current_instance_type", "local")
    group = resource.get("current_group_name", "homogeneousCluster")
    groups_dict = {group: {"hosts": hosts, "instance_group_name": group, "instance_type": itype}}
    env: dict[str, Any] = {
        "model_dir": f"{base}/model", "input_dir": f"{base}/input",
        "input_config_dir": f"{base}/input/config", "output_dir": f"{base}/output",
        "output_data_dir": f"{base}/output/data",
        "output_intermediate_dir": f"{base}/output/intermediate",
        "channels": sorted(channels), "hps": tk.user_hps, "user_args": tk.args,
        "user_entry_point": tk.entry_point,
        "module_name": tk.entry_point[:-3] if tk.entry_point.endswith(".py") else tk.entry_point,
        "module_dir": tk.module_dir, "framework_module": training_module,
        "framework_params": tk.framework_params, "current_host": resource["current_host"],
        "hosts": hosts, "current_instance_type": itype, "current_instance_group": group,
        "current_instance_group_hosts": hosts, "instance_groups": [group],
        "instance_groups_dict": groups_dict, "distribution_instance_groups": [],
        "is_hetero": False, "network_interface_name": resource.get("network_interface_name", "eth0"),
        "num_cpus": os.cpu_count() or 1, "num_gpus": 0, "num_neurons": 0,
        "log_level": tk.log_level, "resource_config": resource, "input_data_config": input_config,
    }
    out = {f"SM_{k.upper()}": _dump(v) for k, v in env.items() if k != "hps"}
    out["SM_HPS"] = _dump(tk.user_hps)
    for ch in channels:
        out[f"SM_CHANNEL_{ch.upper()}"] = f"{base}/input/data/{ch}"
    for key, value in tk.user_hps.items():
        out[f"SM_HP_{key.upper()}"] = _dump(value)
    out["SM_TRAINING_ENV"] = _dump(_training_env(env, tk, base, channels, job_name, hosts))
    out.update({"SM_INPUT": f"{base}/input",
                "SM_INPUT_TRAINING_CONFIG_FILE": f"{base}/input/config/hyperparameters.json",
                "SM_INPUT_DATA_CONFIG_FILE": f"{base}/input/config/inputdataconfig.json",
                "SM_CHECKPOINT_CONFIG_FILE": f"{base}/input/config/checkpointconfig.json"})
    return out


def _training_env(env: dict[str, Any], tk: ToolkitEnv, base: str, channels: list[str],
                  job_name: str, hosts: list[str]) -> dict[str, Any]:
    keep = {k: v for k, v in env.items() if k not in ("channels", "hps", "user_args", "framework_params")}
    return {
        **keep, "additional_framework_parameters": tk.framework_params,
        "channel_input_dirs": {c: f"{base}/input/data/{c}" for c in channels},
        "distribution_hosts": [], "hyperparameters": tk.user_hps, "is_master": True,
        "is_modelparallel_enabled": None, "is_smddpmprun_installed": False,
        "is_smddprun_installed": False, "job_name": job_name, "master_hostname": hosts[0],
        "topology": None,
    }
