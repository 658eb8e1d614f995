"""``fleetform plan``: synthesize once, plan every stack (in parallel, within a bound) and save the plans.

Exit codes: 0 every stack planned (with or without changes); 1 an error, a failed plan, or a plan refused by
the data-loss guard (the plan directory is still written, so ``fleetform review`` can show why).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fleetform.cli._app import (
    AllowDataLossOption,
    ConfigOption,
    ManifestsOption,
    app,
    err,
    fail,
    out,
    print_issues,
)
from fleetform.cli._run import (
    InsecureOption,
    LockTimeoutOption,
    ParallelOption,
    SimulatorOption,
    StacksOption,
    SynthDirOption,
    plural,
    print_problems,
    report_repairs,
    resolve_mode,
)
from fleetform.errors import FleetformError

PlanDirOption = Annotated[Path, typer.Option("--out", "-o", help="The plan directory to write.")]


@app.command()
def plan(
    stacks: StacksOption = None,
    plan_dir: PlanDirOption = Path("plans"),
    manifests: ManifestsOption = None,
    config: ConfigOption = None,
    synth_dir: SynthDirOption = None,
    no_synth: Annotated[
        bool, typer.Option("--no-synth", help="Plan what --synth-dir holds; do not synthesize first.")
    ] = False,
    allow_data_loss: AllowDataLossOption = False,
    replace: Annotated[
        list[str] | None,
        typer.Option(
            "--replace",
            help="Rebuild this resource (Terraform -replace), e.g. hypercore_vm.web or shop:hypercore_vm.web; "
            "repeatable. Use it to apply cloud-init changes, which the provider ignores after create.",
        ),
    ] = None,
    parallel: ParallelOption = 4,
    parallelism: Annotated[
        int, typer.Option("--parallelism", help="Terraform -parallelism within one plan (reads only).", min=1)
    ] = 10,
    lock_timeout: LockTimeoutOption = None,
    changed_from: Annotated[
        Path | None,
        typer.Option(
            "--changed-from",
            help="Only stacks whose synthesized Terraform JSON differs from this synth output (e.g. the base "
            "branch's cdktf.out), plus the stacks it has and this one does not (deleted manifests).",
        ),
    ] = None,
    only_changed: Annotated[
        bool,
        typer.Option(
            "--changed",
            help="Only stacks whose synthesized Terraform JSON changed since they last planned without changes "
            "or were applied (recorded in each stack's directory), plus the stacks of deleted manifests.",
        ),
    ] = False,
    all_stacks: Annotated[
        bool,
        typer.Option(
            "--all-stacks",
            help="With --changed-from: every stack, changed or not, plus the removed ones (e.g. when fleetform "
            "itself changed).",
        ),
    ] = False,
    list_only: Annotated[
        bool,
        typer.Option(
            "--list",
            help="Print the selected stacks as a JSON list of comma-separated groups (a CI job matrix) and plan "
            "nothing.",
        ),
    ] = False,
    max_jobs: Annotated[
        int, typer.Option("--max-jobs", help="With --list: at most this many groups.", min=1)
    ] = 20,
    simulator: SimulatorOption = False,
    insecure: InsecureOption = False,
) -> None:
    """Plan every stack (or --stacks) and save the plans for review and apply: DIR/<stack>/tfplan, plan.json."""
    from fleetform.terraform.plans import PlanOptions, changed_stacks, plan_stacks, shards

    paths = manifests or [Path("manifests")]
    if only_changed and changed_from is not None:
        raise fail(
            FleetformError("--changed and --changed-from choose stacks in two different ways; use one")
        )
    try:
        mode = resolve_mode(simulator, paths, config, synth_dir)
        config, synth_dir, env = mode.config, mode.synth_dir, mode.env
        selected = list(stacks or [])
        if changed_from is not None or list_only:
            if not no_synth:
                from fleetform.synth.synthesize import synthesize

                result = synthesize(
                    paths, config_path=config, outdir=synth_dir, allow_data_loss=allow_data_loss
                )
                print_issues(result.warnings)
                no_synth = True
            if changed_from is not None:
                changed, removed = changed_stacks(changed_from, synth_dir)
                if all_stacks:
                    root = synth_dir / "stacks"
                    changed = sorted(p.name for p in root.iterdir() if (p / "cdk.tf.json").is_file())
                found = [*changed, *removed]
                selected = found if not selected else [s for s in selected if s in found]
                err.print(
                    f"{plural(len(changed), 'stack')} changed, {len(removed)} removed since {changed_from}"
                )
            if list_only:
                if changed_from is None and not selected:
                    root = synth_dir / "stacks"
                    selected = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
                typer.echo(json.dumps(shards(selected, max_jobs)))
                return
            if not selected:
                err.print("no stack changed: nothing to plan")
        options = PlanOptions(
            manifests=paths,
            config=config,
            out=plan_dir,
            synth_dir=synth_dir,
            stacks=selected if (stacks or changed_from is not None) else None,
            synth=not no_synth,
            allow_data_loss=allow_data_loss,
            parallel=parallel,
            parallelism=parallelism,
            lock_timeout=lock_timeout,
            replace=replace or (),
            changed=only_changed,
            insecure=insecure,
            env=env,
        )
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("terraform plan", total=None)

            def progress(stack: str, phase: str) -> None:
                if phase in ("changes", "no changes", "refused", "failed"):
                    bar.advance(task)
                    style = {"refused": "red", "failed": "red", "changes": "yellow"}.get(phase, "dim")
                    bar.console.print(f"[{style}]{stack}: {phase}[/]", highlight=False)
                else:
                    bar.update(task, description=f"terraform {phase}: {stack}")

            run = plan_stacks(options, on_progress=progress)
    except FleetformError as exc:
        raise fail(exc) from None
    print_issues(run.warnings)
    for note in run.notes:
        err.print(f"note: {note}", style="yellow", highlight=False, markup=False)
    changed = [n for n, e in run.index.stacks.items() if e.changes and e.status == "planned"]
    orphans = [n for n, e in run.index.stacks.items() if e.orphan]
    out.print(
        f"planned {plural(len(run.index.stacks), 'stack')} into {run.out} in {run.seconds:.1f} s: "
        f"{len(changed)} with changes",
        highlight=False,
    )
    for name in orphans:
        err.print(
            f"[bold red]stack {name}: its manifest {run.index.stacks[name].manifest or ''} was deleted; the plan "
            "destroys everything in its state[/]",
            highlight=False,
        )
    problems = run.refused + run.failed
    print_problems(run.index.stacks, problems)
    if problems:
        err.print(f"review with: fleetform review {run.out}", style="red")
        raise typer.Exit(1)
    report_repairs(run.index.stacks)
    err.print(f"next: fleetform review {run.out}   then: fleetform apply {run.out}", style="green")
