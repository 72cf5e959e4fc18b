"""Pipeline configs: the typed model, loading with file:line errors, importers, the item.

- :func:`load_config` (``spec.loader``): a sagestep YAML/JSON config, seed 000's DynamoDB
  item or seed 002's input.yaml -> :class:`LoadedConfig` with the normalised ``item``.
- :func:`json_schema` (``spec.schema``): JSON Schema of the sagestep format.
- ``spec.item``: the stored item / execution input contract shared with router and ASL.
"""

from sagestep.spec.loader import LoadedConfig, detect, load_config, parse_config
from sagestep.spec.model import PipelineConfig
from sagestep.spec.schema import json_schema

__all__ = ["LoadedConfig", "PipelineConfig", "detect", "json_schema", "load_config", "parse_config"]
