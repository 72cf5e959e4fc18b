"""Lambda deployment zips for the router and the notifier (``sagestep package-lambda``).

A zip holds the handler module and, transitively, every ``sagestep`` module it imports (found
by reading the ``import`` statements, so the zip follows the code as it changes), plus the
package ``__init__.py`` files on the way. Nothing else: the Lambda Python runtime already
has boto3. Entries are sorted and stamped with a fixed date, so the same sources give the
same bytes and Terraform's ``source_code_hash`` changes only when the code does.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import sagestep
from sagestep.errors import BackendError

PACKAGE_ROOT = Path(sagestep.__file__).resolve().parent
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold

# Zip name -> (handler module, handler attribute, other handler modules in the same zip).
# The router zip also serves the helper Lambda the compiled state machine calls.
LAMBDAS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "router": ("sagestep.triggers.router", "handler", ("sagestep.pipeline.helper",)),
    "notify": ("sagestep.triggers.notify", "handler", ()),
}


@dataclass(frozen=True)
class LambdaZip:
    """One built zip: where it is, what it holds, and Terraform's hash of it."""

    name: str
    path: Path
    handler: str
    modules: tuple[str, ...]
    size: int
    sha256_base64: str


def module_file(module: str) -> Path:
    """The source file of a ``sagestep`` module inside this installation."""
    parts = module.split(".")[1:]
    base = PACKAGE_ROOT.joinpath(*parts)
    if base.is_dir():
        return base / "__init__.py"
    candidate = base.with_suffix(".py")
    if not candidate.is_file():
        raise BackendError(f"cannot package module {module!r}: {candidate} does not exist")
    return candidate


def _imports(module: str) -> set[str]:
    """``sagestep`` modules imported anywhere in ``module`` (top level or inside functions)."""
    path = module_file(module)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            # `from sagestep.triggers import names` imports a submodule, not an attribute.
            found.update(f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}"))
    return {m for m in found if m == "sagestep" or m.startswith("sagestep.")}


def _is_module(name: str) -> bool:
    if not name.startswith("sagestep."):
        return False
    base = PACKAGE_ROOT.joinpath(*name.split(".")[1:])
    return base.is_dir() or base.with_suffix(".py").is_file()


def closure(*roots: str) -> tuple[str, ...]:
    """The ``roots`` and every sagestep module they need, with their parent packages, sorted."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        parts = current.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_imports(current))
    return tuple(sorted(seen))


def build(name: str, out_dir: Path) -> LambdaZip:
    """Write ``<out_dir>/<name>.zip`` for the Lambda ``name`` (router or notify)."""
    if name not in LAMBDAS:
        raise BackendError(f"unknown Lambda {name!r}; sagestep packages: {', '.join(LAMBDAS)}")
    module, attribute, others = LAMBDAS[name]
    modules = closure(module, *others)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.zip"
    entries = sorted({module_file(m) for m in modules})
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for file in entries:
            arcname = file.relative_to(PACKAGE_ROOT.parent).as_posix()
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, file.read_bytes())
    digest = base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
    return LambdaZip(
        name=name,
        path=path,
        handler=f"{module}.{attribute}",
        modules=modules,
        size=path.stat().st_size,
        sha256_base64=digest,
    )


def build_all(out_dir: Path) -> list[LambdaZip]:
    """Build every sagestep Lambda zip into ``out_dir``."""
    return [build(name, out_dir) for name in LAMBDAS]
