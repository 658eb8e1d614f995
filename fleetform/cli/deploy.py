"""``fleetform deploy`` and ``fleetform destroy``: synthesize, then Terraform every stack (no Node needed)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

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


def _environment(
    paths: list[Path], config: Path | None, simulator: bool
) -> tuple[dict[str, str], Path | None]:
    """The environment for Terraform (and the site config), with the simulator mode's settings if asked."""
    env = dict(os.environ)
    if simulator:
        from fleetform.embedded import prepare

        running, extra = prepare(Path.cwd(), paths, config)
        err.print(f"simulator: {running.url} (user {running.username})")
        env.update(extra)
        config = Path(extra["FLEETFORM_CONFIG"])
    return env, config


def _report(verb: str, outcomes: list[Any], total: int, started: float) -> None:
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
    err.print(f"{verb}: {total} stack{'s' if total != 1 else ''} in {elapsed:.1f} s", style="green")


@app.command()
def deploy(
    manifests: ManifestsOption = None,
    outdir: OutOption = Path("cdktf.out"),
    stacks: StacksOption = None,
    config: ConfigOption = None,
    simulator: SimulatorOption = False,
    parallelism: ParallelismOption = 1,
    concurrency: ConcurrencyOption = 1,
    allow_data_loss: AllowDataLossOption = False,
) -> None:
    """Synthesize, plan and apply every stack, like `cdktf deploy`: each applies exactly its plan, and a plan
    that would destroy a data disk is refused (nothing is applied) unless --allow-data-loss."""
    from fleetform.plans import PlanOptions, apply_plans, plan_stacks

    started = time.perf_counter()
    paths = manifests or [Path("manifests")]
    with tempfile.TemporaryDirectory(prefix="fleetform-deploy-") as scratch:
        try:
            env, config = _environment(paths, config, simulator)
            options = PlanOptions(
                manifests=paths,
                config=config,
                out=Path(scratch) / "plans",
                synth_dir=outdir,
                stacks=stacks,
                allow_data_loss=allow_data_loss,
                parallel=concurrency,
                env=env,
            )
            with err.status("synth and terraform plan..."):
                run = plan_stacks(options)
            print_issues(run.warnings)
            problems = run.refused + run.failed
            for name in problems:
                err.print(f"{name}: {run.index.stacks[name].message}", style="red", markup=False)
            if problems:
                err.print("nothing was applied", style="red")
                raise typer.Exit(1)
            with err.status("terraform apply..."):
                outcomes = apply_plans([run.out], env=env, parallel=concurrency, parallelism=parallelism)
        except FleetformError as exc:
            raise fail(exc) from None
    unchanged = [name for name, entry in run.index.stacks.items() if not entry.changes]
    for name in unchanged:
        out.print(f"[green]✔[/] {name}: No changes.", highlight=False)
    _report("deploy", outcomes, len(run.index.stacks), started)


@app.command()
def destroy(
    manifests: ManifestsOption = None,
    outdir: OutOption = Path("cdktf.out"),
    stacks: StacksOption = None,
    config: ConfigOption = None,
    simulator: SimulatorOption = False,
    parallelism: ParallelismOption = 1,
    concurrency: ConcurrencyOption = 1,
    allow_data_loss: AllowDataLossOption = False,
) -> None:
    """Synthesize and destroy every stack's resources (terraform destroy -auto-approve)."""
    from fleetform.deploy import run_stacks, stack_dirs
    from fleetform.synth import synthesize
    from fleetform.terraform import Terraform

    started = time.perf_counter()
    paths = manifests or [Path("manifests")]
    try:
        env, config = _environment(paths, config, simulator)
        result = synthesize(paths, config_path=config, outdir=outdir, allow_data_loss=allow_data_loss)
        print_issues(result.warnings)
        dirs = stack_dirs(outdir, stacks)
        terraform = Terraform(env=env)
    except FleetformError as exc:
        raise fail(exc) from None
    with err.status("terraform destroy..."):
        outcomes = run_stacks(dirs, terraform, destroy=True, parallelism=parallelism, concurrency=concurrency)
    if not allow_data_loss and any("prevent_destroy" in o.summary for o in outcomes if not o.ok):
        err.print(
            "data disks are protected (prevent_destroy): pass --allow-data-loss to destroy them too",
            style="red",
        )
    _report("destroy", outcomes, len(outcomes), started)
