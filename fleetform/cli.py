"""The ``fleetform`` command line (Typer + Rich). The only module that prints or sets exit codes."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fleetform import __version__
from fleetform.errors import FleetformError, InputError, Issue

app = typer.Typer(
    help="Fleet Manager application manifests -> Terraform for Scale Computing HyperCore (via cdktf).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Site configuration file. [default: ./fleetform.yaml]"),
]


def _print_issues(issues: list[Issue]) -> None:
    for issue in issues:
        style = "red" if issue.is_error else "yellow"
        err.print(str(issue), style=style, markup=False)


def _fail(exc: FleetformError) -> typer.Exit:
    if isinstance(exc, InputError):
        _print_issues(exc.issues)
        count = sum(1 for i in exc.issues if i.is_error)
        err.print(f"{count} error{'s' if count != 1 else ''}; nothing was written.", style="red")
    else:
        err.print(f"error: {exc}", style="red", markup=False)
    return typer.Exit(1)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(f"fleetform {__version__}")
        raise typer.Exit(0)


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Manifest files or directories. [default: manifests/]")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Also report what Fleet Manager's published schema rejects.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Check manifests against the manifest format and the site configuration."""
    from fleetform.app import load_inputs
    from fleetform.manifest.strict import strict_issues

    try:
        inputs = load_inputs(paths or [Path("manifests")], config)
    except FleetformError as exc:
        raise _fail(exc) from None
    findings = list(inputs.warnings)
    if strict:
        for lm in inputs.manifests:
            findings.extend(strict_issues(lm))
    _print_issues(findings)
    errors = sum(1 for i in findings if i.is_error)
    vms = sum(len(lm.application.spec.resources) for lm in inputs.manifests)
    if errors:
        err.print(f"{errors} error{'s' if errors != 1 else ''} (strict).", style="red")
        raise typer.Exit(1)
    err.print(f"ok: {len(inputs.manifests)} applications, {vms} VMs", style="green")


@app.command()
def synth(
    manifests: Annotated[
        list[Path] | None,
        typer.Option("--manifests", "-m", help="Manifest files or directories. [default: manifests/]"),
    ] = None,
    outdir: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("cdktf.out"),
    config: ConfigOption = None,
) -> None:
    """Synthesize Terraform JSON: OUT/stacks/<application>/cdk.tf.json, exactly like `cdktf synth`."""
    from fleetform.synth import synthesize

    started = time.perf_counter()
    try:
        result = synthesize(manifests or [Path("manifests")], config_path=config, outdir=outdir)
    except FleetformError as exc:
        raise _fail(exc) from None
    _print_issues(result.warnings)
    table = Table("stack", "file", title=None, box=None)
    for stack in result.stacks:
        table.add_row(stack, str(result.stack_file(stack)))
    out.print(table)
    err.print(
        f"synthesized {len(result.stacks)} stacks in {time.perf_counter() - started:.2f} s", style="green"
    )


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted", style="red")
        sys.exit(130)
