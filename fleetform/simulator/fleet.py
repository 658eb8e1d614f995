"""Many simulated clusters from one process: a fleet for rollouts, cheap enough for 50 clusters on 2 cores.

Each cluster is a complete simulator (:func:`~fleetform.simulator.app.create_app`: its own Backend and SQLite
database, credentials, nodes, VLANs, template VMs, faults, request log and ``/admin`` API) with its own URL.
One uvicorn server listens on one socket per cluster and :class:`PortDispatch` hands every connection to the
cluster whose socket accepted it (the ASGI ``server`` address is the local one), so the fleet shares one
event loop and one thread pool instead of one process per cluster.

The clusters come from a fleetform site file's ``clusters:`` (names, and each cluster's ``networks:`` and
``templates:`` over the site's; read with PyYAML, as :mod:`.settings` reads a site) or are ``cluster-01`` ...
``cluster-NN``. Every cluster gets a password of its own unless one is given. ``--fleet-file`` receives
``{"clusters": [{"name", "url", "username", "password", "dataDir"}]}`` (mode 0600) once every cluster
accepts connections.

    python -m fleetform.simulator.fleet --clusters 20 --site fleetform.yaml --fleet-file fleet.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from fastapi import FastAPI

from fleetform.simulator.app import create_app
from fleetform.simulator.errors import ConfigError
from fleetform.simulator.models import DEFAULT_TASK_SECONDS
from fleetform.simulator.server import START_TIMEOUT, _bind, _tls_files
from fleetform.simulator.settings import (
    DEFAULT_HOST,
    DEFAULT_USERNAME,
    MAX_NODES,
    Settings,
    _kind,
    _name,
    _vlan_id,
    read_site,
)

MAX_CLUSTERS = 500
_CLUSTER_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass
class FleetCluster:
    """One cluster of the fleet: its name and its simulator settings (``port``: where it listens)."""

    name: str
    settings: Settings


@dataclass
class FleetSettings:
    """A fleet: the clusters, where they listen, and where to say so."""

    clusters: list[FleetCluster]
    host: str = DEFAULT_HOST
    tls: bool = False
    data_dir: Path | None = None
    """Each cluster's data lives in ``<data_dir>/<name>``; ``None``: a temporary directory."""
    fleet_file: Path | None = None
    access_log: bool = False


def fleet_from_options(
    *,
    count: int = 0,
    site: Path | None = None,
    host: str = DEFAULT_HOST,
    port: int = 0,
    data_dir: Path | None = None,
    username: str = DEFAULT_USERNAME,
    password: str | None = None,
    task_seconds: float = DEFAULT_TASK_SECONDS,
    busy_vms: bool = True,
    nodes: int = 1,
    guest_agent: bool = False,
    tls: bool = False,
    fleet_file: Path | None = None,
    access_log: bool = False,
    templates: dict[str, str] | None = None,
    vlans: dict[int, str] | None = None,
) -> FleetSettings:
    """A fleet of ``count`` clusters named ``cluster-NN``, or of the clusters ``site`` lists (``count`` 0).
    With a ``port``, cluster *i* (0-based) listens on ``port + i``; else each on a free port. ``templates``
    (kind -> name) and ``vlans`` (id -> name) are seeded on every cluster, over the site's."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a TCP port (0..65535)")
    site_templates: dict[str, str] = {}
    site_vlans: dict[int, str] = {}
    members: list[tuple[str, dict[str, str], dict[int, str]]] = []
    if site is not None:
        site_templates, site_vlans = read_site(site)
        if not count:
            members = read_site_clusters(site)
    site_templates.update(templates or {})
    site_vlans.update(vlans or {})
    if count:
        if not 1 <= count <= MAX_CLUSTERS:
            raise ConfigError(f"--clusters {count} must be between 1 and {MAX_CLUSTERS}")
        width = max(2, len(str(count)))
        members = [(f"cluster-{n:0{width}d}", {}, {}) for n in range(1, count + 1)]
    if not members:
        raise ConfigError("no clusters: give --clusters N, or --site with a clusters: list")
    if port and port + len(members) - 1 > 65535:
        raise ConfigError(f"--port {port} leaves no room for {len(members)} clusters")
    if task_seconds < 0:
        raise ConfigError("--task-seconds cannot be negative")
    if not 1 <= nodes <= MAX_NODES:
        raise ConfigError(f"--nodes {nodes} must be between 1 and {MAX_NODES}")
    clusters = []
    for index, (name, own_templates, own_vlans) in enumerate(members):
        settings = Settings(
            host=host,
            port=port + index if port else 0,
            data_dir=data_dir / name if data_dir is not None else None,
            username=username,
            password=password or secrets.token_urlsafe(9),
            task_seconds=task_seconds,
            busy_vms=busy_vms,
            nodes=nodes,
            templates={**site_templates, **own_templates},
            vlans=_merge_vlans(site_vlans, own_vlans),
            guest_agent=guest_agent,
            access_log=access_log,
            tls=tls,
        )
        clusters.append(FleetCluster(name, settings))
    return FleetSettings(
        clusters=clusters, host=host, tls=tls, data_dir=data_dir, fleet_file=fleet_file, access_log=access_log
    )


def _merge_vlans(site: dict[int, str], own: dict[int, str]) -> dict[int, str]:
    """The site's VLANs with a cluster's own networks over them (a network moved to another VLAN moves)."""
    names = set(own.values())
    return {**{v: n for v, n in site.items() if n not in names}, **own}


def read_site_clusters(path: Path) -> list[tuple[str, dict[str, str], dict[int, str]]]:
    """The clusters a fleetform site file lists: name, its own templates and its own networks (VLAN -> name)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the site file {path}: {exc}") from None
    entries = document.get("clusters") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return []
    found = []
    seen: set[str] = set()
    for number, entry in enumerate(entries):
        where = f"{path}: clusters[{number}]"
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not _CLUSTER_NAME.match(name):
            raise ConfigError(f"{where}: a cluster needs a name of lowercase letters, digits and '-'")
        if name in seen:
            raise ConfigError(f"{where}: cluster name {name!r} is used twice")
        seen.add(name)
        templates = entry.get("templates") or {}
        networks = entry.get("networks") or {}
        if not isinstance(templates, dict) or not isinstance(networks, dict):
            raise ConfigError(f"{where}: 'templates' and 'networks' must be mappings")
        found.append(
            (
                name,
                {
                    _kind(str(k), f"{where}.templates"): _name(v, f"{where}.templates.{k}")
                    for k, v in templates.items()
                },
                {_vlan_id(v, f"{where}.networks.{k}"): str(k) for k, v in networks.items()},
            )
        )
    return found


class PortDispatch:
    """An ASGI app that hands each request to the cluster app listening on the port that accepted it, and
    runs every cluster app's lifespan (startup and shutdown) with its own."""

    def __init__(self, apps: dict[int, FastAPI]):
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        server = scope.get("server") or (None, None)
        app = self.apps.get(int(server[1] or 0))
        if app is None:  # a connection on a socket of no cluster: cannot happen unless misconfigured
            if scope["type"] == "http":
                body = json.dumps({"error": "No cluster listens here"}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 404,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        async with AsyncExitStack() as stack:
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    try:
                        for app in self.apps.values():
                            await stack.enter_async_context(app.router.lifespan_context(app))
                    except Exception as exc:  # reported to uvicorn, which stops
                        await send({"type": "lifespan.startup.failed", "message": str(exc)})
                        return
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await stack.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return


@dataclass
class Member:
    """A cluster of a running fleet: where it listens and how to log in."""

    name: str
    url: str
    username: str
    password: str
    data_dir: Path
    settings: Settings = field(repr=False)


class FleetServer:
    """The fleet listening, one socket per cluster, served by one uvicorn server; :meth:`start`, :meth:`stop`."""

    def __init__(self, settings: FleetSettings):
        self.settings = settings
        self.members: list[Member] = []
        self.ca_file: Path | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._temporary: Path | None = None

    def start(self) -> None:
        """Bind every socket, build every cluster, serve in a daemon thread; returns once all accept requests."""
        root = self.settings.data_dir
        if root is None:
            root = self._temporary = Path(tempfile.mkdtemp(prefix="fleetform-fleet-"))
        sockets = []
        apps: dict[int, FastAPI] = {}
        try:
            for cluster in self.settings.clusters:
                sock = _bind(self.settings.host, cluster.settings.port)
                sockets.append(sock)
                port = sock.getsockname()[1]
                settings = replace(cluster.settings, port=port, data_dir=root / cluster.name)
                settings.data_dir.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
                apps[port] = create_app(settings)
                self.members.append(
                    Member(
                        cluster.name,
                        _url(self.settings, port),
                        settings.username,
                        settings.password,
                        root / cluster.name,
                        settings,
                    )
                )
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        cert_file = key_file = None
        if self.settings.tls:
            self.ca_file, cert, key = _tls_files(root / "tls", self.settings.host)
            cert_file, key_file = str(cert), str(key)
        config = uvicorn.Config(
            PortDispatch(apps),
            log_level="info" if self.settings.access_log else "warning",
            access_log=self.settings.access_log,
            lifespan="on",
            timeout_graceful_shutdown=2,
            ssl_certfile=cert_file,
            ssl_keyfile=key_file,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": sockets}, name="fleetform-simulator-fleet", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT + 0.1 * len(apps)
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                for sock in sockets:
                    sock.close()
                raise ConfigError(f"the simulator fleet did not start on {self.settings.host}")
            time.sleep(0.01)
        if self.settings.fleet_file is not None:
            write_fleet_file(self.settings.fleet_file, self.members, self.ca_file)

    def stop(self) -> None:
        """Shut down every cluster (closing its database) and wait; a temporary data directory is removed."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10 + 0.1 * len(self.members))
            self._server = self._thread = None
        if self._temporary is not None:
            import shutil

            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None

    def serve_forever(self) -> None:
        """Block until Ctrl-C or SIGTERM, then stop (see :meth:`SimulatorServer.serve_forever`)."""
        from fleetform.simulator.server import SimulatorServer

        SimulatorServer.serve_forever(self)  # type: ignore[arg-type]

    def banner(self) -> list[str]:
        """One line for the fleet, then one per cluster: name, URL, login."""
        lines = [f"fleetform simulator fleet: {len(self.members)} clusters on {self.settings.host}"]
        width = max((len(m.name) for m in self.members), default=0)
        for member in self.members:
            lines.append(f"  {member.name:<{width}}  {member.url}  {member.username} / {member.password}")
        if self.ca_file is not None:
            lines.append(f"  CA file  {self.ca_file}  (verify with HC_CA_BUNDLE={self.ca_file})")
        return lines


def _url(settings: FleetSettings, port: int) -> str:
    host = settings.host
    scheme = "https" if settings.tls else "http"
    return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}"


def write_fleet_file(path: Path, members: Sequence[Member], ca_file: Path | None = None) -> None:
    """Where each cluster listens and its login, for scripts (owner-only: it holds passwords)."""
    data = {
        "clusters": [
            {
                "name": m.name,
                "url": m.url,
                "username": m.username,
                "password": m.password,
                "dataDir": str(m.data_dir),
            }
            for m in members
        ],
        "caFile": str(ca_file) if ca_file else None,
    }
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fleetform.simulator.fleet", description=__doc__)
    parser.add_argument("--clusters", type=int, default=0, help="serve N clusters cluster-01.. [the site's]")
    parser.add_argument("--site", type=Path, help="fleetform.yaml: its templates, networks and clusters")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=0, help="first cluster's port, then +1 each [free ports]")
    parser.add_argument("--data", type=Path, help="directory for every cluster's data [a temporary one]")
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    parser.add_argument("--password", help="one password for every cluster [a new one each]")
    parser.add_argument("--task-seconds", type=float, default=DEFAULT_TASK_SECONDS)
    parser.add_argument("--no-busy-vms", action="store_true")
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--guest-agent", action="store_true", help="running guests report IPv4 addresses")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--fleet-file", type=Path, help="write the clusters' URLs and logins here (JSON)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    try:
        settings = fleet_from_options(
            count=args.clusters,
            site=args.site,
            host=args.host,
            port=args.port,
            data_dir=args.data,
            username=args.username,
            password=args.password,
            task_seconds=args.task_seconds,
            busy_vms=not args.no_busy_vms,
            nodes=args.nodes,
            guest_agent=args.guest_agent,
            tls=args.tls,
            fleet_file=args.fleet_file,
            access_log=args.verbose,
        )
        server = FleetServer(settings)
        server.start()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(server.banner()), flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
