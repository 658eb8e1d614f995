"""``fleetform demo``: deploy manifests/ to the embedded HyperCore simulator with ``cdktf deploy``, then show it.

What ``make demo`` runs. The simulator keeps running afterwards (``fleetform simulator stop`` or
``make demo-stop`` ends it); running the demo again deploys nothing new.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fleetform.cli._app import ConfigOption, app, err, fail, out
from fleetform.cli._run import AutoApproveOption, confirm
from fleetform.errors import FleetformError
from fleetform.manifest.units import human_size

CDKTF = Path("node_modules") / ".bin" / "cdktf"


@app.command()
def demo(
    config: ConfigOption = None,
    use_cdktf: Annotated[
        bool,
        typer.Option("--cdktf/--no-cdktf", help="Deploy with the cdktf CLI (else with fleetform deploy)."),
    ] = True,
    auto_approve: AutoApproveOption = False,
) -> None:
    """Start the simulator, deploy every manifest in manifests/ to it, and print its VMs.

    Like `cdktf deploy`, it shows what it will do and asks first, unless --auto-approve (make demo passes it)."""
    from fleetform.terraform.embedded import Paths, prepare, vm_rows

    started = time.perf_counter()
    try:
        simulator, env = prepare(Path.cwd(), [Path("manifests")], config)
    except FleetformError as exc:
        raise fail(exc) from None
    err.print(
        f"simulator: {simulator.url}  user: {simulator.username}  password: {simulator.password}  "
        f"(pid {simulator.pid}; stop it with `make demo-stop`)",
        highlight=False,
    )
    full_env = {
        **os.environ,
        **env,
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    if use_cdktf:
        if not CDKTF.is_file():
            err.print(f"{CDKTF} is missing; run `make setup` (npm ci) first", style="red")
            raise typer.Exit(1)
        if not auto_approve and not sys.stdin.isatty():
            confirm("fleetform demo", "", auto_approve)
        # The simulator mode's own synth directory: the stand-in never lands in production's cdktf.out.
        synth_dir = Paths(Path.cwd()).synth_dir
        command = [
            str(CDKTF),
            "deploy",
            "*",
            "--output",
            str(synth_dir.relative_to(Path.cwd())),
            "--skip-provider-lock",
            "--terraform-parallelism",
            "1",
            *(["--auto-approve"] if auto_approve else []),
        ]
        err.print("$ " + " ".join(repr(c) if c == "*" else c for c in command), highlight=False)
        result = subprocess.run(command, env=full_env, check=False)
        if result.returncode != 0:
            err.print(f"cdktf deploy failed (exit {result.returncode})", style="red")
            raise typer.Exit(result.returncode)
    else:
        from fleetform.cli.deploy import deploy

        deploy(config=config, simulator=True, auto_approve=auto_approve)
    try:
        rows = vm_rows(simulator)
    except FleetformError as exc:
        raise fail(exc) from None
    table = Table(title=f"VMs on the simulator ({simulator.url})")
    for column in ("VM", "power", "vCPU", "memory", "machine type", "disks", "NICs (VLAN)"):
        table.add_column(column, justify="right" if column in ("vCPU", "memory") else "left")
    for row in rows:
        disks = row["disks"]
        table.add_row(
            row["name"],
            row["state"],
            str(row["vcpu"]),
            human_size(row["memory_bytes"]),
            row["machine_type"],
            f"{len(disks)}: " + ", ".join(human_size(d) for d in disks) if disks else "0",
            ", ".join(str(v) for v in row["vlans"]) or "-",
        )
    out.print(table)
    err.print(f"{len(rows)} VMs; demo took {time.perf_counter() - started:.1f} s", style="green")
