"""Collected validation problems, each at a key path; formatted with file:line at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field

from sagestep.errors import SpecError
from sagestep.pipeline.document import Document, Loc, key_path


@dataclass
class Problems:
    """Problems found while normalising one config."""

    items: list[tuple[Loc, str]] = field(default_factory=list)

    def add(self, loc: Loc, message: str) -> None:
        """Record ``message`` at key path ``loc``."""
        self.items.append((tuple(loc), message))

    def raise_if_any(self, document: Document | None, path: str = "<config>") -> None:
        """Raise one SpecError listing every problem with file:line and key path."""
        if not self.items:
            return
        raise SpecError(format_problems(self.items, document, path))


def format_problems(items: list[tuple[Loc, str]], document: Document | None, path: str) -> str:
    """``file:line: key.path: message`` lines, the count first when there are several."""
    lines = []
    for loc, message in items:
        where = document.where(loc) if document else path
        lines.append(f"{where}: {key_path(loc)}: {message}")
    if len(lines) == 1:
        return lines[0]
    return f"{len(lines)} problems in the config:\n" + "\n".join(lines)
