"""``python -m sagestep.algorithms.xgboost train|serve``: the container's two commands."""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    """Dispatch ``train`` or ``serve`` as the container's entry point does."""
    command = argv[0] if argv else ""
    if command == "train":
        from sagestep.algorithms.xgboost.train import main as train

        return train(argv[1:])
    if command == "serve":
        # The model server is another package (the data plane): start it as a program, as
        # the container's serve does, instead of importing it into the algorithm.
        argv = [sys.executable, "-m", "sagestep.serving.server", "--handler", "xgboost",
                *argv[1:]]
        os.execv(sys.executable, argv)
    print(f"usage: python -m sagestep.algorithms.xgboost train|serve (got {command!r})",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
