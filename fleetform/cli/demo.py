"""``fleetform demo``: deploy manifests/ to the embedded HyperCore simulator with ``cdktf deploy``, then show it.

What ``make demo`` runs. The simulator keeps running afterwards (``fleetform simulator stop`` or
``make demo-stop`` ends it); running the demo again deploys nothing new.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fleetform.cli._app import ConfigOption, app, err, fail, out
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
) -> None:
    """Start the simulator, deploy every manifest in manifests/ to it, and print its VMs."""
    from fleetform.embedded import prepare, vm_rows

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
        command = [
            str(CDKTF),
            "deploy",
            "*",
            "--auto-approve",
            "--skip-provider-lock",
            "--terraform-parallelism",
            "1",
        ]
        err.print("$ " + " ".join(repr(c) if c == "*" else c for c in command), highlight=False)
        result = subprocess.run(command, env=full_env, check=False)
        if result.returncode != 0:
            err.print(f"cdktf deploy failed (exit {result.returncode})", style="red")
            raise typer.Exit(result.returncode)
    else:
        from fleetform.cli.deploy import deploy

        deploy(config=config, simulator=True)
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
