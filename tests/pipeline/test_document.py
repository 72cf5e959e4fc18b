from __future__ import annotations

import pytest

from sagestep.errors import SpecError
from sagestep.pipeline.document import key_path, parse_document

TEXT = """\
name: demo
stages:
  training:
    inputs:
      - a
      - b
    run: true
"""


def test_lines_are_recorded_per_key_path() -> None:
    doc = parse_document(TEXT, "p.yaml")
    assert doc.data["stages"]["training"]["run"] is True
    assert doc.line(("name",)) == 1
    assert doc.line(("stages", "training", "run")) == 7
    assert doc.line(("stages", "training", "inputs", 1)) == 6
    # an unknown child falls back to its nearest ancestor
    assert doc.where(("stages", "training", "nope")) == "p.yaml:3"


def test_key_path_spelling() -> None:
    assert key_path(("stages", "training", "inputs", 0, "uri")) == "stages.training.inputs[0].uri"
    assert key_path(()) == "(top level)"


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(SpecError, match=r"p\.yaml:3: not valid YAML/JSON"):
        parse_document("a: 1\nb: [1, 2\nc: 3\n", "p.yaml")


def test_json_file_must_be_json() -> None:
    with pytest.raises(SpecError, match=r"p\.json.*not valid JSON"):
        parse_document("# comment\n{\"a\": 1}\n", "p.json")
