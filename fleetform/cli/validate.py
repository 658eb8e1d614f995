"""``fleetform validate``: check manifests against the format and the site configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import ConfigOption, app, err, fail, print_issues
from fleetform.errors import FleetformError


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
    from fleetform.inputs import load_inputs
    from fleetform.manifest.strict import strict_issues

    try:
        inputs = load_inputs(paths or [Path("manifests")], config)
    except FleetformError as exc:
        raise fail(exc) from None
    findings = list(inputs.warnings)
    if strict:
        for lm in inputs.manifests:
            findings.extend(strict_issues(lm))
    print_issues(findings)
    errors = sum(1 for i in findings if i.is_error)
    vms = sum(len(lm.application.spec.resources) for lm in inputs.manifests)
    if errors:
        err.print(f"{errors} error{'s' if errors != 1 else ''} (strict).", style="red")
        raise typer.Exit(1)
    err.print(f"ok: {len(inputs.manifests)} applications, {vms} VMs", style="green")
