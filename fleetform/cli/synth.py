"""``fleetform synth``: write Terraform JSON for every application, exactly like ``cdktf synth``."""

from __future__ import annotations

import time
from pathlib import Path

from rich.table import Table

from fleetform.cli._app import (
    AllowDataLossOption,
    ConfigOption,
    ManifestsOption,
    OutOption,
    app,
    err,
    fail,
    out,
    print_issues,
)
from fleetform.errors import FleetformError


@app.command()
def synth(
    manifests: ManifestsOption = None,
    outdir: OutOption = Path("cdktf.out"),
    config: ConfigOption = None,
    allow_data_loss: AllowDataLossOption = False,
) -> None:
    """Synthesize Terraform JSON: OUT/stacks/<application>/cdk.tf.json, exactly like `cdktf synth`."""
    from fleetform.synth.synthesize import synthesize

    started = time.perf_counter()
    try:
        result = synthesize(
            manifests or [Path("manifests")],
            config_path=config,
            outdir=outdir,
            allow_data_loss=allow_data_loss,
        )
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
