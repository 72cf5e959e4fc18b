from __future__ import annotations

import json

from sagestep.pipeline.schema import SCHEMA_FILE, json_schema, schema_text


def test_checked_in_schema_is_current() -> None:
    # Regenerate with: python -m sagestep.pipeline.schema
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()


def test_schema_describes_the_config() -> None:
    schema = json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    props = schema["properties"]
    assert {"name", "defaults", "triggers", "stages"} <= set(props)
    stages = schema["$defs"]["Stages"]["properties"]
    assert list(stages) == [
        "preprocessing", "training", "tuning", "evaluation", "gate", "approval", "register",
        "create_model", "deploy", "batch_transform", "postprocessing", "notify"]
    assert schema["$defs"]["Training"]["additionalProperties"] is False
    json.dumps(schema)
