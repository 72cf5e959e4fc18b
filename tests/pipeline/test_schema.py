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
        "preprocessing", "baseline", "training", "tuning", "evaluation", "gate", "approval",
        "register", "create_model", "deploy", "batch_transform", "data_quality",
        "model_quality", "postprocessing", "notify"]
    assert schema["$defs"]["Training"]["additionalProperties"] is False
    json.dumps(schema)


def test_every_field_has_a_description_and_an_example() -> None:
    schema = json_schema()
    fields = [(name, key, prop) for name, block in [*schema["$defs"].items(), ("config", schema)]
              for key, prop in block.get("properties", {}).items()]
    assert len(fields) > 150
    undocumented = [f"{name}.{key}" for name, key, prop in fields
                    if not prop.get("description") or not prop.get("examples")]
    assert undocumented == []


def test_reference_lists_every_field_by_key_path() -> None:
    from sagestep.pipeline.reference import entries, lookup, render

    paths = [e.path for e in entries()]
    assert "stages.training.inputs.<name>.content_type" in paths
    assert "stages.preprocessing.inputs[].source" in paths
    (metric,) = lookup("gate.metric")
    assert metric.path == "stages.gate.metric" and metric.required
    assert "validation:error" in render(metric)
    assert [e.path for e in lookup("stages.gate")][:2] == ["stages.gate", "stages.gate.run"]
    assert lookup("no_such_field") == []
