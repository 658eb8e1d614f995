"""``fleetform synth``: write Terraform JSON for every application, exactly like ``cdktf synth``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fleetform.cli._app import ConfigOption, app, err, fail, out, print_issues
from fleetform.errors import FleetformError


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
        raise fail(exc) from None
    print_issues(result.warnings)
    table = Table("stack", "file", title=None, box=None)
    for stack in result.stacks:
        table.add_row(stack, str(result.stack_file(stack)))
    out.print(table)
    err.print(
        f"synthesized {len(result.stacks)} stacks in {time.perf_counter() - started:.2f} s", style="green"
    )
