"""The sagestep pipeline: its config model, importers and the generic state machine compiler.

- ``pipeline.loader``: :func:`load_config` reads a sagestep YAML/JSON config, seed 000's
  DynamoDB item or seed 002's input.yaml -> :class:`LoadedConfig` with the normalised ``item``
  (typed model in ``pipeline.model`` and ``pipeline.blocks``, errors with file:line).
- ``pipeline.schema``: :func:`json_schema`, JSON Schema of the sagestep format.
- ``pipeline.item``: the stored item / execution input contract shared with router and ASL.
- ``pipeline.stages``: the canonical stage order (standard library only).
- ``pipeline.compile``: the generic state machine (stage builders in ``pipeline.generic`` and
  ``pipeline.decisions``, ``pipeline.control``) as ASL.
- ``pipeline.helper``: the helper Lambda the compiled machine calls (render, gate, retry,
  approval); standard library only.

This package's ``__init__`` imports nothing: the router Lambda's zip carries it together with
``pipeline.helper`` and ``pipeline.stages``, and must not pull in pydantic.
"""
