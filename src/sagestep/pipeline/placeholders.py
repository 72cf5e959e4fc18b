"""Placeholders resolved when a config is normalised, and the check of all the others.

``{{ defaults.<x> }}`` and ``{{ stages.<stage>.outputs.<name> }}`` are static, so they are
replaced here; run values are the router's (``sagestep.triggers.render``) and
``{{ state.model_data }}`` is the state machine's. Anything else is a typo: an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sagestep.pipeline.document import Loc
from sagestep.pipeline.problems import Problems
from sagestep.triggers.render import KNOWN, is_known

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")
RUNTIME = ("state.model_data",)


class Resolver:
    """Replaces static placeholders and reports unknown ones, at their key path."""

    def __init__(self, defaults: Mapping[str, Any], outputs: Mapping[str, Mapping[str, str]],
                 problems: Problems) -> None:
        self.defaults = defaults
        self.outputs = outputs
        self.problems = problems

    def resolve(self, value: Any, loc: Loc, reader: str) -> Any:
        """``value`` with static placeholders replaced, recursively."""
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: self._one(m, loc, reader), value)
        if isinstance(value, Mapping):
            return {k: self.resolve(v, (*loc, k), reader) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, (*loc, i), reader) for i, v in enumerate(value)]
        return value

    def _one(self, match: re.Match[str], loc: Loc, reader: str) -> str:
        name = match.group(1)
        head, _, rest = name.partition(".")
        if head == "defaults":
            found = self.defaults.get(rest)
            if found is None:
                known = ", ".join(k for k, v in self.defaults.items() if v is not None)
                self.problems.add(loc, f"{{{{ {name} }}}} is not set; defaults has: {known}")
                return match.group(0)
            return str(found)
        if head == "stages":
            return self._output(name, match.group(0), loc, reader)
        if name in RUNTIME or is_known(name):
            return match.group(0)
        self.problems.add(loc, f"unknown placeholder {{{{ {name} }}}}; run values are: "
                          f"{', '.join(KNOWN)}; also defaults.<x>, stages.<stage>.outputs.<name>")
        return match.group(0)

    def _output(self, name: str, original: str, loc: Loc, reader: str) -> str:
        parts = name.split(".")
        if len(parts) != 4 or parts[2] != "outputs":
            self.problems.add(loc, f"{{{{ {name} }}}}: write stages.<stage>.outputs.<output name>")
            return original
        stage, output = parts[1], parts[3]
        if stage not in self.outputs:
            writers = ", ".join(sorted(self.outputs)) or "none"
            self.problems.add(loc, f"stage '{reader}' reads '{stage}.outputs.{output}' but "
                              f"'{stage}' writes no outputs here (stages with outputs: {writers})")
            return original
        written = self.outputs[stage]
        if output not in written:
            self.problems.add(loc, f"stage '{reader}' reads '{stage}.outputs.{output}' but {stage} "
                              f"writes only: {', '.join(written) or 'nothing'}")
            return original
        return written[output]
