"""``fleetform simulator fleet``: many simulated clusters from one process, each with its own URL and login."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import err, out
from fleetform.cli.simulator import simulator_app
from fleetform.simulator.models import DEFAULT_TASK_SECONDS
from fleetform.simulator.settings import DEFAULT_HOST, DEFAULT_USERNAME


@simulator_app.command()
def fleet(
    clusters: Annotated[
        int,
        typer.Option(
            "--clusters", "-n", help="Serve N clusters named cluster-01...; 0: the clusters: of --site."
        ),
    ] = 0,
    site: Annotated[
        Path | None,
        typer.Option(help="A fleetform.yaml: its templates: and networks: are seeded, its clusters: served."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="The first cluster's port, the next +1 each; 0: free ports.")] = 0,
    data: Annotated[
        Path | None, typer.Option(help="Directory for every cluster's data. [default: a temporary one]")
    ] = None,
    username: Annotated[str, typer.Option(help="Login user name of every cluster.")] = DEFAULT_USERNAME,
    password: Annotated[
        str | None, typer.Option(help="One password for every cluster. [default: a new one each]")
    ] = None,
    task_seconds: Annotated[
        float, typer.Option("--task-seconds", help="How long every task stays QUEUED/RUNNING.")
    ] = DEFAULT_TASK_SECONDS,
    busy_vms: Annotated[
        bool, typer.Option("--busy-vms/--no-busy-vms", help="HTTP 500 for a second task on a busy VM.")
    ] = True,
    nodes: Annotated[int, typer.Option(help="Nodes per cluster.")] = 1,
    guest_agent: Annotated[
        bool, typer.Option("--guest-agent", help="Running guests report IPv4 addresses.")
    ] = False,
    tls: Annotated[bool, typer.Option("--tls", help="Serve HTTPS (one CA for the fleet).")] = False,
    fleet_file: Annotated[
        Path | None,
        typer.Option("--fleet-file", help="Write every cluster's URL and login here (JSON, owner-only)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Log every request.")] = False,
) -> None:
    """Serve a fleet of simulated clusters from one process (one port each) until Ctrl-C."""
    from fleetform.simulator.errors import ConfigError
    from fleetform.simulator.fleet import FleetServer, fleet_from_options

    try:
        settings = fleet_from_options(
            count=clusters,
            site=site,
            host=host,
            port=port,
            data_dir=data,
            username=username,
            password=password,
            task_seconds=task_seconds,
            busy_vms=busy_vms,
            nodes=nodes,
            guest_agent=guest_agent,
            tls=tls,
            fleet_file=fleet_file,
            access_log=verbose,
        )
        server = FleetServer(settings)
        server.start()
    except ConfigError as exc:
        err.print(f"error: {exc}", style="red", markup=False)
        raise typer.Exit(1) from None
    for line in server.banner():
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    sys.stdout.flush()
    server.serve_forever()
