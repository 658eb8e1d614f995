"""The ``fleetform`` Typer app, its consoles and the helpers every command shares.

Commands live in one module each under ``fleetform/cli/`` and register on :data:`app`. The CLI is the only
layer that prints or sets exit codes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fleetform import __version__
from fleetform.errors import FleetformError, InputError, Issue

app = typer.Typer(
    help="Fleet Manager application manifests -> Terraform for Scale Computing HyperCore (via cdktf).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (CI logs, `| less`) would otherwise be cut to 80 columns, truncating tables.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
out = Console(width=_WIDTH, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Site configuration file. [default: ./fleetform.yaml]"),
]
ManifestsOption = Annotated[
    list[Path] | None,
    typer.Option("--manifests", "-m", help="Manifest files or directories. [default: manifests/]"),
]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Synth output directory.")]
AllowDataLossOption = Annotated[
    bool,
    typer.Option(
        "--allow-data-loss",
        help="Let this run destroy or replace data disks (disks without a boot index); refused otherwise.",
    ),
]


def print_issues(issues: list[Issue]) -> None:
    """Print located issues to stderr: errors in red, warnings in yellow."""
    for issue in issues:
        style = "red" if issue.is_error else "yellow"
        err.print(str(issue), style=style, markup=False)


def fail(exc: FleetformError) -> typer.Exit:
    """Report ``exc`` on stderr; the Exit (code 1) for the caller to raise."""
    if isinstance(exc, InputError):
        print_issues(exc.issues)
        count = sum(1 for i in exc.issues if i.is_error)
        err.print(f"{count} error{'s' if count != 1 else ''}; nothing was written.", style="red")
    else:
        err.print(f"error: {exc}", style="red", markup=False)
    return typer.Exit(1)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"fleetform {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help())
        raise typer.Exit(2)
