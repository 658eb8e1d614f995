"""``fleetform drift``: what changed on the clusters outside fleetform, in the review's format.

Exit codes, for schedulers: 0 no drift; 2 drift found (changed or deleted outside fleetform); 1 an error or a
stack that could not be checked (the report is still printed and says which).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import ConfigOption, ManifestsOption, app, err, fail
from fleetform.cli._run import (
    InsecureOption,
    SimulatorOption,
    StacksOption,
    SynthDirOption,
    plural,
    resolve_mode,
)
from fleetform.cli.review import ReviewFormat
from fleetform.errors import FleetformError


@app.command()
def drift(
    stacks: StacksOption = None,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the drift report's plan directory.")
    ] = Path("drift"),
    manifests: ManifestsOption = None,
    config: ConfigOption = None,
    synth_dir: SynthDirOption = None,
    fmt: Annotated[
        ReviewFormat, typer.Option("--format", "-f", help="markdown (as the plan review) or json (for bots).")
    ] = ReviewFormat.markdown,
    max_chars: Annotated[int, typer.Option("--max-chars", help="Markdown size limit.", min=2000)] = 60000,
    parallel: Annotated[
        int, typer.Option("--parallel", "-j", help="Stacks checked at the same time.", min=1)
    ] = 4,
    insecure: InsecureOption = False,
    simulator: SimulatorOption = False,
) -> None:
    """Refresh-only plans of every stack: report what changed on the clusters outside fleetform.

    Exit code 0: no drift; 2: drift; 1: error."""
    from fleetform.review import build_review, load_bundle, render_json, render_markdown
    from fleetform.terraform.drift import DriftOptions, detect_drift

    paths = manifests or [Path("manifests")]
    try:
        mode = resolve_mode(simulator, paths, config, synth_dir)
        selected = [name for item in stacks or [] for name in item.split(",") if name]
        options = DriftOptions(
            manifests=paths,
            config=mode.config,
            out=out_dir,
            synth_dir=mode.synth_dir,
            stacks=selected or None,
            parallel=parallel,
            insecure=insecure,
            env=mode.env,
        )
        with err.status("checking the clusters...") as status:
            run = detect_drift(options, on_progress=lambda stack, phase: status.update(f"{stack}: {phase}"))
        result = build_review(load_bundle([run.out]))
    except FleetformError as exc:
        raise fail(exc) from None
    text = render_json(result) if fmt is ReviewFormat.json else render_markdown(result, max_chars=max_chars)
    typer.echo(text, nl=False)
    for stack in run.stacks:
        if stack.error:
            err.print(f"{stack.stack}: could not be checked: {stack.error}", style="red", markup=False)
        elif stack.deleted:
            vms = [a.split(".", 1)[1] for a in stack.deleted if a.startswith("hypercore_vm.")]
            others = len(stack.deleted) - len(vms)
            what = ", ".join(f"VM {vm}" for vm in vms) or "objects"
            whose = "its" if len(vms) == 1 else "their"
            more = f" (and {others} of {whose} resources)" if vms and others else ""
            err.print(f"{stack.stack}: {what} deleted outside fleetform{more}", style="red", markup=False)
    if run.failed:
        raise typer.Exit(1)
    if run.drifted:
        changed = sum(1 for s in run.stacks if s.drifted)
        err.print(f"drift in {plural(changed, 'stack')} (exit 2)", style="yellow")
        raise typer.Exit(2)
    err.print(f"no drift in {plural(len(run.stacks), 'stack')} ({run.seconds:.1f} s)", style="green")
