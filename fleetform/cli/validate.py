"""``fleetform validate``: check manifests against the format and the site configuration.

It reports what ``fleetform synth`` would (the same errors and the same warnings: each application is rendered
as synth renders it, in plain Python, without cdktf or Node), and writes nothing.

Exit codes: 0 valid (warnings allowed); 1 errors (with ``--strict``, also what Fleet Manager's schema rejects).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from fleetform.cli._app import ConfigOption, app, err, fail, print_issues
from fleetform.cli._run import plural
from fleetform.errors import FleetformError, InputError, Issue


class ValidateFormat(StrEnum):
    """What ``fleetform validate`` prints."""

    text = "text"
    json = "json"


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Manifest files or directories. \\[default: manifests/]")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Also report what Fleet Manager's published schema rejects.")
    ] = False,
    config: ConfigOption = None,
    fmt: Annotated[
        ValidateFormat,
        typer.Option("--format", "-f", help="text (file:line:col lines) or json (for editors and bots)."),
    ] = ValidateFormat.text,
) -> None:
    """Check manifests against the manifest format and the site configuration (what synth would report)."""
    from fleetform.manifest.strict import strict_issues
    from fleetform.synth.inputs import load_inputs

    try:
        inputs = load_inputs(paths or [Path("manifests")], config)
        findings = list(inputs.warnings) + _synth_findings(inputs)
    except InputError as exc:
        if fmt is ValidateFormat.json:
            typer.echo(json.dumps(_report(exc.issues, None), indent=2))
            raise typer.Exit(1) from None
        raise fail(exc) from None
    except FleetformError as exc:
        raise fail(exc) from None
    if strict:
        for lm in inputs.manifests:
            findings.extend(strict_issues(lm))
    findings = list(dict.fromkeys(findings))
    errors = sum(1 for i in findings if i.is_error)
    if fmt is ValidateFormat.json:
        typer.echo(json.dumps(_report(findings, inputs), indent=2))
        raise typer.Exit(1 if errors else 0)
    print_issues(findings)
    if errors:
        err.print(f"{plural(errors, 'error')} (strict).", style="red")
        raise typer.Exit(1)
    applications = len({lm.path for lm in inputs.manifests})
    vms = sum(len(lm.application.spec.resources) for lm in inputs.manifests)
    stacks = len(inputs.stacks)
    on = f" ({plural(stacks, 'stack')})" if stacks != applications else ""
    err.print(f"ok: {plural(applications, 'application')}{on}, {plural(vms, 'VM')}", style="green")


def _synth_findings(inputs: Any) -> list[Issue]:
    """What synth adds to the inputs' warnings: each stack's props and the constructs' decisions (no cdktf).
    Raises InputError with every construct error, as synth would."""
    from fleetform.synth.prepare import check_stack, prepare_stack

    found: list[Issue] = []
    problems: list[Issue] = []
    out = Path("cdktf.out").resolve()
    for stack in inputs.stacks:
        try:
            found.extend(check_stack(prepare_stack(stack, final_outdir=out)))
        except InputError as exc:
            problems.extend(exc.issues)
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    return found


def _report(issues: list[Issue], inputs: Any) -> dict[str, Any]:
    """The JSON report: ok, counts, and every issue with its place."""
    return {
        "ok": not any(i.is_error for i in issues),
        "applications": len({lm.path for lm in inputs.manifests}) if inputs is not None else None,
        "stacks": [s.name for s in inputs.stacks] if inputs is not None else None,
        "vms": sum(len(lm.application.spec.resources) for lm in inputs.manifests)
        if inputs is not None
        else None,
        "errors": [_issue(i) for i in issues if i.is_error],
        "warnings": [_issue(i) for i in issues if not i.is_error],
    }


def _issue(issue: Issue) -> dict[str, Any]:
    where = issue.location
    return {
        "path": where.path,
        "line": where.line or None,
        "col": where.col or None,
        "severity": issue.severity,
        "message": issue.message,
        "hint": issue.hint,
    }
