"""Distributed Map ``ItemBatcher``: group the (selected) items into batch inputs.

https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
Each child then receives ``{"Items": [...], "BatchInput": ...}`` (``BatchInput`` only when set).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sagestep.asl.states import Map
from sagestep.engine import jsonata_eval, payload
from sagestep.engine.dataflow import MAX_PAYLOAD_BYTES, Vars, jsonata_env
from sagestep.engine.payload import Scope
from sagestep.engine.states_error import runtime


def batch_inputs(
    state: Map, items: Sequence[Any], raw_input: Any, ctx: Mapping[str, Any], variables: Vars
) -> list[Any]:
    """The iteration inputs of a Map with ``ItemBatcher`` (``items`` already selected)."""
    batcher: Mapping[str, Any] = state.item_batcher or {}
    max_items = _limit(state, batcher, "MaxItemsPerBatch", raw_input, ctx, variables)
    max_bytes = _limit(state, batcher, "MaxInputBytesPerBatch", raw_input, ctx, variables)
    if max_items is None and max_bytes is None:
        raise runtime("ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch.")
    batch_input = _batch_input(state, batcher, raw_input, ctx, variables)
    extra = {} if batch_input is None else {"BatchInput": batch_input}
    batches: list[list[Any]] = []
    size = 0
    for item in items:
        item_size = len(json.dumps(item, ensure_ascii=False).encode())
        full = batches and (
            (max_items is not None and len(batches[-1]) >= max_items)
            or (max_bytes is not None and size + item_size > max_bytes)
        )
        if not batches or full:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item_size
    return [{**extra, "Items": batch} for batch in batches]


def _limit(
    state: Map,
    batcher: Mapping[str, Any],
    field: str,
    raw_input: Any,
    ctx: Mapping[str, Any],
    variables: Vars,
) -> int | None:
    value = batcher.get(field)
    if state.jsonata and value is not None:
        value = jsonata_eval.render(value, jsonata_env(raw_input, ctx, variables), field)
    elif f"{field}Path" in batcher:
        scope = Scope(raw_input, ctx, variables)
        value = payload.resolve_field(batcher[f"{field}Path"], scope, f"{field}Path")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise runtime(f"The {field} field must be a positive integer, but was: {value!r}")
    return min(value, MAX_PAYLOAD_BYTES) if field == "MaxInputBytesPerBatch" else value


def _batch_input(
    state: Map, batcher: Mapping[str, Any], raw_input: Any, ctx: Mapping[str, Any], variables: Vars
) -> Any:
    template = batcher.get("BatchInput")
    if template is None:
        return None
    if state.jsonata:
        return jsonata_eval.render(template, jsonata_env(raw_input, ctx, variables), "BatchInput")
    return payload.render(template, Scope(raw_input, ctx, variables))
