"""``python -m fleetform.simulator``: serve the HyperCore REST API simulator (same options as
``fleetform simulator serve``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fleetform.simulator.errors import ConfigError
from fleetform.simulator.models import DEFAULT_TASK_SECONDS
from fleetform.simulator.server import SimulatorServer
from fleetform.simulator.settings import (
    DEFAULT_HOST,
    DEFAULT_PASSWORD,
    DEFAULT_PORT,
    DEFAULT_USERNAME,
    settings_from_options,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fleetform.simulator", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on [%(default)s]")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="TCP port; 0 picks a free one [%(default)s]"
    )
    parser.add_argument("--port-file", type=Path, help="write the port here once listening")
    parser.add_argument("--data", type=Path, help="directory for the database and images [a temporary one]")
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument(
        "--task-seconds",
        type=float,
        default=DEFAULT_TASK_SECONDS,
        help="how long tasks stay QUEUED/RUNNING [%(default)s]",
    )
    parser.add_argument(
        "--no-busy-vms",
        action="store_true",
        help="accept a second task on a VM while one runs (HyperCore answers HTTP 500)",
    )
    parser.add_argument("--shutdown-seconds", type=float, default=0.0, help="guest delay after ACPI SHUTDOWN")
    parser.add_argument("--nodes", type=int, default=1, help="number of cluster nodes [%(default)s]")
    parser.add_argument(
        "--template",
        action="append",
        default=[],
        metavar="KIND=NAME",
        help="seed an empty template VM (bios, uefi, tpm)",
    )
    parser.add_argument("--vlan", action="append", default=[], metavar="[NAME=]ID", help="seed a VLAN")
    parser.add_argument("--site", type=Path, help="fleetform.yaml whose templates: and networks: to seed")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="JSON", help="inject a fault (an /admin/faults body)"
    )
    parser.add_argument("--fail-tasks", type=int, default=0, metavar="N", help="fail the next N tasks")
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="SECONDS", help="delay every REST request"
    )
    parser.add_argument("--guest-agent", action="store_true", help="running guests report IPv4 addresses")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a certificate of its own CA")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    try:
        settings = settings_from_options(
            host=args.host,
            port=args.port,
            data_dir=args.data,
            username=args.username,
            password=args.password,
            task_seconds=args.task_seconds,
            busy_vms=not args.no_busy_vms,
            shutdown_seconds=args.shutdown_seconds,
            nodes=args.nodes,
            templates=args.template,
            vlans=args.vlan,
            site=args.site,
            faults=args.fault,
            fail_tasks=args.fail_tasks,
            latency=args.latency,
            guest_agent=args.guest_agent,
            access_log=args.verbose,
            tls=args.tls,
            port_file=args.port_file,
        )
        server = SimulatorServer(settings)
        server.start()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(server.banner()), flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
