"""Where the bundled examples and CI templates are, in a wheel or in a source checkout.

They live once, at the repository root (``examples/``, ``templates/``). A wheel carries a copy
in the package (``sagestep/examples``, ``sagestep/templates``; setup.py's build step puts it
there), so an installed ``sagestep`` finds them without the checkout. A source checkout (and
its editable install) reads the repository's own directories.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sagestep.errors import SagestepError

BUNDLED = ("examples", "templates")
REPO_ROOT = Path(__file__).resolve().parents[3]


def bundled_dir(name: str) -> Path:
    """The directory of bundled ``name`` ("examples" or "templates")."""
    if name not in BUNDLED:
        raise ValueError(f"not a bundled directory: {name!r}")
    for candidate in (_packaged(name), REPO_ROOT / name):
        if candidate is not None and candidate.is_dir():
            return candidate
    raise SagestepError(
        f"the bundled {name} are missing from this installation (looked in the sagestep "
        f"package and in {REPO_ROOT / name}); reinstall sagestep from its wheel or checkout"
    )


def _packaged(name: str) -> Path | None:
    # Installed wheels are plain files: the package's location is a real directory (a Path).
    root = resources.files("sagestep")
    return root / name if isinstance(root, Path) else None
