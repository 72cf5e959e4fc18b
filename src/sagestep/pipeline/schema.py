"""The JSON Schema of the sagestep pipeline config, for editors and for `sagestep schema`.

A copy is checked in next to this module (``pipeline.schema.json``); a test keeps it equal
to :func:`json_schema` so editors pointed at the file see the current model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagestep.pipeline.model import PipelineConfig

SCHEMA_FILE = Path(__file__).with_name("pipeline.schema.json")
SCHEMA_ID = "https://sagestep.dev/schema/pipeline.schema.json"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a pipeline config file."""
    schema = PipelineConfig.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    """The schema as the checked-in file spells it."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(path: Path = SCHEMA_FILE) -> Path:
    """Write the schema file (``python -m sagestep.pipeline.schema`` regenerates the copy)."""
    path.write_text(schema_text(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover
    print(write_schema())
