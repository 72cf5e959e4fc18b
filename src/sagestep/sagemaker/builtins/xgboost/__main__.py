"""``python -m sagestep.sagemaker.builtins.xgboost train|serve``: the container's two commands."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    """Dispatch ``train`` or ``serve`` as the container's entry point does."""
    command = argv[0] if argv else ""
    if command == "train":
        from sagestep.sagemaker.builtins.xgboost.train import main as train

        return train(argv[1:])
    if command == "serve":
        from sagestep.serving.server import main as serve

        return serve(["--handler", "xgboost", *argv[1:]])
    print(f"usage: python -m sagestep.sagemaker.builtins.xgboost train|serve (got {command!r})",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
