"""The package map holds: imports point one way, as docs/architecture.md's layer table says.

The table is read from the document itself (the fenced ``layers`` block), so the map and
this check cannot drift apart. Every ``import`` in src/sagestep counts, including those
inside functions and under ``TYPE_CHECKING``: a type reference is a dependency too.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "sagestep"
DOC = ROOT / "docs" / "architecture.md"
MAX_LINES = 400


@dataclass
class Layers:
    """The parsed ``layers`` block: tiers (top first), same-tier uses, narrower rules."""

    tier: dict[str, int] = field(default_factory=dict)
    uses: dict[str, set[str]] = field(default_factory=dict)
    only: dict[str, set[str]] = field(default_factory=dict)
    third_party: dict[str, set[str]] = field(default_factory=dict)


def parse_layers(text: str) -> Layers:
    """The ``layers`` fenced block of ``text`` (docs/architecture.md)."""
    start = text.index("```layers\n") + len("```layers\n")
    block = text[start:text.index("```", start)]
    layers, tiers = Layers(), 0
    for raw in block.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, _, rest = line.partition(":")
        kind, _, name = head.partition(" ")
        names = set(rest.split())
        if kind == "tier":
            for package in names:
                assert package not in layers.tier, f"{package} is in two tiers"
                layers.tier[package] = tiers
            tiers += 1
        elif kind == "uses":
            layers.uses[name] = names
        elif kind == "only":
            layers.only[name] = names
        elif kind == "third-party":
            layers.third_party[name] = names
        else:
            raise AssertionError(f"layers block: cannot read {raw!r}")
    for package, used in layers.uses.items():
        for other in used:
            assert layers.tier.get(other) == layers.tier.get(package), (
                f"uses {package}: {other} is not in its tier (tiers already order them)")
            assert package not in layers.uses.get(other, set()), (
                f"{package} and {other} may not use each other both ways")
    return layers


def _unit(module: str) -> str:
    """``sagestep.engine.worker`` -> ``engine``; ``sagestep.local`` -> ``local``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in ``path``, relative imports resolved."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
    return found


def violations(root: Path, layers: Layers) -> list[str]:
    """Every import under ``root`` (a ``sagestep`` source tree) that the table forbids."""
    stdlib = set(sys.stdlib_module_names)
    bad = []
    for path in sorted(root.rglob("*.py")):
        unit = _unit(_module_name(path, root))
        if unit == "":
            continue  # sagestep/__init__.py
        where = path.relative_to(root.parent)
        if unit not in layers.tier:
            bad.append(f"{where}: package {unit!r} is not in the layer table of "
                       "docs/architecture.md; add it to a tier")
            continue
        for line, target in imports_of(path, root):
            top = target.split(".")[0]
            if top != "sagestep":
                allowed = layers.third_party.get(unit)
                if allowed is not None and top not in stdlib and top not in allowed:
                    bad.append(f"{where}:{line}: {unit} may use only {sorted(allowed)} "
                               f"outside the standard library, not {target}")
                continue
            other = _unit(target)
            if other in ("", unit):
                continue
            reason = _forbidden(unit, other, layers)
            if reason:
                bad.append(f"{where}:{line}: imports {target}: {reason}")
    return bad


def _forbidden(unit: str, other: str, layers: Layers) -> str | None:
    if unit in layers.only:
        return None if other in layers.only[unit] else (
            f"{unit} may import only {sorted(layers.only[unit])}")
    if other not in layers.tier:
        return f"{other!r} is not in the layer table"
    mine, theirs = layers.tier[unit], layers.tier[other]
    if theirs > mine or other in layers.uses.get(unit, set()):
        return None
    if theirs == mine:
        return (f"{unit} and {other} share a tier and the table has no 'uses {unit}: {other}'")
    return f"{other} sits above {unit} (imports must point down the table)"


def test_imports_point_the_way_the_map_says() -> None:
    bad = violations(SOURCE, parse_layers(DOC.read_text(encoding="utf-8")))
    assert bad == [], "imports against docs/architecture.md:\n" + "\n".join(bad)


def test_no_module_is_over_400_lines() -> None:
    long = {str(p.relative_to(SOURCE)): n for p in sorted(SOURCE.rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"split these by concept (limit {MAX_LINES} lines): {long}"


def test_every_package_is_in_the_table() -> None:
    layers = parse_layers(DOC.read_text(encoding="utf-8"))
    units = {p.stem if p.is_file() else p.name for p in SOURCE.iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"}
    units.discard("__init__")
    assert units - set(layers.tier) == set()


# --- the checker itself: a tree with imports that point the wrong way must fail ---------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "sagestep"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.parent != root and not (path.parent / "__init__.py").exists():
            (path.parent / "__init__.py").write_text("")
        path.write_text(text)
    return root


@pytest.fixture(scope="module")
def layers() -> Layers:
    return parse_layers(DOC.read_text(encoding="utf-8"))


def test_checker_accepts_imports_that_point_down(tmp_path: Path, layers: Layers) -> None:
    root = _tree(tmp_path, {
        "local.py": "from sagestep.engine import service\n",
        "engine/worker.py": "from sagestep.asl import parse\nfrom . import service\n",
        "engine/service.py": "import sqlite3\n",
        "serving/endpoints.py": "from sagestep.sagemaker.process import alive\n",
    })
    assert violations(root, layers) == []


@pytest.mark.parametrize(("name", "text", "expected"), [
    # the engine below the facade reaching up into it (issue 12)
    ("engine/worker.py", "def f():\n    from sagestep.local import runtime\n", "sits above"),
    # control plane importing the data plane (serving imports sagemaker, not the reverse)
    ("sagemaker/endpoints_api.py", "from sagestep.serving.endpoints import X\n", "share a tier"),
    # hidden from the runtime, still a dependency
    ("sagemaker/x.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                       "    from sagestep.serving import fleet\n", "share a tier"),
    # a relative import that climbs out of the package
    ("asl/parse.py", "from ..pipeline import compile\n", "sits above"),
    ("ui/app.py", "from sagestep.cli import main\n", "sits above"),
    ("monitor/stats.py", "from sagestep.stores import sqlite\n", "may import only"),
    ("monitor/drift.py", "import boto3\n", "outside the standard library"),
    ("newpkg/x.py", "", "not in the layer table"),
])
def test_checker_rejects_a_wrong_way_import(tmp_path: Path, layers: Layers, name: str,
                                            text: str, expected: str) -> None:
    found = violations(_tree(tmp_path, {name: text}), layers)
    assert found and all(expected in f for f in found), found


def test_table_rejects_mutual_uses() -> None:
    with pytest.raises(AssertionError, match="both ways"):
        parse_layers("```layers\ntier a: x y\nuses x: y\nuses y: x\n```\n")
