import re

import pytest

from sagestep.backends.local import LocalBackend
from sagestep.cli import options
from sagestep.cli.main import main
from tests.backends.test_local import DEFINITION, Registry, pipeline


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """Run `sagestep ARGS` against a LocalBackend with a small machine; (exit code, stdout, stderr)."""
    registry = Registry(pipeline(), pipeline("gated", approval=True))
    made = {}

    def factory(backend="local", home=None):
        if "b" not in made:
            made["b"] = LocalBackend(tmp_path / "ws", registry=registry, definition=DEFINITION)
        return made["b"]

    monkeypatch.setattr(options, "factory", factory)

    def run(*args):
        code = 0
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    run.backend = lambda: factory()
    yield run
    if "b" in made and "runtime" in made["b"].__dict__:
        made["b"].runtime.engine.close()


def normalise(text: str) -> str:
    """Replace run ids and durations, which differ per run, with fixed tokens."""
    text = re.sub(r"-[0-9a-f]{8}(?![0-9a-f-])", "-RUNID", text)
    return re.sub(r"\d+\.\ds\b", "N.Ns", text)
