"""``fleetform deploy`` and ``fleetform destroy``: synthesize, plan, show what will happen, ask, apply that plan.

Both work like ``fleetform plan`` then ``fleetform apply``, in one command and without Node: every selected stack
is planned (``destroy``: ``terraform plan -destroy``) into a private scratch plan directory, the review's
summary is printed (dangers first), and only after the question (or ``--auto-approve``) are exactly those saved
plans applied. A plan that fails, or that the data-loss guard refuses, stops everything before anything is
applied, in fleetform's words.

Exit codes: 0 applied (or nothing to do); 1 an error, a refused or failed plan, an answer of no (or no terminal
to ask on), or a failed apply.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import typer

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
    AutoApproveOption,
    InsecureOption,
    LockTimeoutOption,
    ParallelismOption,
    ParallelOption,
    SimulatorOption,
    StacksOption,
    SynthDirOption,
    confirm,
    plural,
    print_problems,
    print_summary,
    report_repairs,
    resolve_mode,
    resource_changes,
)
from fleetform.errors import FleetformError


@app.command()
def deploy(
    manifests: ManifestsOption = None,
    stacks: StacksOption = None,
    config: ConfigOption = None,
    synth_dir: SynthDirOption = None,
    simulator: SimulatorOption = False,
    auto_approve: AutoApproveOption = False,
    allow_data_loss: AllowDataLossOption = False,
    parallel: ParallelOption = 1,
    parallelism: ParallelismOption = 1,
    lock_timeout: LockTimeoutOption = None,
    insecure: InsecureOption = False,
) -> None:
    """Synthesize, plan, show the summary, ask, then apply exactly that plan (like `cdktf deploy`).

    Only the selected manifests (-m) or stacks (--stacks) are touched; the stacks of deleted manifests are
    destroyed only in a run over whole manifest directories. A plan that would destroy a data disk is refused
    (nothing is applied) unless --allow-data-loss."""
    _run(
        "deploy",
        destroy=False,
        manifests=manifests,
        stacks=stacks,
        config=config,
        synth_dir=synth_dir,
        simulator=simulator,
        auto_approve=auto_approve,
        allow_data_loss=allow_data_loss,
        parallel=parallel,
        parallelism=parallelism,
        lock_timeout=lock_timeout,
        insecure=insecure,
    )


@app.command()
def destroy(
    manifests: ManifestsOption = None,
    stacks: StacksOption = None,
    config: ConfigOption = None,
    synth_dir: SynthDirOption = None,
    simulator: SimulatorOption = False,
    auto_approve: AutoApproveOption = False,
    allow_data_loss: AllowDataLossOption = False,
    parallel: ParallelOption = 1,
    parallelism: ParallelismOption = 1,
    lock_timeout: LockTimeoutOption = None,
    insecure: InsecureOption = False,
) -> None:
    """Plan the destruction of every selected stack, show the summary, ask, then destroy exactly that.

    Data disks are protected: without --allow-data-loss a stack with one is refused (nothing is destroyed)."""
    _run(
        "destroy",
        destroy=True,
        manifests=manifests,
        stacks=stacks,
        config=config,
        synth_dir=synth_dir,
        simulator=simulator,
        auto_approve=auto_approve,
        allow_data_loss=allow_data_loss,
        parallel=parallel,
        parallelism=parallelism,
        lock_timeout=lock_timeout,
        insecure=insecure,
    )


def _run(
    verb: str,
    *,
    destroy: bool,
    manifests: list[Path] | None,
    stacks: list[str] | None,
    config: Path | None,
    synth_dir: Path | None,
    simulator: bool,
    auto_approve: bool,
    allow_data_loss: bool,
    parallel: int,
    parallelism: int,
    lock_timeout: str | None,
    insecure: bool,
) -> None:
    from fleetform.review import build_review, load_bundle
    from fleetform.terraform.plans import PlanOptions, PlanRefused, apply_plans, plan_stacks

    started = time.perf_counter()
    paths = manifests or [Path("manifests")]
    with tempfile.TemporaryDirectory(prefix=f"fleetform-{verb}-") as scratch:
        try:
            mode = resolve_mode(simulator, paths, config, synth_dir)
            options = PlanOptions(
                manifests=paths,
                config=mode.config,
                out=Path(scratch) / "plans",
                synth_dir=mode.synth_dir,
                stacks=stacks,
                allow_data_loss=allow_data_loss,
                parallel=parallel,
                lock_timeout=lock_timeout,
                destroy=destroy,
                insecure=insecure,
                env=mode.env,
            )
            with err.status("synth and terraform plan...") as status:
                run = plan_stacks(
                    options, on_progress=lambda s, phase: status.update(f"terraform {phase}: {s}")
                )
            print_issues(run.warnings)
            for note in run.notes:
                err.print(f"note: {note}", style="yellow", highlight=False)
            report_repairs(run.index.stacks)
            review = build_review(load_bundle([run.out]))
            print_summary(review)
            problems = run.refused + run.failed
            print_problems(run.index.stacks, problems)
            if problems:
                err.print(f"nothing was {'destroyed' if destroy else 'applied'}", style="red")
                raise typer.Exit(1)
            if not any(entry.changes for entry in run.index.stacks.values()):
                out.print("No changes. Your infrastructure matches the configuration.", highlight=False)
                return
            if resource_changes(review.totals):
                question = "Destroy these resources?" if destroy else "Apply these changes?"
                confirm(f"fleetform {verb}", question, auto_approve)
            else:
                # Only outputs change (each stack's recorded manifest): nothing on a cluster, nothing to ask.
                out.print(
                    "No resource changes; recording each stack's manifest in its state.", highlight=False
                )
            with err.status("terraform apply...") as status:
                outcomes = apply_plans(
                    [run.out],
                    env=mode.env,
                    parallel=parallel,
                    parallelism=parallelism,
                    lock_timeout=lock_timeout,
                    on_progress=lambda s, phase: status.update(f"terraform {phase}: {s}"),
                )
        except PlanRefused as exc:
            err.print(f"refused: nothing was {'destroyed' if destroy else 'applied'}", style="red")
            for problem in exc.problems:
                err.print(f"  {problem}", style="red", markup=False)
            raise typer.Exit(1) from None
        except FleetformError as exc:
            raise fail(exc) from None
    _report(verb, outcomes, started)


def _report(verb: str, outcomes: list[Any], started: float) -> None:
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
    err.print(f"{verb}: {plural(len(outcomes), 'stack')} in {elapsed:.1f} s", style="green")
