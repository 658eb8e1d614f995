"""``fleetform status``: the fleet at a glance, one row per (application, cluster), from the status records.

Exit codes: 0 shown; 1 an error (bad input, records that cannot be read).
"""

from __future__ import annotations

import enum
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fleetform.cli._app import ConfigOption, ManifestsOption, app, err, fail, out
from fleetform.errors import FleetformError

RESULT_STYLE = {
    "applied": "green",
    "failed": "red",
    "pending": "yellow",
    "drifted": "magenta",
    "unreachable": "red",
}


class StatusFormat(enum.StrEnum):
    table = "table"
    json = "json"


def _names(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


@app.command()
def status(
    application: Annotated[
        list[str] | None,
        typer.Option("--app", "-a", help="Only these applications (comma-separated and/or repeated)."),
    ] = None,
    cluster: Annotated[
        list[str] | None,
        typer.Option("--cluster", help="Only these clusters (comma-separated and/or repeated)."),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", "-l", help="Only clusters carrying this label (repeat: all of them)."),
    ] = None,
    result: Annotated[
        list[str] | None,
        typer.Option(
            "--result",
            "-r",
            help="Only these results: applied, failed, pending, drifted, unreachable (comma-separated and/or "
            "repeated).",
        ),
    ] = None,
    manifests: ManifestsOption = None,
    config: ConfigOption = None,
    fmt: Annotated[StatusFormat, typer.Option("--format", "-f", help="table, or json for machines.")] = (
        StatusFormat.table
    ),
) -> None:
    """One row per application and cluster: the revision last applied, when, and the latest result."""
    from fleetform.synth.inputs import load_inputs
    from fleetform.terraform.rollout.records import RESULTS, store_for_state
    from fleetform.terraform.rollout.status import Filters, counts, status_rows

    results = _names(result)
    unknown = [r for r in results if r not in RESULTS]
    if unknown:
        err.print(f"error: unknown result {', '.join(unknown)}; use {', '.join(RESULTS)}", style="red")
        raise typer.Exit(1)
    try:
        inputs = load_inputs(manifests or [Path("manifests")], config)
        site = inputs.site
        store = store_for_state(site.state.backend, site.state_dir, os.environ)
        records = store.read()
        filters = Filters(_names(application), _names(cluster), _names(label), results)
        rows = status_rows(site, inputs.stacks, records, filters)
    except FleetformError as exc:
        raise fail(exc) from None
    if fmt is StatusFormat.json:
        data = {"schema": "fleetform-status/1", "records": store.where, "counts": counts(rows)}
        typer.echo(json.dumps({**data, "stacks": [row.to_dict() for row in rows]}, indent=2))
        return
    waves = any(row.wave for row in rows)
    table = Table(title=f"{len(rows)} stack{'s' if len(rows) != 1 else ''}", title_justify="left")
    columns = [
        "application",
        "cluster",
        *(["wave"] if waves else []),
        "revision",
        "applied",
        "result",
        "note",
    ]
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        note = row.message
        if row.attempted:
            note = f"attempted {row.attempted[:12]}" + (f": {note}" if note else "")
        if row.gone:
            note = "no longer in the manifests or fleetform.yaml" + (f"; {note}" if note else "")
        style = RESULT_STYLE.get(row.result, "")
        cells = [
            row.application,
            row.cluster,
            *([row.wave or ""] if waves else []),
            (row.revision or "-")[:12],
            row.applied_at or "-",
            f"[{style}]{row.result}[/]" if style else row.result,
            note,
        ]
        table.add_row(*cells)
    out.print(table)
    summary = ", ".join(f"{count} {name}" for name, count in sorted(counts(rows).items()))
    err.print(f"{summary or 'no stacks'} (records: {store.where})", highlight=False)
