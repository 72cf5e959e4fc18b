"""Hypothesis-fuzzed configs never crash validation, and every error names a key path."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagestep.errors import SpecError
from sagestep.pipeline.loader import parse_config

KEYS = st.sampled_from([
    "name", "stages", "training", "preprocessing", "gate", "deploy", "run", "inputs", "outputs",
    "image", "algorithm", "framework", "script", "metric", "threshold", "request", "x", "defaults",
    "bucket", "notify", "topic_arn", "hyperparameters", "instance_count", "evaluation", "mode",
])
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 70), st.text(max_size=12),
                   st.sampled_from(["xgboost", "sklearn", "{{ run.id }}", "{{ nope }}", "Y", "N",
                                    "s3://b/k", "manual", "ml.m5.large"]))
TREES = st.recursive(LEAVES, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.dictionaries(KEYS, kids, max_size=4)), max_leaves=25)
# "file[:line]: key.path: message" (the key path may be "(top level)")
LINE = re.compile(r"^fuzz\.yaml(:\d+)?: (\(top level\)|[A-Za-z_][\w.\[\]-]*): \S")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, TREES, max_size=5), st.booleans())
def test_fuzzed_configs_fail_cleanly(data: dict[str, Any], named: bool) -> None:
    if named:
        data["name"] = "fuzz"
    text = yaml.safe_dump(data)
    try:
        parse_config(text, "fuzz.yaml")
    except SpecError as exc:
        lines = str(exc).splitlines()
        if len(lines) > 1:
            assert re.match(r"^\d+ problems in the config:$", lines[0]), lines[0]
            lines = lines[1:]
        for line in lines:
            assert LINE.match(line) or "not valid YAML" in line, line


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(data: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    if not path:
        return new
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if delete and isinstance(parent, dict):
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = new
    return data


BASE = yaml.safe_load(
    (__import__("pathlib").Path(__file__).parent / "fixtures" / "diabetes.yaml").read_text())


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10_000), TREES, st.booleans()), min_size=1, max_size=3))
def test_mutated_valid_configs_fail_cleanly(mutations: list[tuple[int, Any, bool]]) -> None:
    import copy

    data = copy.deepcopy(BASE)
    for index, new, delete in mutations:
        paths = _paths(data)[1:] or [()]
        data = _mutate(data, paths[index % len(paths)], new, delete)
    try:
        parse_config(yaml.safe_dump(data), "fuzz.yaml")
    except SpecError as exc:
        lines = str(exc).splitlines()
        if len(lines) > 1:
            lines = lines[1:]
        for line in lines:
            assert LINE.match(line) or "not valid YAML" in line, line


SEEDS = {
    "seed000_item.json": __import__("json").loads(
        (__import__("pathlib").Path(__file__).parent / "fixtures" / "seed000_item.json").read_text()),
    "seed002_input.yaml": yaml.safe_load(
        (__import__("pathlib").Path(__file__).parent / "fixtures" / "seed002_input.yaml").read_text()),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SEEDS)),
       st.lists(st.tuples(st.integers(0, 10_000), TREES, st.booleans()), min_size=1, max_size=3))
def test_mutated_seed_configs_fail_cleanly(seed: str, mutations: list[tuple[int, Any, bool]]) -> None:
    import copy

    data = copy.deepcopy(SEEDS[seed])
    for index, new, delete in mutations:
        paths = _paths(data)[1:] or [()]
        data = _mutate(data, paths[index % len(paths)], new, delete)
    try:
        parse_config(yaml.safe_dump(data), "fuzz.yaml")
    except SpecError as exc:
        lines = str(exc).splitlines()
        if len(lines) > 1:
            lines = lines[1:]
        for line in lines:
            assert LINE.match(line) or "not valid YAML" in line, line
