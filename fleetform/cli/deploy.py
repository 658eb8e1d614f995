"""``fleetform deploy`` and ``fleetform destroy``: synthesize, then Terraform every stack (no Node needed)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import (
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

StacksOption = Annotated[
    list[str] | None, typer.Option("--stack", "-s", help="Only this stack (repeatable). [default: all]")
]
SimulatorOption = Annotated[
    bool,
    typer.Option(
        "--simulator",
        help="Work against the embedded HyperCore simulator (started if needed) with the stand-in provider.",
    ),
]
ParallelismOption = Annotated[
    int,
    typer.Option(
        "--parallelism", help="Terraform -parallelism. The HyperCore provider supports only 1.", min=1
    ),
]
ConcurrencyOption = Annotated[int, typer.Option("--concurrency", help="Stacks run at the same time.", min=1)]


def _run(
    *,
    destroy: bool,
    manifests: list[Path] | None,
    outdir: Path,
    stacks: list[str] | None,
    config: Path | None,
    simulator: bool,
    parallelism: int,
    concurrency: int,
) -> None:
    from fleetform.deploy import run_stacks, stack_dirs
    from fleetform.synth import synthesize
    from fleetform.terraform import Terraform

    started = time.perf_counter()
    paths = manifests or [Path("manifests")]
    try:
        env = dict(os.environ)
        if simulator:
            from fleetform.embedded import prepare

            running, extra = prepare(Path.cwd(), paths, config)
            err.print(f"simulator: {running.url} (user {running.username})")
            env.update(extra)
            config = Path(extra["FLEETFORM_CONFIG"])
        result = synthesize(paths, config_path=config, outdir=outdir)
        print_issues(result.warnings)
        dirs = stack_dirs(outdir, stacks)
        terraform = Terraform(env=env)
    except FleetformError as exc:
        raise fail(exc) from None
    verb = "destroy" if destroy else "deploy"
    err.print(
        f"{verb}ing {len(dirs)} stack{'s' if len(dirs) != 1 else ''}: {', '.join(d.name for d in dirs)}"
    )
    with err.status(f"terraform {'destroy' if destroy else 'apply'}...") as status:

        def done(outcome: object) -> None:
            status.update(
                f"terraform {'destroy' if destroy else 'apply'}: {getattr(outcome, 'stack', '')} done"
            )

        outcomes = run_stacks(
            dirs, terraform, destroy=destroy, parallelism=parallelism, concurrency=concurrency, on_done=done
        )
    for outcome in outcomes:
        if outcome.ok:
            out.print(f"[green]✔[/] {outcome.stack}: {outcome.summary}", highlight=False)
        else:
            out.print(f"[red]✘[/] {outcome.stack}", highlight=False)
            err.print(outcome.summary, style="red", markup=False)
    failed = [o.stack for o in outcomes if not o.ok]
    elapsed = time.perf_counter() - started
    if failed:
        err.print(f"{verb} failed for {', '.join(failed)} ({elapsed:.1f} s)", style="red")
        raise typer.Exit(1)
    err.print(f"{verb}ed {len(outcomes)} stacks in {elapsed:.1f} s", style="green")


@app.command()
def deploy(
    manifests: ManifestsOption = None,
    outdir: OutOption = Path("cdktf.out"),
    stacks: StacksOption = None,
    config: ConfigOption = None,
    simulator: SimulatorOption = False,
    parallelism: ParallelismOption = 1,
    concurrency: ConcurrencyOption = 1,
) -> None:
    """Synthesize and apply every stack (terraform init + apply -auto-approve), like `cdktf deploy`."""
    _run(
        destroy=False,
        manifests=manifests,
        outdir=outdir,
        stacks=stacks,
        config=config,
        simulator=simulator,
        parallelism=parallelism,
        concurrency=concurrency,
    )


@app.command()
def destroy(
    manifests: ManifestsOption = None,
    outdir: OutOption = Path("cdktf.out"),
    stacks: StacksOption = None,
    config: ConfigOption = None,
    simulator: SimulatorOption = False,
    parallelism: ParallelismOption = 1,
    concurrency: ConcurrencyOption = 1,
) -> None:
    """Synthesize and destroy every stack's resources (terraform destroy -auto-approve)."""
    _run(
        destroy=True,
        manifests=manifests,
        outdir=outdir,
        stacks=stacks,
        config=config,
        simulator=simulator,
        parallelism=parallelism,
        concurrency=concurrency,
    )
