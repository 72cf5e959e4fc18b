"""The `sagestep` command: a thin Typer layer over the library.

Each command group lives in its own module exposing ``register(app)``; this module only
assembles them and maps sagestep errors to exit codes (no tracebacks for user errors).
"""

from __future__ import annotations

import os
import sys

import typer
from botocore.exceptions import ClientError
from rich.console import Console
from rich.text import Text

from sagestep.errors import SagestepError

app = typer.Typer(
    name="sagestep",
    help="Reusable SageMaker MLOps pipelines: one config, one state machine, local or AWS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # -h as well as --help; click hands help_option_names down to every subcommand's context.
    context_settings={"help_option_names": ["-h", "--help"]},
    # Help text is printed as written: no Rich markup (docstrings mention [brackets]).
    rich_markup_mode=None,
)

_GROUPS = (
    "sagestep.cli.pipeline",
    "sagestep.cli.configs",
    "sagestep.cli.sfn",
    "sagestep.cli.sqs",
    "sagestep.cli.sagemaker",
    "sagestep.cli.server",
    "sagestep.cli.api",
    "sagestep.cli.control",
    "sagestep.cli.capacity",
    "sagestep.cli.aws",
    "sagestep.cli.monitor",
    "sagestep.cli.ui",
    "sagestep.cli.images",
)


def _print_version(value: bool) -> None:
    if value:
        from sagestep import __version__

        typer.echo(f"sagestep {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    _version: bool = typer.Option(
        False, "--version", "-V", callback=_print_version, is_eager=True,
        help="Print the sagestep version and exit.",
    ),
) -> None:
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

err_console = Console(stderr=True, soft_wrap=True, highlight=False, markup=False)


def _error(message: str) -> None:
    """``error: MESSAGE`` on stderr; the message is plain text (AWS messages hold brackets)."""
    err_console.print(Text("error: ", style="bold red") + Text(message))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning sagestep and AWS errors into messages and exit codes."""
    try:
        # standalone_mode=False makes click return (not raise) the code of typer.Exit(n).
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except SagestepError as exc:
        _error(str(exc))
        sys.exit(exc.exit_code)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        _error(f"{err.get('Code')}: {err.get('Message')}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)
    except Exception as exc:
        # A bug, not bad input; still one line for the user, the traceback on request.
        if os.environ.get("SAGESTEP_DEBUG"):
            raise
        err_console.print(
            Text("internal error: ", style="bold red")
            + Text(f"{type(exc).__name__}: {exc}\nThis is a sagestep bug: rerun with "
                   "SAGESTEP_DEBUG=1 for the traceback and report it.")
        )
        sys.exit(70)  # EX_SOFTWARE


if __name__ == "__main__":
    main()
