"""User inference code (``inference.py``) under the inference toolkit's rules, with framework defaults.

The module is ``SAGEMAKER_PROGRAM`` (default ``inference.py``) from the code dir
(``SAGEMAKER_SUBMIT_DIRECTORY`` or ``<model_dir>/code``). Its optional ``model_fn``,
``input_fn``, ``predict_fn``, ``output_fn`` or ``transform_fn`` replace the framework's
defaults; ``transform_fn`` together with any of the other three is an error; a trailing
``context`` parameter is passed when the function declares it.
[src: sagemaker_inference/transformer.py; sagemaker_containers/_transformer.py]
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from sagestep.errors import ServiceError
from sagestep.serving import codecs
from sagestep.serving.handler import InvocationError, Reply, ServingSpec

_PARAMS = {"model_fn": 1, "input_fn": 2, "predict_fn": 2, "output_fn": 2, "transform_fn": 4}


@dataclass(frozen=True)
class Context:
    """The ``context`` argument of handler functions that ask for one."""

    model_dir: str
    system_properties: dict[str, Any] = field(default_factory=dict)


def import_program(code_dir: Path, program: str) -> ModuleType:
    """Import the user's module from ``code_dir`` (which also goes on sys.path for its imports)."""
    path = code_dir / program
    if not path.is_file():
        raise ServiceError(
            f"inference code {program!r} not found in {code_dir}: set SAGEMAKER_PROGRAM to a file "
            "of the source tarball (SAGEMAKER_SUBMIT_DIRECTORY) or ship code/<program> inside "
            "model.tar.gz"
        )
    sys.path.insert(0, str(code_dir))
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ServiceError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _bind(function: Callable[..., Any] | None, name: str, context: Context) -> Any:
    """``function`` called with ``context`` appended when it declares the extra parameter."""
    if function is None:
        return None
    try:
        count = len(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        count = _PARAMS[name]
    if count > _PARAMS[name]:
        return lambda *args: function(*args, context)
    return function


class ModuleHandler:
    """/invocations through user functions, falling back to the framework's defaults."""

    def __init__(self, model: Any, functions: dict[str, Any], framework: str,
                 default_accept: str) -> None:
        self.model = model
        self.transform_fn = functions.get("transform_fn")
        self.input_fn = functions.get("input_fn") or self._default_input
        self.predict_fn = functions.get("predict_fn") or self._default_predict
        self.output_fn = functions.get("output_fn") or codecs.encode
        self.framework = framework
        self.default_accept = default_accept

    @classmethod
    def load(cls, spec: ServingSpec) -> ModuleHandler:
        """Import the user module (if any) and call its model_fn once."""
        env = spec.environment
        program = spec.program or env.get("SAGEMAKER_PROGRAM", "")
        code_dir = Path(spec.code_dir) if spec.code_dir else Path(spec.model_dir) / "code"
        if not program and (code_dir / "inference.py").is_file():
            program = "inference.py"
        module = import_program(code_dir, program) if program else None
        context = Context(spec.model_dir, {"model_dir": spec.model_dir, "gpu_id": None})
        functions = {
            name: _bind(getattr(module, name, None), name, context) for name in _PARAMS
        }
        overridden = [n for n in ("input_fn", "predict_fn", "output_fn") if functions[n]]
        if functions["transform_fn"] and overridden:
            raise ServiceError(
                f"{program} defines transform_fn and {', '.join(overridden)}: define either "
                "transform_fn or input_fn/predict_fn/output_fn, not both"
            )
        model_fn = functions["model_fn"] or _default_model_fn(spec.framework, program)
        model = model_fn(spec.model_dir)
        accept = env.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or codecs.JSON
        return cls(model, functions, spec.framework, accept)

    def execution_parameters(self) -> dict[str, Any] | None:
        """No advice: batch transform uses the request's or AWS's defaults."""
        return None

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Reply:
        """Run the toolkit's pipeline; exceptions of user code become 500 with the traceback."""
        ctype = content_type or codecs.JSON
        chosen = codecs.choose_accept(accept, self.default_accept)
        data: Any = body.decode("utf-8") if codecs.base_type(ctype) in codecs.TEXT_TYPES else body
        try:
            if self.transform_fn is not None:
                result = self.transform_fn(self.model, data, ctype, chosen)
            else:
                decoded = self.input_fn(data, ctype)
                result = self.output_fn(self.predict_fn(decoded, self.model), chosen)
        except InvocationError:
            raise
        except Exception as exc:
            raise InvocationError(500, f"{exc}\n{traceback.format_exc()}") from exc
        if isinstance(result, tuple):
            payload, chosen = result[0], str(result[1])
        else:
            payload = result
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        return Reply(bytes(payload), chosen)

    def _default_input(self, data: Any, content_type: str) -> Any:
        array = codecs.decode(data, content_type)
        if codecs.base_type(content_type) in codecs.TEXT_TYPES:
            # The scikit-learn container casts JSON/CSV input to float32 and makes a 1-D
            # input one row, so a single CSV line predicts.
            array = array.astype(np.float32)
            if array.ndim == 1:
                array = array.reshape(1, -1)
        return array

    def _default_predict(self, data: Any, model: Any) -> Any:
        # A Booster was loaded with xgboost, so it is imported then; never import it for other
        # models: the scikit-learn image's environment has no xgboost.
        xgb = sys.modules.get("xgboost")
        if xgb is not None and isinstance(model, xgb.Booster):
            return model.inplace_predict(data, validate_features=False)
        return model.predict(data)


def _default_model_fn(framework: str, program: str) -> Callable[[str], Any]:
    if framework == "xgboost":
        from sagestep.algorithms.xgboost.serve import load_boosters

        return lambda model_dir: load_boosters(Path(model_dir))[0]
    where = f" in {program}" if program else " (no inference program found)"
    raise ServiceError(
        f"model_fn is not defined{where}: the scikit-learn container has no default model_fn; "
        "define model_fn(model_dir) returning your model, e.g. "
        "joblib.load(os.path.join(model_dir, 'model.joblib'))"
    )
