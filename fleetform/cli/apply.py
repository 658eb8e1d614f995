"""``fleetform apply``: apply exactly the plans ``fleetform plan`` saved (no new plan), or refuse.

Exit codes: 0 every selected plan applied (or had nothing to apply); 1 refused (a plan is stale, failed,
refused, already applied, or its Terraform JSON changed since it was made: nothing is applied then) or an
apply failed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import app, err, fail, out
from fleetform.cli._run import LockTimeoutOption, ParallelismOption, StacksOption, plural
from fleetform.errors import FleetformError


@app.command()
def apply(
    plan_dirs: Annotated[
        list[Path],
        typer.Argument(
            help="Plan directories written by fleetform plan (or directories holding several).",
            show_default=False,
        ),
    ],
    stacks: StacksOption = None,
    parallel: Annotated[
        int,
        typer.Option(
            "--parallel",
            "-j",
            help="Clusters applied at the same time (stacks of one cluster go one by one).",
            min=1,
        ),
    ] = 1,
    parallelism: ParallelismOption = 1,
    lock_timeout: LockTimeoutOption = None,
    simulator: Annotated[
        bool,
        typer.Option(
            "--simulator", help="Apply against the embedded HyperCore simulator with the stand-in provider."
        ),
    ] = False,
) -> None:
    """Apply the saved plans exactly as reviewed; refuse stale or changed plans before applying anything."""
    from fleetform.terraform.plans import PlanRefused, apply_plans

    started = time.perf_counter()
    env = dict(os.environ)
    try:
        if simulator:
            from fleetform.terraform.embedded import prepare

            running, extra = prepare(Path.cwd(), [Path("manifests")])
            err.print(f"simulator: {running.url} (user {running.username})")
            env.update(extra)

        with err.status("terraform apply...") as status:

            def progress(stack: str, phase: str) -> None:
                status.update(f"terraform {phase}: {stack}")

            outcomes = apply_plans(
                plan_dirs,
                env=env,
                stacks=stacks,
                parallel=parallel,
                parallelism=parallelism,
                lock_timeout=lock_timeout,
                on_progress=progress,
            )
    except PlanRefused as exc:
        err.print("refused: nothing was applied", style="red")
        for problem in exc.problems:
            err.print(f"  {problem}", style="red", markup=False)
        raise typer.Exit(1) from None
    except FleetformError as exc:
        raise fail(exc) from None
    for outcome in outcomes:
        if outcome.ok:
            out.print(f"[green]✔[/] {outcome.stack}: {outcome.summary}", highlight=False)
        else:
            out.print(f"[red]✘[/] {outcome.stack}", highlight=False)
            err.print(outcome.summary, style="red", markup=False)
    failed = [o.stack for o in outcomes if not o.ok]
    elapsed = time.perf_counter() - started
    if failed:
        err.print(f"apply failed or refused for {', '.join(failed)} ({elapsed:.1f} s)", style="red")
        raise typer.Exit(1)
    if not outcomes:
        err.print("nothing to apply: no saved plan has changes", style="green")
        return
    err.print(f"applied {plural(len(outcomes), 'saved plan')} in {elapsed:.1f} s", style="green")
