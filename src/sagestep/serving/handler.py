"""What a serving process runs per request: the handler protocol and how one is chosen for a model.

A handler turns one /invocations request (body, Content-Type, Accept) into a :class:`Reply`.
Built-in algorithms bring their own (named in the built-ins table); framework images and
user code get a :class:`~sagestep.serving.user_module.ModuleHandler` with the inference
toolkit's model_fn/input_fn/predict_fn/output_fn rules.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sagestep.algorithms.reply import InvocationError, Reply

__all__ = [
    "Handler", "InvocationError", "Reply", "ServingSpec", "import_string", "load_handler"]


class Handler(Protocol):
    """The per-process inference logic behind /invocations."""

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Reply: ...

    def execution_parameters(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class ServingSpec:
    """Everything a serving process needs to build its handler, written as JSON next to it."""

    model_dir: str
    environment: Mapping[str, str] = field(default_factory=dict)
    # "module:function" of a built-in algorithm's handler factory; empty for user code.
    builtin_handler: str = ""
    # Framework whose defaults apply to user code: "sklearn", "xgboost" or "" (none).
    framework: str = ""
    code_dir: str = ""
    program: str = ""

    def to_json(self) -> str:
        """Serialise for the serving process."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ServingSpec:
        """Read what :meth:`to_json` wrote."""
        return cls(**json.loads(text))


def import_string(target: str) -> Any:
    """The attribute named by ``package.module:attribute``."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def load_handler(spec: ServingSpec) -> Handler:
    """Build the handler of ``spec`` (loads the model: call once per process)."""
    model_dir = Path(spec.model_dir)
    if spec.builtin_handler and not spec.program:
        factory = import_string(spec.builtin_handler)
        handler: Handler = factory(model_dir, spec.environment)
        return handler
    from sagestep.serving.user_module import ModuleHandler

    return ModuleHandler.load(spec)
