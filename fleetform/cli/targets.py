"""``fleetform targets``: which application runs on which cluster, as which stack."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fleetform.cli._app import ConfigOption, ManifestsOption, app, fail, out, print_issues
from fleetform.errors import FleetformError


class TargetsFormat(StrEnum):
    """What ``fleetform targets`` prints."""

    table = "table"
    json = "json"


@app.command()
def targets(
    manifests: ManifestsOption = None,
    config: ConfigOption = None,
    fmt: Annotated[
        TargetsFormat, typer.Option("--format", "-f", help="table (for people) or json (for scripts).")
    ] = TargetsFormat.table,
) -> None:
    """List what goes where: one row per stack (application on cluster), chosen by the clusters' selectors."""
    from fleetform.synth.inputs import load_inputs

    try:
        inputs = load_inputs(manifests or [Path("manifests")], config)
    except FleetformError as exc:
        raise fail(exc) from None
    rows = [
        {
            "stack": stack.name,
            "application": stack.manifest.name,
            "cluster": stack.target.name,
            "host": (stack.target.cluster.host if stack.target.cluster else None) or "$HC_HOST",
            "vms": len(stack.manifest.application.spec.resources),
            "selector": list(stack.target.cluster.selector) if stack.target.cluster else [],
        }
        for stack in inputs.stacks
    ]
    if fmt is TargetsFormat.json:
        out.print_json(json.dumps(rows))
        return
    print_issues(inputs.warnings)
    table = Table(title=f"{len(rows)} stacks")
    for column in ("stack", "application", "cluster", "host", "VMs", "selector"):
        table.add_column(column, justify="right" if column == "VMs" else "left")
    for row in rows:
        table.add_row(
            str(row["stack"]),
            str(row["application"]),
            str(row["cluster"]),
            str(row["host"]),
            str(row["vms"]),
            ", ".join(row["selector"]) or "(all)",  # type: ignore[arg-type]
        )
    out.print(table)
