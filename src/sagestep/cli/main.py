"""The `sagestep` command: a thin Typer layer over the library.

Each command group lives in its own module exposing ``register(app)``; this module only
assembles them and maps sagestep errors to exit codes (no tracebacks for user errors).
"""

from __future__ import annotations

import sys

import typer
from botocore.exceptions import ClientError
from rich.console import Console

from sagestep.errors import SagestepError

app = typer.Typer(
    name="sagestep",
    help="Reusable SageMaker MLOps pipelines: one config, one state machine, local or AWS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_GROUPS = (
    "sagestep.cli.pipeline",
    "sagestep.cli.sfn",
    "sagestep.cli.sagemaker",
    "sagestep.cli.server",
    "sagestep.cli.aws",
)


@app.callback()
def _root() -> None:
    """Reusable SageMaker MLOps pipelines: one config, one state machine, local or AWS."""


@app.command()
def version() -> None:
    """Print the sagestep version."""
    from sagestep import __version__

    typer.echo(__version__)


def _assemble() -> None:
    import importlib

    for name in _GROUPS:
        importlib.import_module(name).register(app)


_assemble()

err_console = Console(stderr=True, soft_wrap=True, highlight=False)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning sagestep and AWS errors into messages and exit codes."""
    try:
        # standalone_mode=False makes click return (not raise) the code of typer.Exit(n).
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except SagestepError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        sys.exit(exc.exit_code)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        err_console.print(
            f"[bold red]error:[/] {err.get('Code')}: {err.get('Message')}", highlight=False
        )
        sys.exit(1)
    except SystemExit:
        raise
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
