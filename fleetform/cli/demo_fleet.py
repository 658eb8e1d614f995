"""``fleetform demo-fleet``: the seed applications rolled out to a small simulated fleet in three waves.

What ``make demo-fleet`` runs. The fleet keeps running afterwards (``fleetform demo-fleet --stop`` ends it);
running the demo again rolls out nothing new.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import app, err, fail
from fleetform.errors import FleetformError


@app.command("demo-fleet")
def demo_fleet(
    clusters: Annotated[int, typer.Option("--clusters", "-n", help="Simulated clusters.", min=3, max=50)] = 6,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the simulated fleet and exit.")] = False,
) -> None:
    """Start a simulated fleet, plan the seed applications for it, roll them out in three waves, show status."""
    from fleetform.terraform.rollout.demo import FleetPaths, prepare_project, start_fleet, stop_fleet

    root = Path.cwd()
    paths = FleetPaths(root)
    if stop:
        err.print("simulated fleet stopped" if stop_fleet(paths) else "no simulated fleet was running")
        return
    started = time.perf_counter()
    try:
        fleet, fresh = start_fleet(paths, clusters, root / "fleetform.yaml")
        env = {**os.environ, **prepare_project(root, paths, fleet)}
    except FleetformError as exc:
        raise fail(exc) from None
    err.print(
        f"{'started' if fresh else 'using'} a simulated fleet of {len(fleet)} clusters "
        f"({fleet[0]['url']} ... {fleet[-1]['url']}; logins in {paths.fleet_file}); stop it with "
        "`make demo-fleet-stop`",
        highlight=False,
    )
    err.print(f"project: {paths.project} (waves: canary, early, rest)", highlight=False)
    fleetform = [sys.executable, "-c", "from fleetform.cli import main; main()"]
    for args in (["plan", "--parallel", "4"], ["rollout"], ["status"]):
        err.print("$ fleetform " + " ".join(args), style="bold", highlight=False)
        done = subprocess.run([*fleetform, *args], cwd=paths.project, env=env, check=False)
        if done.returncode != 0:
            err.print(f"fleetform {args[0]} failed (exit {done.returncode})", style="red")
            raise typer.Exit(done.returncode)
    err.print(f"demo-fleet took {time.perf_counter() - started:.1f} s", style="green")
