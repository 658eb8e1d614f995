"""Running a simulator from tests: :func:`run_in_thread` and a small client for the ``/admin`` API.

Example (also usable from end-to-end tests elsewhere; Terraform in a subprocess reaches it too)::

    from fleetform.simulator.testing import run_in_thread

    with run_in_thread(templates={"bios": "tmpl-bios"}) as sim:
        env = sim.env()                     # HC_HOST, HC_USERNAME, HC_PASSWORD
        sim.admin.add_fault("task_error", path="/VirDomain$")
        ...
        assert [a["actionType"] for a in sim.admin.actions()] == ["START"]

Uses only the standard library, so importing it pulls in nothing beyond the simulator itself.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from fleetform.simulator.fleet import FleetServer, fleet_from_options
from fleetform.simulator.server import SimulatorServer
from fleetform.simulator.settings import Settings


class AdminClient:
    """Calls to the simulator's ``/admin`` API (see :mod:`fleetform.simulator.admin`)."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url
        # The admin API needs the same login as /rest/v1; HTTP Basic credentials on every call.
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._authorization = f"Basic {token}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """One admin call; its decoded JSON answer. HTTP errors raise ``urllib.error.HTTPError``."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}/admin{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Authorization": self._authorization},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def actions(self) -> list[dict[str, Any]]:
        """The power action log, oldest first."""
        result: list[dict[str, Any]] = self.call("GET", "/actions")
        return result

    def requests(self, *, include_reads: bool = False) -> list[dict[str, Any]]:
        """The REST requests served, oldest first (mutating ones unless ``include_reads``)."""
        result: list[dict[str, Any]] = self.call("GET", f"/requests?all={str(include_reads).lower()}")
        return result

    def clear_requests(self) -> None:
        """Empty the request recorder."""
        self.call("DELETE", "/requests")

    def add_fault(self, kind: str, **options: Any) -> dict[str, Any]:
        """Inject a fault: ``task_error``, ``http_error``, ``latency`` or ``ignore_shutdown``."""
        result: dict[str, Any] = self.call("POST", "/faults", {"kind": kind, **options})
        return result

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")

    def set_timing(
        self,
        *,
        task_seconds: float | None = None,
        shutdown_seconds: float | None = None,
        guest_agent: bool | None = None,
        busy_vms: bool | None = None,
    ) -> None:
        body = {
            "taskSeconds": task_seconds,
            "shutdownSeconds": shutdown_seconds,
            "guestAgent": guest_agent,
            "busyVms": busy_vms,
        }
        self.call("PATCH", "/settings", {key: value for key, value in body.items() if value is not None})

    def vlans(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/vlans")
        return result

    def add_remote_cluster(self, cluster_name: str, nodes: int = 1) -> dict[str, Any]:
        """Seed a ``RemoteClusterConnection`` to a made-up cluster; the connection record."""
        result: dict[str, Any] = self.call(
            "POST", "/remote-clusters", {"clusterName": cluster_name, "nodes": nodes}
        )
        return result

    def reset(self) -> None:
        """Wipe the cluster, faults and logs, and seed it again."""
        self.call("POST", "/reset")


class RunningSimulator:
    """A simulator serving in this process; where to reach it and how to steer it."""

    def __init__(self, server: SimulatorServer):
        self.server = server
        self.admin = AdminClient(server.url, server.settings.username, server.settings.password)

    @property
    def url(self) -> str:
        """Base URL for clients (``HC_HOST``); the REST API is under ``/rest/v1``."""
        return self.server.url

    @property
    def username(self) -> str:
        return self.server.settings.username

    @property
    def password(self) -> str:
        return self.server.settings.password

    @property
    def data_dir(self) -> Path:
        assert self.server.data_dir is not None
        return self.server.data_dir

    def env(self) -> dict[str, str]:
        """The environment the HyperCore provider and fleetform's client read."""
        return {"HC_HOST": self.url, "HC_USERNAME": self.username, "HC_PASSWORD": self.password}

    def restart(self) -> None:
        """Stop and start again on the same port and data directory (which must not be temporary)."""
        if self.server.temporary_data_dir:
            raise ValueError("restart() needs a simulator started with data_dir=...")
        settings = replace(self.server.settings, port=self.server.port)
        self.server.stop()
        self.server = SimulatorServer(settings)
        self.server.start()
        self.admin = AdminClient(self.server.url, self.username, self.password)


@contextmanager
def run_in_thread(settings: Settings | None = None, **options: Any) -> Iterator[RunningSimulator]:
    """A simulator on 127.0.0.1 and a free port for the ``with`` block.

    ``options`` override fields of ``settings`` (default: :class:`Settings` with ``port=0``), e.g.
    ``data_dir=tmp_path``, ``task_seconds=0.5``, ``templates={"uefi": "tmpl"}``, ``vlans={10: "public"}``.
    """
    base = settings if settings is not None else Settings(port=0)
    server = SimulatorServer(replace(base, **options))
    server.start()
    running = RunningSimulator(server)
    try:
        yield running
    finally:
        running.server.stop()


class RunningCluster:
    """One cluster of a fleet served in this process (:func:`run_fleet_in_thread`)."""

    def __init__(self, name: str, url: str, username: str, password: str, data_dir: Path):
        self.name = name
        self.url = url
        self.username = username
        self.password = password
        self.data_dir = data_dir
        self.admin = AdminClient(url, username, password)

    def env(self) -> dict[str, str]:
        """``HC_HOST``, ``HC_USERNAME``, ``HC_PASSWORD`` of this cluster."""
        return {"HC_HOST": self.url, "HC_USERNAME": self.username, "HC_PASSWORD": self.password}


class RunningFleet:
    """Many simulated clusters in one server (:mod:`fleetform.simulator.fleet`), by name, in order."""

    def __init__(self, server: FleetServer):
        self.server = server
        self.clusters = {
            m.name: RunningCluster(m.name, m.url, m.username, m.password, m.data_dir) for m in server.members
        }

    def __getitem__(self, name: str) -> RunningCluster:
        return self.clusters[name]

    def __iter__(self) -> Iterator[RunningCluster]:
        return iter(self.clusters.values())

    def __len__(self) -> int:
        return len(self.clusters)


@contextmanager
def run_fleet_in_thread(count: int = 0, **options: Any) -> Iterator[RunningFleet]:
    """A fleet of ``count`` clusters (``cluster-01``...; or the clusters of ``site=PATH``) on 127.0.0.1, free
    ports, for the ``with`` block. ``options``: as :func:`fleetform.simulator.fleet.fleet_from_options`
    (``templates``/``vlans`` are taken from ``site``; ``data_dir``, ``guest_agent``, ``password``...)."""
    server = FleetServer(fleet_from_options(count=count, **options))
    server.start()
    try:
        yield RunningFleet(server)
    finally:
        server.stop()
