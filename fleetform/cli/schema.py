"""``fleetform schema``: write (or check) the JSON Schemas that editors use for manifests and fleetform.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import app, err


@app.command()
def schema(
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the schema; '-' prints it. "
            "\\[default: schema/application.schema.json, or schema/fleetform.schema.json with --site]",
        ),
    ] = None,
    site: Annotated[
        bool, typer.Option("--site", help="The schema of fleetform.yaml instead of the manifest's.")
    ] = False,
    all_schemas: Annotated[
        bool, typer.Option("--all", help="Both schemas, each to its default path under schema/.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Write nothing; exit 1 if the file differs from what the models generate."
        ),
    ] = False,
) -> None:
    """Write the JSON Schema of the manifest format (or of fleetform.yaml), generated from the models."""
    from fleetform.schema_export import SCHEMAS, differs

    if all_schemas and (site or out_path is not None):
        err.print(
            "--all writes every schema to its default path; it takes neither --site nor --out", style="red"
        )
        raise typer.Exit(2)
    if check and out_path == Path("-"):
        err.print("--check compares a file; give a path with --out, not '-'", style="red")
        raise typer.Exit(2)
    selected = list(SCHEMAS.values()) if all_schemas else [SCHEMAS["site" if site else "application"]]

    if out_path == Path("-"):
        typer.echo(selected[0].text(), nl=False)
        return
    stale = 0
    for schema_file in selected:
        target = out_path if out_path is not None else schema_file.path
        if check:
            problem = differs(schema_file, target)
            if problem is None:
                err.print(f"ok: {target} is up to date", style="green")
            else:
                stale += 1
                flags = " --site" if schema_file.key == "site" else ""
                if out_path is not None:
                    flags += f" --out {target}"
                err.print(
                    f"{problem}; run `fleetform schema{flags}` and commit {target}", style="red", markup=False
                )
            continue
        text = schema_file.text()
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            err.print(f"{target} is up to date", style="green")
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            err.print(f"error: cannot write {target}: {exc.strerror or exc}", style="red", markup=False)
            raise typer.Exit(1) from None
        err.print(f"wrote {target}", style="green")
    if stale:
        raise typer.Exit(1)
