"""``fleetform init``: scaffold a new project that passes ``fleetform validate`` and ``cdktf synth`` as it is."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import app, err, fail, out
from fleetform.errors import FleetformError


@app.command("init")
def init(
    directory: Annotated[Path, typer.Argument(help="The project directory (created if missing).")],
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="Name of the example application (default: the directory's name)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write into a non-empty directory, overwriting the files init writes (listed)."
        ),
    ] = False,
    fleetform_source: Annotated[
        str | None,
        typer.Option(
            "--fleetform",
            help="How the Pipfile gets fleetform: a version (0.1.0), git+URL or git+URL@REF, a source "
            "directory or a wheel (default: this fleetform's checkout, or where it was installed from).",
        ),
    ] = None,
) -> None:
    """Create a new fleetform project: cdktf app, site configuration, an example manifest, CI workflows."""
    from fleetform.scaffold import init_project
    from fleetform.scaffold.requirement import parse

    try:
        dependency = parse(fleetform_source) if fleetform_source is not None else None
        project = init_project(directory, name=name, force=force, fleetform=dependency)
    except FleetformError as exc:
        raise fail(exc) from None
    overwritten = set(project.overwritten)
    for path in project.files:
        verb = "overwrote" if path in overwritten else "created"
        out.print(f"{verb} {directory / path}", markup=False, highlight=False)
    out.print(f"fleetform in Pipfile: {project.fleetform.description}", markup=False, highlight=False)
    if not project.fleetform.portable:
        err.print(
            "note: CI cannot install fleetform from a local path; before pushing, point the Pipfile at a git "
            "repository or a release (--fleetform git+https://...@<tag>)",
            style="yellow",
            markup=False,
        )
    steps = [
        f"cd {shlex.quote(str(directory))}",
        "PIPENV_VENV_IN_PROJECT=1 pipenv install   # .venv: cdktf.json runs .venv/bin/python main.py",
        "npm install                               # the cdktf CLI, pinned in package.json",
        ".venv/bin/fleetform validate              # manifests/ against fleetform.yaml",
        "export CHECKPOINT_DISABLE=1               # no usage reporting from cdktf and Terraform",
        f"npx cdktf synth                           # cdktf.out/stacks/{project.name}/cdk.tf.json",
        "# then set fleetform.yaml's networks and templates to your cluster's, export HC_HOST, HC_USERNAME",
        f"# and HC_PASSWORD, and run `npx cdktf deploy {project.name}`; commit Pipfile.lock and package-lock.json",
    ]
    out.print("\nNext steps:", markup=False, highlight=False)
    for step in steps:
        out.print(f"  {step}", markup=False, highlight=False)
