"""``fleetform simulator``: run the HyperCore REST API simulator (``serve``), or show (``status``) or stop
(``stop``) the background one that ``fleetform demo`` / ``deploy --simulator`` started."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from fleetform.cli._app import app, err, out
from fleetform.simulator.models import DEFAULT_TASK_SECONDS
from fleetform.simulator.settings import DEFAULT_HOST, DEFAULT_PASSWORD, DEFAULT_PORT, DEFAULT_USERNAME

simulator_app = typer.Typer(
    help="The HyperCore REST API simulator (/rest/v1) for tests and demos.", no_args_is_help=True
)
app.add_typer(simulator_app, name="simulator")


@simulator_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = DEFAULT_HOST,
    port: Annotated[
        int, typer.Option(help="TCP port; 0 picks a free one (printed, and see --port-file).")
    ] = (DEFAULT_PORT),
    port_file: Annotated[
        Path | None, typer.Option("--port-file", help="Write the port to this file once listening.")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Directory for the SQLite database and images; kept across restarts. [default: a "
            "temporary directory, deleted on exit]"
        ),
    ] = None,
    username: Annotated[str, typer.Option(help="Login user name.")] = DEFAULT_USERNAME,
    password: Annotated[str, typer.Option(help="Login password.")] = DEFAULT_PASSWORD,
    task_seconds: Annotated[
        float, typer.Option("--task-seconds", help="How long every task stays QUEUED/RUNNING.")
    ] = DEFAULT_TASK_SECONDS,
    busy_vms: Annotated[
        bool,
        typer.Option(
            "--busy-vms/--no-busy-vms",
            help="Answer HTTP 500 to a second task on a VM while one runs, as HyperCore does.",
        ),
    ] = True,
    shutdown_seconds: Annotated[
        float,
        typer.Option("--shutdown-seconds", help="How long a guest takes to power off after ACPI SHUTDOWN."),
    ] = 0.0,
    nodes: Annotated[int, typer.Option(help="Number of cluster nodes.")] = 1,
    template: Annotated[
        list[str] | None,
        typer.Option(help="Seed an empty template VM: KIND=NAME, KIND one of bios, uefi, tpm. Repeatable."),
    ] = None,
    vlan: Annotated[list[str] | None, typer.Option(help="Seed a VLAN: ID or NAME=ID. Repeatable.")] = None,
    site: Annotated[
        Path | None, typer.Option(help="A fleetform.yaml whose templates: and networks: are seeded.")
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help='Inject a fault, as a POST /admin/faults JSON body, e.g. \'{"kind": "task_error"}\'.'
        ),
    ] = None,
    fail_tasks: Annotated[int, typer.Option("--fail-tasks", help="Fail the next N tasks.")] = 0,
    latency: Annotated[float, typer.Option(help="Delay every REST request by this many seconds.")] = 0.0,
    guest_agent: Annotated[
        bool, typer.Option("--guest-agent", help="Running guests report IPv4 addresses.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Log every request.")] = False,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls", help="Serve HTTPS with a generated certificate; prints its CA file (for HC_CA_BUNDLE)."
        ),
    ] = False,
) -> None:
    """Serve the simulated /rest/v1 API (and its /admin API) until Ctrl-C."""
    from fleetform.simulator.errors import ConfigError
    from fleetform.simulator.server import SimulatorServer
    from fleetform.simulator.settings import settings_from_options

    try:
        settings = settings_from_options(
            host=host,
            port=port,
            data_dir=data,
            username=username,
            password=password,
            task_seconds=task_seconds,
            busy_vms=busy_vms,
            shutdown_seconds=shutdown_seconds,
            nodes=nodes,
            templates=template,
            vlans=vlan,
            site=site,
            faults=fault,
            fail_tasks=fail_tasks,
            latency=latency,
            guest_agent=guest_agent,
            access_log=verbose,
            tls=tls,
            port_file=port_file,
        )
        server = SimulatorServer(settings)
        server.start()
    except ConfigError as exc:
        err.print(f"error: {exc}", style="red", markup=False)
        raise typer.Exit(1) from None
    for line in server.banner():
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    sys.stdout.flush()
    server.serve_forever()


@simulator_app.command()
def stop() -> None:
    """Stop the background simulator that `fleetform demo` started in this project (.fleetform/)."""
    from fleetform.terraform.embedded import Paths
    from fleetform.terraform.embedded import stop as stop_embedded

    if stop_embedded(Paths(Path.cwd())):
        err.print("simulator stopped", style="green")
    else:
        err.print("no simulator was running")


@simulator_app.command()
def status() -> None:
    """Show the background simulator of this project (.fleetform/): its URL and user, or that none runs."""
    from fleetform.terraform.embedded import Paths, read_running

    paths = Paths(Path.cwd())
    running = read_running(paths)
    if running is None:
        err.print("no simulator is running (fleetform demo or deploy --simulator starts one)")
        raise typer.Exit(1)
    out.print(f"simulator running at {running.url} (pid {running.pid})", markup=False, highlight=False)
    out.print(f"  user      {running.username}", markup=False, highlight=False)
    out.print(f"  password  in {paths.info} (HC_PASSWORD)", markup=False, highlight=False)
