"""Where a built-in algorithm finds its inputs: the /opt/ml tree, or the paths the runner mapped.

Inside the bubblewrap sandbox everything is at /opt/ml. Without it the runner sets
``SAGEMAKER_BASE_DIR`` (honoured by the AWS toolkits too) and the ``SM_*`` variables, so
the same program runs unchanged in both modes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagestep.algorithms.failure import UserError

DEFAULT_BASE = "/opt/ml"


@dataclass(frozen=True)
class ContainerPaths:
    """The training container's directories, resolved from the environment."""

    base: Path
    config_dir: Path
    model_dir: Path
    output_dir: Path
    channel_dirs: Mapping[str, Path]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ContainerPaths:
        """Resolve from ``SAGEMAKER_BASE_DIR``/``SM_*`` (default /opt/ml)."""
        env = os.environ if environ is None else environ
        base = Path(env.get("SAGEMAKER_BASE_DIR") or DEFAULT_BASE)
        channels = {
            key[len("SM_CHANNEL_"):].lower(): Path(value)
            for key, value in env.items() if key.startswith("SM_CHANNEL_")
        }
        return cls(
            base=base,
            config_dir=Path(env.get("SM_INPUT_CONFIG_DIR") or base / "input" / "config"),
            model_dir=Path(env.get("SM_MODEL_DIR") or base / "model"),
            output_dir=Path(env.get("SM_OUTPUT_DIR") or base / "output"),
            channel_dirs=channels,
        )

    def channel_dir(self, name: str) -> Path:
        """The directory holding channel ``name``'s files."""
        return self.channel_dirs.get(name, self.base / "input" / "data" / name)

    def read_config(self, filename: str) -> dict[str, Any]:
        """One of the platform's JSON config files ({} when absent, UserError when invalid)."""
        path = self.config_dir / filename
        if not path.exists():
            return {}
        try:
            value = json.loads(path.read_text() or "{}")
        except json.JSONDecodeError as exc:
            raise UserError(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise UserError(f"{path} must hold a JSON object")
        return value
